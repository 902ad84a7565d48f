"""Rendering Back Office pages: the one owner of Jinja2.

Autoescaping is on for every template, so any value (a role named ``<script>``) is shown as
text. Pages are never cached (they carry CSRF tokens, sometimes a secret shown once), may not be
framed, and load scripts and styles from dexgate only (no inline script runs).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

FLASH_COOKIE = "dexgate_flash"
# The framing, sniffing, referrer and content-security headers are added to every HTML page
# by app.page_security.PageHeaders.
PAGE_HEADERS = {"Cache-Control": "no-store"}


def _stamp(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _query(value: object) -> str:
    """A value for a URL query string: everything but unreserved characters escaped."""
    return quote(str(value), safe="")


_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["stamp"] = _stamp
_environment.filters["q"] = _query


def _flash_of(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        return None
    return {"kind": "error" if value.get("kind") == "error" else "ok", "text": value["text"]}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """The page ``template`` with the layout's context: the principal, the session's CSRF
    token (empty when the caller sent credentials in headers) and a message left by the last
    action, which is then cleared."""
    flash = _flash_of(request)
    values = {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": getattr(request.state, "csrf_token", None) or "",
        "section": None,
        **context,
    }
    values["flash"] = values.get("flash") or flash
    body = _environment.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/admin")
    return response


def see_other(url: str, message: str | None = None, *, error: bool = False) -> Response:
    """303 to ``url`` (a path of ours), leaving ``message`` for the page it shows."""
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    if message is not None:
        payload = json.dumps({"kind": "error" if error else "ok", "text": message})
        response.set_cookie(
            FLASH_COOKIE,
            base64.urlsafe_b64encode(payload.encode()).decode(),
            max_age=60,
            path="/admin",
            httponly=True,
            samesite="lax",
        )
    return response
