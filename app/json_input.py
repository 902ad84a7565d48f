"""Reading the JSON that clients send (REST bodies and filters, GraphQL requests).

An object that names a key twice is refused rather than read as one of its values, so that no
proxy, validator or log in front of dexgate can read a different request than dexgate does.
"""

from __future__ import annotations

import json
from typing import Any


class DuplicateKeyError(ValueError):
    """A JSON object names ``key`` more than once."""

    def __init__(self, key: str) -> None:
        super().__init__(f"The key `{key}` appears twice in one object.")
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return result


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def loads(raw: str | bytes, **options: Any) -> Any:
    """``json.loads`` refusing duplicate keys with :class:`DuplicateKeyError` (a ValueError);
    ``options`` go to ``json.loads`` (``parse_float``, ``parse_constant``)."""
    if options:
        return json.loads(raw, object_pairs_hook=_unique_keys, **options)
    # json.loads without building a decoder per call: the same steps, one shared decoder.
    if isinstance(raw, str):
        if raw.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
    else:
        raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
    return _DECODER.decode(raw)
