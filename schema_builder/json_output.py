"""JSON as the API writes it: orjson, decimals as strings, text that is not valid UTF-8 (an
unpaired surrogate a client sent, echoed back) written with ``\\u`` escapes."""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_bytes(value: Any) -> bytes:
    """``value`` as compact JSON."""
    try:
        return orjson.dumps(value, default=_default)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=_default, separators=(",", ":")).encode()


def dumps(value: Any) -> str:
    """``value`` as compact JSON text."""
    return dump_bytes(value).decode()


@functools.lru_cache(maxsize=1024)
def loads_constant(text: str) -> Any:
    """A constant piece of JSON (a ``__typename``), decoded once."""
    return orjson.loads(text)
