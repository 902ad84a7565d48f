"""GraphiQL at ``/graphiql``, with its scripts served by dexgate (see app.assets.graphiql).

``/graphiql?query=...`` opens with that query in the editor, so a link can show a query.
Opened with ``?api_key=``, GraphiQL sends that key; opened from a Back Office session, it sends
the session's CSRF token in ``X-CSRF-Token``, without which ``/graphql`` ignores the cookie.
"""

from __future__ import annotations

import contextlib
import html
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.assets.graphiql import ASSETS_DIR, PINNED, assets_present

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
  <style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL {version}…</div>
  <script src="/graphiql/static/react.production.min.js"></script>
  <script src="/graphiql/static/react-dom.production.min.js"></script>
  <script src="/graphiql/static/graphiql.min.js"></script>
  <script>
    const params = new URLSearchParams(window.location.search);
    // The page was opened with the admin's key (?api_key=...): GraphiQL sends it on.
    const apiKey = params.get("api_key");
    // Opened from a Back Office session: the cookie counts on /graphql only with this token.
    const csrfToken = {csrf_token};
    const fetcher = GraphiQL.createFetcher({{
      url: "/graphql",
      headers: apiKey
        ? {{ "X-Api-Key": apiKey }}
        : csrfToken ? {{ "X-CSRF-Token": csrfToken }} : {{}},
    }});
    const root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(React.createElement(GraphiQL, {{
      fetcher: fetcher,
      defaultQuery: {default_query},
      query: params.get("query") || undefined,
      defaultEditorToolsVisibility: true,
    }}));
  </script>
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
        version=html.escape(PINNED["graphiql"]),
        default_query=json.dumps(DEFAULT_QUERY).replace("</", "<\\/"),
        csrf_token=json.dumps(csrf_token),
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
