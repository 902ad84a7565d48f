"""``/admin/login`` and ``/admin/logout``: Back Office sessions in a cookie.

The session cookie (``dexgate_session``) holds the session's access token: HttpOnly,
SameSite=Lax, Path=/, and Secure when the request came over https (behind a TLS-terminating
proxy, uvicorn takes the scheme from ``X-Forwarded-Proto``). The login form, sent before any
session exists, is protected by a double-submit token: a random value in a cookie of its own
that the form must repeat.
"""

from __future__ import annotations

import hmac
import posixpath
import secrets
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.admin.endpoints import action, error_page, safely
from app.admin.forms import CSRF_FIELD, CsrfError, Form
from app.admin.templating import render, see_other
from app.gateway import Gateway
from app.security import SESSION_COOKIE
from auth.errors import TooManyAttemptsError
from auth.sessions import BackOfficeSessions, LoginRefusedError, NotAdminError

LOGIN_CSRF_COOKIE = "dexgate_login_csrf"
HOME = "/admin/entities"


def sessions_of(gateway: Gateway) -> BackOfficeSessions:
    return BackOfficeSessions(
        gateway.engine,
        gateway.authenticator.signer,
        gateway.tokens.throttle,
        gateway.tokens.lifetimes.access,
    )


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a Back Office page or GraphiQL, nothing else.

    The path is decoded and normalised first (``/admin/../..//evil.com`` is ``//evil.com``,
    which a browser would take for another host), and the normalised path is what is used."""
    if not value or not value.startswith("/") or "\\" in value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    path = posixpath.normpath(unquote(parts.path))
    if "\\" in path or path.startswith("//") or any(ord(c) < 0x20 for c in path):
        return HOME
    if path == "/graphiql" or (path.startswith("/admin/") and not path.startswith("/admin/log")):
        return quote(path) + (f"?{parts.query}" if parts.query else "")
    return HOME


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(
    request: Request,
    status_code: int = 200,
    *,
    username: str = "",
    error: str | None = None,
    errors: dict[str, str] | None = None,
    next_url: str = HOME,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status_code,
        principal=None,
        login_csrf=token,
        username=username,
        error=error,
        errors=errors or {},
        next_url=next_url,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/admin/login",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


async def login_form(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.is_admin:
        return see_other(next_url)
    return _login_page(request, next_url=next_url)


async def login(request: Request) -> Response:
    form = Form(await request.form())
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, form.text(CSRF_FIELD)):
        return error_page(request, CsrfError())
    username, password = form.text("username").strip(), form.text("password")
    next_url = safe_next(form.text("next"))
    errors = {}
    if not username:
        errors["username"] = "Give your username."
    if not password:
        errors["password"] = "Give your password."  # noqa: S105  # a message, not a secret
    if errors:
        return _login_page(request, 400, username=username, errors=errors, next_url=next_url)
    gateway: Gateway = request.app.state.gateway
    address = request.client.host if request.client else None
    try:
        session = await sessions_of(gateway).login(username, password, address)
    except TooManyAttemptsError as exc:
        response = _login_page(
            request,
            429,
            username=username,
            error=f"Too many failed logins for this account or address. "
            f"Try again in {exc.retry_after} seconds.",
            next_url=next_url,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except LoginRefusedError as exc:
        status = 403 if isinstance(exc, NotAdminError) else 400
        return _login_page(request, status, username=username, error=exc.message, next_url=next_url)
    response = see_other(next_url)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=session.max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
    return response


async def logout(request: Request, _form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await sessions_of(gateway).logout(token)
        gateway.authenticator.forget()
    response = see_other("/admin/login", "You are logged out.")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


routes = [
    Route("/admin/login", safely(login_form), methods=["GET"]),
    Route("/admin/login", safely(login), methods=["POST"]),
    action("/admin/logout", logout),
]
