"""JSON responses rendered with orjson."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, default=_default)
        except orjson.JSONEncodeError:
            # Text that is not valid UTF-8 (a client's JSON key with an unpaired surrogate,
            # echoed in an error message): the standard encoder writes it as a \u escape.
            return json.dumps(content, default=_default, separators=(",", ":")).encode()


def json_text_response(
    text: bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response whose body is JSON already written (by the database)."""
    return Response(text, status_code, headers, media_type=JSONResponse.media_type)
