"""Authentication for every protected path, in one place, before any endpoint runs.

``/dynamic-entity/...`` and ``/graphql`` need a principal; ``/graphiql`` and ``/admin`` need
the admin role; ``/`` takes credentials when given. ``/token``, ``/health/...`` and
GraphiQL's static files are open. Refusals use the transport's error shape: Spryker's error
array for REST, ``{"errors": [...]}`` for GraphQL. Entity permissions are enforced later, by
the operations (see schema_builder.operations.access), since only they know which entities a
request touches.
"""

from __future__ import annotations

from typing import Literal

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.responses import JSONResponse
from auth.errors import AdminRequiredError, AuthError, UnauthorizedRequestError
from auth.permissions import Permissions
from auth.principal import Principal

Protection = Literal["principal", "admin", "optional"]


def protection(path: str) -> Protection | None:
    if path.startswith("/dynamic-entity") or path == "/graphql" or path.startswith("/graphql/"):
        return "principal"
    if path.startswith("/graphiql/static/"):
        return None
    if path in ("/graphiql", "/graphiql/") or path == "/admin" or path.startswith("/admin/"):
        return "admin"
    if path == "/":
        return "optional"
    return None


def refusal(path: str, error: AuthError) -> JSONResponse:
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if path == "/graphql" or path.startswith("/graphql/"):
        body: object = {
            "errors": [
                {
                    "message": error.message,
                    "extensions": {"code": error.code, "status": error.status},
                }
            ]
        }
    else:
        body = [error.as_dict()]
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
        if needed is None or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        principal: Principal | None = None
        try:
            principal = await self._authenticate(scope)
            if needed == "admin" and not principal.is_admin:
                raise AdminRequiredError()
        except AuthError as error:
            if needed != "optional":
                await refusal(path, error)(scope, receive, send)
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope) -> Principal:
        headers = Headers(scope=scope)
        api_key = headers.get("x-api-key")
        if not api_key and b"api_key" in scope.get("query_string", b""):
            api_key = QueryParams(scope["query_string"]).get("api_key")
        authorization = headers.get("authorization")
        if not api_key and authorization is None:
            raise UnauthorizedRequestError()
        authenticator = scope["app"].state.gateway.authenticator
        principal: Principal = await authenticator.authenticate(api_key, authorization)
        return principal


def permissions_of(request: Request) -> Permissions:
    """The caller's permissions; the middleware has refused the request when there is none."""
    principal: Principal = request.state.principal
    return principal.permissions
