"""``GET /dynamic-entity/openapi.json``, the OpenAPI document of what the caller may read, and
``GET /dynamic-entity/docs``, Swagger UI on it, its files served by dexgate (app.assets.swagger).

Both sit under ``/dynamic-entity``, so the authentication middleware wants credentials for
them like for the entities: ``/dynamic-entity/docs?api_key=KEY`` opens the page, which hands
the key to Swagger UI for every request it makes (the Authorize button sets other credentials);
opened from the admin's Back Office session, the page hands Swagger UI the session's CSRF
token instead (see app.docs_access, which also asks anyone else for a key on a page).
Swagger UI's own files are open, at ``/swagger-ui/static/``.
"""

from __future__ import annotations

import asyncio
import html
from importlib import metadata

import orjson
from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from app import docs_access
from app.assets.swagger import ASSETS_DIR, PINNED, assets_present
from app.gateway import Gateway
from app.graphql.graphiql import AssetFiles
from app.page_security import ASSETS_PATH
from app.rest import endpoints as rest
from auth.principal import Principal
from schema_builder.catalog import Catalog
from schema_builder.openapi.document import OpenAPIOptions, build_document

DOCUMENT_PATH = "/dynamic-entity/openapi.json"
DOCS_PATH = docs_access.DOCS_PATH
STATIC_PATH = "/swagger-ui/static"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>dexgate API</title>
  <link rel="icon" type="image/png" href="{static}/favicon-32x32.png">
  <link rel="stylesheet" href="{static}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-document="{document}"
       data-csrf-token="{csrf_token}">Loading Swagger UI {version}…</div>
  <script src="{static}/swagger-ui-bundle.js"></script>
  <script src="{assets}/swagger-start.js"></script>
</body>
</html>
"""

MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API page unavailable</title></head>
<body><h1>Swagger UI's assets are not built</h1>
<p>dexgate serves Swagger UI's scripts itself. Build them (needs npm and access to the npm
registry) with <code>make swagger-assets</code> or <code>python -m app.assets.swagger</code>,
then reload. The OpenAPI document at <a href="/dynamic-entity/openapi.json">
/dynamic-entity/openapi.json</a> works without them.</p></body></html>
"""


def api_version() -> str:
    try:
        return metadata.version("dexgate")
    except metadata.PackageNotFoundError:
        return "0.0.0"


class DocumentCache:
    """Rendered documents of the newest catalog version, per set of readable aliases
    (``None``: every entity); building one for a newer version drops the older ones."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: LRUCache[tuple[int, frozenset[str] | None], bytes] = LRUCache(max_entries)
        self.builds = 0

    async def document(self, catalog: Catalog, options: OpenAPIOptions) -> bytes:
        key = (catalog.version, options.readable)
        body = self._entries.get(key)
        if body is not None:
            return body
        body = await asyncio.to_thread(_render, catalog, options)
        self.builds += 1
        for stale in [k for k in self._entries if k[0] != catalog.version]:
            del self._entries[stale]
        self._entries[key] = body
        return body


def _render(catalog: Catalog, options: OpenAPIOptions) -> bytes:
    return orjson.dumps(build_document(catalog, options))


def routes(version: str | None = None) -> list[BaseRoute]:
    """The routes, each application with its own cache; they must come before the REST
    routes, whose ``/dynamic-entity/{alias}`` would take ``openapi.json`` for an alias."""
    cache = DocumentCache()
    api = version or api_version()

    async def document(request: Request) -> Response:
        gateway: Gateway = request.app.state.gateway
        principal: Principal = request.state.principal
        catalog = await gateway.registry.current()
        readable = None
        if not principal.is_admin:
            readable = frozenset(principal.permissions.readable(catalog.entities))
        options = OpenAPIOptions(
            readable=readable,
            max_page_size=gateway.settings.max_page_size,
            default_page_size=gateway.settings.default_page_size,
            version=api,
        )
        body = await cache.document(catalog, options)
        return Response(
            body, media_type="application/json", headers={"Cache-Control": "private, no-cache"}
        )

    return [
        Route(DOCUMENT_PATH, document, methods=["GET"]),
        Route(DOCS_PATH, docs_page, methods=["GET"]),
        Mount(
            STATIC_PATH,
            app=AssetFiles(directory=ASSETS_DIR, check_dir=False),
            name="swagger-ui-static",
        ),
    ]


async def docs_page(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    catalog = await gateway.registry.current()
    if "docs" in catalog.entities:
        # An entity registered as `docs` keeps its Spryker route; the page gives way.
        scope = {**request.scope, "path_params": {"alias": "docs"}}
        return await rest.collection(Request(scope, request.receive))
    if not assets_present():
        return HTMLResponse(MISSING, status_code=503)
    body = PAGE.format(
        static=STATIC_PATH,
        assets=ASSETS_PATH,
        document=DOCUMENT_PATH,
        version=html.escape(PINNED["swagger-ui-dist"]),
        csrf_token=html.escape(getattr(request.state, "csrf_token", None) or ""),
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})
