"""Clickjacking and pre-filled mutations, as a page on another port of the same host tries them.

Every HTML page dexgate serves (GraphiQL, the API page, the Back Office) refuses to be framed
and allows only dexgate's own scripts and styles; GraphiQL never puts a mutation from its URL
into the editor, so no link can make an admin's click run one. The pages must still work under
that policy: tests/browser/test_graphiql.py, tests/browser/test_admin.py and
tests/openapi/test_docs_browser.py check them with the browser's console watched for refusals.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlencode

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

MUTATION = 'mutation { createCategories(items: [{name: "framed"}]) { items { id } } }'
PAGES = ("/graphiql", "/dynamic-entity/docs", "/admin/entities", "/admin/login")


@pytest.fixture
def attacker(live_server: str, admin_key: str) -> Iterator[str]:
    """A page on another port of 127.0.0.1 (same site, so a Lax cookie would be sent) that
    frames dexgate's GraphiQL with a mutation in its URL, and the admin's key."""
    target = f"{live_server}/graphiql?" + urlencode({"query": MUTATION, "api_key": admin_key})
    body = f'<!doctype html><iframe id="victim" src="{target}" width="900" height="600"></iframe>'

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def test_graphiql_framed_by_a_page_on_another_port_is_not_shown(
    browser_ready: None, live_server: str, attacker: str
) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            await page.goto(attacker)
            await page.wait_for_load_state("load")
            [frame] = [f for f in page.frames if f is not page.main_frame]
            # Chromium replaces a refused frame by its error page: GraphiQL never loads.
            assert await frame.locator(".graphiql-execute-button").count() == 0
            assert await frame.evaluate("typeof window.GraphiQL") == "undefined"
        finally:
            await browser.close()


async def test_graphiql_does_not_put_a_mutation_from_its_url_in_the_editor(
    browser_ready: None, live_server: str, admin_key: str
) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 720})
            opened = urlencode({"query": MUTATION, "api_key": admin_key})
            await page.goto(f"{live_server}/graphiql?{opened}")
            editor = page.locator(".graphiql-query-editor")
            await expect(editor).to_contain_text("Welcome to dexgate", timeout=15_000)
            await expect(editor).not_to_contain_text("createCategories")
            await page.locator(".graphiql-execute-button").click()
            await expect(page.locator(".graphiql-response")).to_contain_text('"products"')
        finally:
            await browser.close()
    async with httpx.AsyncClient(base_url=live_server, headers={"X-Api-Key": admin_key}) as api:
        found = await api.get(
            "/dynamic-entity/categories", params={"filter[categories.name]": "framed"}
        )
    assert found.json()["data"] == []


@pytest.mark.parametrize("path", PAGES)
async def test_every_html_page_forbids_framing_and_foreign_assets(
    live_server: str, admin_key: str, path: str
) -> None:
    async with httpx.AsyncClient(base_url=live_server) as http:
        # The login page is shown to a visitor without credentials.
        key = {} if path == "/admin/login" else {"api_key": admin_key}
        response = await http.get(path, params=key)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    policy = {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in response.headers["content-security-policy"].split(";")
    }
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'"
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "<script>" not in response.text  # every script is a file of dexgate's


async def test_an_html_error_page_carries_the_same_headers(
    live_server: str, admin_key: str
) -> None:
    async with httpx.AsyncClient(base_url=live_server) as http:
        response = await http.get(
            "/admin/entities/" + quote("no-such-entity"), params={"api_key": admin_key}
        )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
