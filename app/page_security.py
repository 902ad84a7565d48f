"""The headers every HTML page of dexgate carries, set in one place.

GraphiQL (``/graphiql``), the API page (``/dynamic-entity/docs``) and the Back Office
(``/admin/...``), error pages included, may not be framed by any page (``frame-ancestors
'none'`` and ``X-Frame-Options: DENY``, so that no other site, nor another port of the same
host, can put them under a visitor's click), load scripts, styles, images and connections from
dexgate only (no inline script or style: the pages' own scripts are files, see app/page_assets/),
are never sniffed as another type, and send their address only to dexgate itself.

The pages' own scripts and styles are committed files in ``app/page_assets/``, served open
at ``/page-assets/`` (:data:`ASSETS_PATH`). :class:`PageHeaders` adds the headers to every
``text/html`` response; the API's paths, which answer JSON, are passed through untouched.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}
ASSETS_PATH = "/page-assets"
ASSETS_DIR = Path(__file__).resolve().parent / "page_assets"
_ENCODED = [(name.lower().encode(), value.encode()) for name, value in PAGE_HEADERS.items()]
_NAMES = {name for name, _ in _ENCODED}


def _may_be_html(path: str) -> bool:
    """False for the API's paths, which never answer HTML (the API page excepted)."""
    if path == "/graphql" or path.startswith("/graphql/"):
        return False
    return not path.startswith("/dynamic-entity/") or path == "/dynamic-entity/docs"


class PageHeaders:
    """Adds :data:`PAGE_HEADERS` to every HTML response, replacing any of the same name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_be_html(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    kept = [(k, v) for k, v in headers if k.lower() not in _NAMES]
                    message = {**message, "headers": kept + _ENCODED}
            await send(message)

        await self.app(scope, receive, send_with_headers)


routes = [Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS_DIR), name="page-assets")]
