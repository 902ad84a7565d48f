"""Who may open the API page at ``/dynamic-entity/docs``, and what the others see.

The page sits under ``/dynamic-entity``, so it needs credentials like the entities: an API key
(``?api_key=``), a bearer token, or — as ``/graphiql`` — the admin's Back Office session
cookie. Swagger UI opened from the session sends the session's CSRF token in ``X-CSRF-Token``
with each request it makes under ``/dynamic-entity``; without it the API ignores the cookie, so
a page of another site cannot use an admin's session. A browser without credentials gets an
HTML page asking for a key (or to log in), not the API's JSON refusal.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from starlette.responses import HTMLResponse

DOCS_PATH = "/dynamic-entity/docs"

KEY_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>dexgate API: a key is needed</title>
  <style>
    body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;
            padding: 0 1rem; color: #1f2933; }}
    input {{ font: inherit; padding: .3rem .5rem; width: 22rem; max-width: 100%; }}
    button {{ font: inherit; padding: .3rem .9rem; }}
    .why {{ color: #7b341e; }}
  </style>
</head>
<body>
  <h1>dexgate API</h1>
  <p>This page describes the REST API and runs requests with your credentials; it shows
  the entities your key may read.</p>
  {refused}
  <form method="get" action="{docs}">
    <label for="api_key">API key</label><br>
    <input id="api_key" name="api_key" type="password" autocomplete="off" required
      placeholder="dxg_…">
    <button type="submit">Open the API page</button>
  </form>
  <p>An administrator can instead <a href="{login}">log in to the Back Office</a>, which
  leads back here. Keys are created there (<em>API keys</em>) or with
  <code>dexgate apikey create NAME --role ROLE</code>.</p>
</body>
</html>
"""


def needs_csrf_header(path: str) -> bool:
    """Whether the session cookie counts on ``path`` only with its CSRF header: everywhere it
    is accepted but on the pages themselves (GraphiQL, the Back Office, this page)."""
    return path == "/graphql" or (path.startswith("/dynamic-entity") and path != DOCS_PATH)


def key_page(refused: str | None, status: int) -> HTMLResponse:
    """The page asking for a key; ``refused``: why the credentials given were refused."""
    why = "" if refused is None else f'<p class="why">Refused: {html.escape(refused)}</p>'
    body = KEY_PAGE.format(
        refused=why,
        docs=DOCS_PATH,
        login=html.escape("/admin/login?" + urlencode({"next": DOCS_PATH})),
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
