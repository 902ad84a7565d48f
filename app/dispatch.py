"""The API's requests straight to their endpoint, without walking the router.

``/dynamic-entity/{alias}``, ``/dynamic-entity/{alias}/{id}`` and ``/graphql`` (GET and POST)
are most of what a gateway serves. Starlette would match them against its routes, wrap each in
two more layers of exception handling and a request adapter, and only then call the endpoint;
that walk cost about a tenth of a by-id read. :class:`ApiDispatch` sits innermost in the
middleware stack (after the request guard and authentication, which every request still
passes) and calls these endpoints itself, handling their errors with the application's own
handlers, exactly as the routes would. Every other request — the OpenAPI document and page
under ``/dynamic-entity``, paths with empty segments (Starlette redirects or answers 404),
other methods on ``/graphql`` (405) — goes on to the router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app import openapi
from app.errors import handle_dexgate_error, handle_http_exception
from app.graphql import endpoint as graphql
from app.rest import endpoints as rest
from schema_builder.errors import DexgateError

Endpoint = Callable[[Request], Awaitable[Response]]

_PREFIX = "/dynamic-entity/"
# Paths under the prefix that belong to other routes (the router puts them first).
_TAKEN = frozenset(
    path.removeprefix(_PREFIX) for path in (openapi.DOCUMENT_PATH, openapi.DOCS_PATH)
)
_REST_METHODS = frozenset(rest.ALL_METHODS)
_GRAPHQL_METHODS = frozenset(("GET", "POST"))


def route(method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
    """The endpoint and path parameters the router would find, for the paths dispatched
    here; None for every other request."""
    if path == "/graphql":
        return (graphql.graphql_endpoint, {}) if method in _GRAPHQL_METHODS else None
    if not path.startswith(_PREFIX) or method not in _REST_METHODS:
        return None
    parts = path[len(_PREFIX) :].split("/")
    if len(parts) == 1:
        alias = parts[0]
        if alias and alias not in _TAKEN:
            return rest.collection, {"alias": alias}
    elif len(parts) == 2:
        alias, identifier = parts
        if alias and identifier:
            return rest.entity, {"alias": alias, "id": identifier}
    return None


class ApiDispatch:
    """Calls the REST and GraphQL endpoints directly; everything else goes to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = route(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        endpoint, scope["path_params"] = found
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except DexgateError as exc:
            response = await handle_dexgate_error(request, exc)
        except HTTPException as exc:
            response = await handle_http_exception(request, exc)
        await response(scope, receive, send)
