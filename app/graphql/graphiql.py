"""GraphiQL at ``/graphiql``, with its scripts served by dexgate (see app.assets.graphiql).

``/graphiql?query=...`` opens with that query in the editor, so a link can show a query; a
mutation (or anything that does not parse) is never put there, so that no link can make an
admin's click change data. The page's script is a file (app/page_assets/graphiql-start.js), as
its Content-Security-Policy allows no inline script (see app.page_security).
Opened with ``?api_key=``, GraphiQL sends that key; opened from a Back Office session, it sends
the session's CSRF token in ``X-CSRF-Token``, without which ``/graphql`` ignores the cookie.
"""

from __future__ import annotations

import contextlib
import html

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.assets.graphiql import ASSETS_DIR, PINNED, assets_present
from app.page_security import ASSETS_PATH

DEFAULT_QUERY = """# Welcome to dexgate's GraphiQL. Press Ctrl+Enter to run.
{
  products(limit: 5) {
    totalCount
    items { sku name price category { name } stocks { warehouse quantity } }
  }
}
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>dexgate GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/static/graphiql.min.css">
  <link rel="stylesheet" href="{assets}/graphiql.css">
</head>
<body>
  <div id="graphiql" data-default-query="{default_query}" data-query="{query}"
       data-csrf-token="{csrf_token}">Loading GraphiQL {version}…</div>
  <script src="/graphiql/static/react.production.min.js"></script>
  <script src="/graphiql/static/react-dom.production.min.js"></script>
  <script src="/graphiql/static/graphiql.min.js"></script>
  <script src="{assets}/graphiql-start.js"></script>
</body>
</html>
"""

MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL unavailable</title></head>
<body><h1>GraphiQL's assets are not built</h1>
<p>dexgate serves GraphiQL's scripts itself. Build them (needs npm and access to the npm
registry) with <code>make graphiql-assets</code> or
<code>python -m app.assets.graphiql</code>, then reload. The API at
<a href="/graphql">/graphql</a> works without them.</p></body></html>
"""


def prefill(query: str | None) -> str:
    """What the editor opens with from ``?query=``: the query when it only reads (parses, and
    every operation in it is a query), else nothing. A link must not be able to put a mutation
    under the admin's next click."""
    if not query:
        return ""
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return ""
    reads_only = all(
        not isinstance(d, OperationDefinitionNode) or d.operation is OperationType.QUERY
        for d in document.definitions
    )
    return query if reads_only else ""


class AssetFiles(StaticFiles):
    """GraphiQL's asset directory, which may be built after start-up: until then, files are 404."""

    async def check_config(self) -> None:
        with contextlib.suppress(RuntimeError):  # raised for a missing directory
            await super().check_config()


async def graphiql_page(request: Request) -> Response:
    if not assets_present():
        return HTMLResponse(MISSING, status_code=503)
    csrf_token: str | None = getattr(request.state, "csrf_token", None)
    body = PAGE.format(
        assets=ASSETS_PATH,
        version=html.escape(PINNED["graphiql"]),
        default_query=html.escape(DEFAULT_QUERY),
        query=html.escape(prefill(request.query_params.get("query"))),
        csrf_token=html.escape(csrf_token or ""),
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


routes = [
    Route("/graphiql", graphiql_page),
    Mount(
        "/graphiql/static",
        app=AssetFiles(directory=ASSETS_DIR, check_dir=False),
        name="graphiql-static",
    ),
]
