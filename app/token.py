"""``POST /token`` (RFC 6749 token endpoint) and ``POST /token/revoke`` (RFC 7009).

Requests are form-encoded; answers are the standard JSON token and error responses, built by
authlib (see auth.oauth). Throttled logins answer 429 with ``Retry-After``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.gateway import Gateway
from app.responses import JSONResponse
from auth.errors import TooManyAttemptsError

FORM = "application/x-www-form-urlencoded"


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


async def _form(request: Request) -> dict[str, str] | JSONResponse:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != FORM:
        return _oauth_error("invalid_request", f"Send the parameters as {FORM} (RFC 6749).")
    form = await request.form()
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            return _oauth_error("invalid_request", f"Parameter {key!r} must be text.")
        if key in values:
            return _oauth_error("invalid_request", f"Parameter {key!r} is given more than once.")
        values[key] = value
    return values


async def token(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    form = await _form(request)
    if isinstance(form, JSONResponse):
        return form
    address = request.client.host if request.client else None
    try:
        status, body, headers = await gateway.tokens.token(form, request.headers, address)
    except TooManyAttemptsError as exc:
        response = _oauth_error("too_many_requests", exc.message, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return JSONResponse(body, status_code=status, headers=dict(headers))


async def revoke(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    form = await _form(request)
    if isinstance(form, JSONResponse):
        return form
    value = form.get("token")
    if not value:
        return _oauth_error("invalid_request", "Missing 'token'.")
    await gateway.tokens.revoke(value)
    gateway.authenticator.forget()
    return Response(status_code=200, headers={"Cache-Control": "no-store"})


routes = [
    Route("/token", token, methods=["POST"]),
    Route("/token/revoke", revoke, methods=["POST"]),
]
