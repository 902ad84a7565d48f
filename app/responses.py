"""JSON responses rendered with orjson (see schema_builder.json_output)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from schema_builder.json_output import dump_bytes


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dump_bytes(content)


def json_text_response(
    text: bytes, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response whose body is JSON already written (by the database)."""
    return Response(text, status_code, headers, media_type=JSONResponse.media_type)
