"""Authentication for every protected path, in one place, before any endpoint runs.

``/dynamic-entity/...``, ``/graphql`` and ``/change-feed/...`` need a principal; ``/graphiql``
and ``/admin`` need the admin role; ``/`` takes credentials when given. ``/token``, ``/health/...``,
``/admin/login`` and the static files of GraphiQL and the Back Office are open.

Credentials are an API key or a bearer token, as Spryker takes them, or, for ``/admin/...``,
``/graphiql`` and the API page ``/dynamic-entity/docs`` when neither is sent, the Back Office
session cookie (an admin's, see app.admin.login). ``/graphql`` and the rest of
``/dynamic-entity`` accept the cookie only with the session's CSRF token in the
``X-CSRF-Token`` header, which GraphiQL and the API page opened from the session send and a
page of another site cannot know (app.docs_access). Browsers asking for a Back Office page
without a session are sent to the login page; for the API page, they are asked for a key on a
page. Refusals use the transport's error shape: Spryker's error
array for REST, ``{"errors": [...]}`` for GraphQL. Entity permissions are enforced later, by
the operations (see schema_builder.operations.access), since only they know which entities a
request touches. Once the caller is known, the request is counted against its rate limit (see
app.rate_limit): the principal's, or the client address's when there is no principal.
"""

from __future__ import annotations

import hmac
from typing import Literal
from urllib.parse import urlencode

from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app import query_credentials, rate_limit
from app.docs_access import DOCS_PATH, key_page, needs_csrf_header
from app.errors import rest_errors
from app.responses import JSONResponse
from auth.errors import (
    AdminRequiredError,
    AuthError,
    InvalidAccessTokenError,
    RateLimitedError,
    UnauthorizedRequestError,
)
from auth.permissions import Permissions
from auth.principal import Principal
from auth.sessions import csrf_token
from auth.tokens import TokenRejectedError
from schema_builder.graphql.errors import errors_body

Protection = Literal["principal", "admin", "optional"]
SESSION_COOKIE = "dexgate_session"
CSRF_HEADER = "X-CSRF-Token"


def protection(path: str) -> Protection | None:
    if path.startswith("/dynamic-entity") or path == "/graphql" or path.startswith("/graphql/"):
        return "principal"
    if path.startswith("/change-feed/"):
        return "principal"
    if path.startswith("/graphiql/static/"):
        return None
    if path.startswith("/admin/static/"):
        return None
    if path == "/admin/login":
        return "optional"
    if path in ("/graphiql", "/graphiql/") or path == "/admin" or path.startswith("/admin/"):
        return "admin"
    if path == "/":
        return "optional"
    return None


def _is_page(path: str) -> bool:
    return path in ("/graphiql", "/graphiql/") or path == "/admin" or path.startswith("/admin/")


def accepts_session(path: str) -> bool:
    """Where the Back Office session cookie counts (on ``/graphql`` and ``/dynamic-entity``
    with its CSRF header, see :func:`app.docs_access.needs_csrf_header`)."""
    return _is_page(path) or path == "/graphql" or path.startswith("/dynamic-entity")


def login_redirect(scope: Scope) -> Response:
    """To the login page, coming back here afterwards when this was a page being shown."""
    target = "/admin/login"
    if scope["method"] in ("GET", "HEAD"):
        here: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if query:
            here += "?" + query.decode("latin-1")
        target += "?" + urlencode({"next": here})
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def refusal(path: str, error: AuthError) -> JSONResponse:
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if isinstance(error, RateLimitedError):
        headers["Retry-After"] = str(error.retry_after)
    if path in ("/token", "/token/revoke"):  # RFC 6749's error shape, as its other errors
        body: object = {"error": "too_many_requests", "error_description": error.message}
    elif path == "/graphql" or path.startswith("/graphql/"):
        body = errors_body([error])
    else:
        body = rest_errors([error])
    return JSONResponse(body, status_code=error.status, headers=headers)


class AuthenticationMiddleware:
    """Puts the caller's :class:`Principal` in ``request.state.principal`` or refuses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        needed = protection(path)
        if rate_limit.exempt(path, scope["method"]):
            await self.app(scope, receive, send)
            return
        if needed is None:
            if await self._admitted(scope, receive, send, None):
                await self.app(scope, receive, send)
            return
        principal: Principal | None = None
        csrf: str | None = None
        try:
            principal, csrf = await self._authenticate(scope, path)
            if needed == "admin" and not principal.is_admin:
                raise AdminRequiredError()
        except AuthError as error:
            if needed != "optional":
                if not await self._admitted(scope, receive, send, None):
                    return
                headers = Headers(scope=scope)
                browser = "text/html" in headers.get("accept", "")
                if _is_page(path) and browser:
                    await login_redirect(scope)(scope, receive, send)
                elif path == DOCS_PATH and browser and scope["method"] == "GET":
                    given = bool(scope.get("query_string")) or "authorization" in headers
                    refused = error.message if given or "x-api-key" in headers else None
                    await key_page(refused, error.status)(scope, receive, send)
                else:
                    await refusal(path, error)(scope, receive, send)
                return
            principal, csrf = None, None
        if not await self._admitted(scope, receive, send, principal):
            return
        state = scope.setdefault("state", {})
        state["principal"] = principal
        # Set only for requests authenticated by the session cookie: their forms must carry it.
        state["csrf_token"] = csrf
        await self.app(scope, receive, send)

    async def _admitted(
        self, scope: Scope, receive: Receive, send: Send, principal: Principal | None
    ) -> bool:
        """Count the request against its rate limit; answer 429 when that is used up."""
        gateway = getattr(scope["app"].state, "gateway", None)
        if gateway is None:  # not started: nothing to count with
            return True
        client = scope.get("client")
        try:
            await gateway.limiter.check(principal, client[0] if client else None)
        except RateLimitedError as error:
            await refusal(scope["path"], error)(scope, receive, send)
            return False
        return True

    async def _authenticate(self, scope: Scope, path: str) -> tuple[Principal, str | None]:
        """The principal, and the CSRF token of the session when the cookie authenticated."""
        headers = Headers(scope=scope)
        api_key = headers.get("x-api-key")
        if not api_key:
            api_key = query_credentials.api_key(scope.get("query_string", b""))
        authorization = headers.get("authorization")
        authenticator = scope["app"].state.gateway.authenticator
        if api_key or authorization is not None:
            principal: Principal = await authenticator.authenticate(api_key, authorization)
            return principal, None
        session = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
        if not session or not accepts_session(path):
            raise UnauthorizedRequestError()
        expected = csrf_token(session)
        if needs_csrf_header(path) and not hmac.compare_digest(
            expected.encode(), headers.get(CSRF_HEADER, "").encode()
        ):
            raise UnauthorizedRequestError(
                "Unauthorized request. The Back Office session is accepted here only with its "
                f"{CSRF_HEADER} header."
            )
        try:
            claims = authenticator.signer.verify(session)
            if claims.kind != "user" or claims.session is None:
                raise UnauthorizedRequestError()
            principal = await authenticator.from_access_token(session)
        except (TokenRejectedError, InvalidAccessTokenError):
            raise UnauthorizedRequestError() from None
        if not principal.is_admin:
            raise AdminRequiredError()
        return principal, expected


def permissions_of(request: Request) -> Permissions:
    """The caller's permissions; the middleware has refused the request when there is none."""
    principal: Principal = request.state.principal
    return principal.permissions
