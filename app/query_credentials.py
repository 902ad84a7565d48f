"""The one reading of a query string's credentials: what the API key is, and what to redact.

A parameter's name is what it decodes to, as every URL parser reads it: ``api%5Fkey`` and
``api_key`` are the same parameter. The authentication (app.security) takes the key with
:func:`api_key` and the access log's redaction (app.redaction) finds secrets with
:func:`secret_spans`; both decide with :func:`parameter_name`, so no spelling of the name can
be accepted as a key and still escape the redaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote_plus

API_KEY = "api_key"
# Redacted wherever they appear: the API key and OAuth tokens.
SECRET_PARAMETERS = frozenset({API_KEY, "access_token", "refresh_token"})
# A parameter in a logged line: after the start, ``?`` or ``&``; up to ``&``, ``#`` or a space.
_PARAMETER = re.compile(r"(?:^|(?<=[?&]))([^=&#?\s]*)=([^&#\s]*)")


def parameter_name(raw: str) -> str:
    """The name a query parameter's raw (still encoded) name stands for."""
    return unquote_plus(raw) if ("%" in raw or "+" in raw) else raw


def api_key(query_string: bytes) -> str | None:
    """The value of the first ``api_key`` parameter of a request's raw query string."""
    if b"=" not in query_string:
        return None
    for piece in query_string.decode("latin-1").split("&"):
        name, equals, value = piece.partition("=")
        if equals and parameter_name(name) == API_KEY:
            return unquote_plus(value)
    return None


def secret_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where in ``text`` (a logged path, or a request line) the values of secret parameters
    are: any spelling of their names, in any case."""
    for match in _PARAMETER.finditer(text):
        if parameter_name(match.group(1)).lower() in SECRET_PARAMETERS:
            yield match.span(2)
