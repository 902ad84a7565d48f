"""Submitted Back Office forms: their fields, their CSRF token, and messages per field."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from starlette.datastructures import FormData
from starlette.requests import Request

CSRF_FIELD = "csrf_token"


class CsrfError(Exception):
    """A state-changing form without the CSRF token of the session that sends it."""


class Form:
    """The text fields of a submitted form (files and missing fields read as empty)."""

    def __init__(self, data: FormData) -> None:
        self._data = data

    def text(self, name: str) -> str:
        value = self._data.get(name)
        return value if isinstance(value, str) else ""

    def texts(self, name: str) -> list[str]:
        return [v for v in self._data.getlist(name) if isinstance(v, str) and v]


async def read_form(request: Request) -> Form:
    """The form of a state-changing request. Raises CsrfError when the request came with the
    session cookie but without that session's CSRF token; requests that carry credentials in
    headers (which a browser never adds on its own to another site's form) need none."""
    form = Form(await request.form())
    expected: str | None = getattr(request.state, "csrf_token", None)
    if expected is not None and not hmac.compare_digest(
        expected.encode(), form.text(CSRF_FIELD).encode()
    ):
        raise CsrfError()
    return form


class FieldErrors(dict[str, str]):
    """Messages by field name, shown next to each field."""

    def need(self, name: str, value: str, label: str, max_length: int = 255) -> str:
        """``value`` stripped; records a message when it is empty or too long."""
        value = value.strip()
        if not value:
            self[name] = f"Give a {label}."
        elif len(value) > max_length:
            self[name] = f"A {label} has at most {max_length} characters."
        return value

    def roles(self, name: str, chosen: Iterable[str], known: Iterable[str]) -> list[str]:
        chosen = list(dict.fromkeys(chosen))
        unknown = sorted(set(chosen) - set(known))
        if not chosen:
            self[name] = "Choose at least one role."
        elif unknown:
            self[name] = f"No such role: {', '.join(unknown)}."
        return chosen
