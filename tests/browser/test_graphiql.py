"""GraphiQL at ``/graphiql``, loaded in headless Chromium from a real uvicorn server.

The browser is Debian's ``chromium`` package (``/usr/bin/chromium``), driven by Playwright; no
browser is ever downloaded. Without it, or without the assets (``make graphiql-assets``), the
browser test is skipped with the reason, or fails where ``DEXGATE_REQUIRE_BROWSER=1`` (as in CI).
``DEXGATE_GRAPHIQL_SCREENSHOT=docs/images/graphiql.png`` saves the screenshot there instead of in
the test's temporary directory.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from graphql import get_introspection_query
from playwright.async_api import ConsoleMessage, async_playwright, expect
from starlette.applications import Starlette
from starlette.routing import Mount

import app.graphql.graphiql
from app.assets.graphiql import assets_present
from app.gateway import Gateway
from app.graphql.graphiql import AssetFiles
from auth import store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REQUIRE_BROWSER


def console_errors(message: ConsoleMessage) -> list[str]:
    """The console's error, unless it only reports a failed load."""
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        return [message.text]
    return []


QUERY = "{ products(limit: 2) { items { sku category { name } } } }"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


async def test_graphiql_runs_a_query_in_headless_chromium_with_local_assets_only(
    browser_ready: None, live_server: str, tmp_path: Path, admin_key: str
) -> None:
    async with httpx.AsyncClient(base_url=live_server, headers={"X-Api-Key": admin_key}) as http:
        answer = (await http.post("/graphql", json={"query": QUERY})).json()
    items: list[dict[str, Any]] = answer["data"]["products"]["items"]
    assert len(items) == 2

    requested: list[str] = []
    page_errors: list[str] = []
    statuses: list[tuple[str, int]] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("request", lambda request: requested.append(request.url))
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            # The Content-Security-Policy's refusals are reported on the console (failed
            # loads too, the browser's own /favicon.ico among them: statuses are checked below).
            page.on("console", lambda message: page_errors.extend(console_errors(message)))
            page.on("response", lambda response: statuses.append((response.url, response.status)))
            opened = urlencode({"query": QUERY, "api_key": admin_key})
            await page.goto(f"{live_server}/graphiql?{opened}")
            await page.locator(".graphiql-execute-button").click()
            result = page.locator(".graphiql-response")
            for item in items:
                await expect(result).to_contain_text(item["sku"], timeout=15_000)
                await expect(result).to_contain_text(item["category"]["name"])
            screenshot = os.environ.get("DEXGATE_GRAPHIQL_SCREENSHOT")
            await page.screenshot(path=Path(screenshot) if screenshot else tmp_path / "page.png")
        finally:
            await browser.close()

    assert page_errors == []
    assert f"{live_server}/graphiql/static/graphiql.min.js" in requested
    # GraphiQL introspects the schema (for its docs and completion) and runs the query.
    graphql = [status for url, status in statuses if url == f"{live_server}/graphql"]
    assert len(graphql) >= 2
    assert set(graphql) == {200}
    foreign = [url for url in requested if urlsplit(url).hostname not in LOCAL_HOSTS]
    assert foreign == [], "GraphiQL must not load anything from another host"


async def test_graphiqls_introspection_query_is_within_the_depth_limit(
    client: httpx.AsyncClient,
) -> None:
    query = get_introspection_query(input_value_deprecation=True, schema_description=True)
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["queryType"] == {"name": "Query", "kind": "OBJECT"}


async def test_introspection_nested_past_the_depth_limit_is_still_refused(
    client: httpx.AsyncClient,
) -> None:
    nested = "name"
    for _ in range(6):
        nested = f"fields {{ type {{ ofType {{ {nested} }} }} }}"
    response = await client.post(
        "/graphql", json={"query": f"{{ __schema {{ types {{ {nested} }} }} }}"}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "DX136"
    assert "levels deep" in error["message"]


async def test_graphiql_serves_its_assets_from_dexgate(client: httpx.AsyncClient) -> None:
    if not assets_present():
        reason = "GraphiQL's assets are not built: run `make graphiql-assets` (needs npm)"
        if REQUIRE_BROWSER:
            pytest.fail(reason)
        pytest.skip(reason)
    page = await client.get("/graphiql")
    assert page.status_code == 200
    assert 'src="/graphiql/static/graphiql.min.js"' in page.text
    script = await client.get("/graphiql/static/graphiql.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


async def test_graphiql_is_refused_without_credentials_and_to_non_admins(
    anonymous: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "reader", ["*:read"])
    key = await store.create_api_key(gateway.engine, "reader", ["reader"])
    refused = await anonymous.get("/graphiql")
    assert refused.status_code == 403
    assert refused.json() == [{"status": 403, "code": "DX120", "message": "Unauthorized request."}]
    not_admin = await anonymous.get("/graphiql", params={"api_key": key})
    assert not_admin.status_code == 403
    assert not_admin.json()[0]["code"] == "DX123"


async def test_graphiql_without_assets_answers_503_saying_how_to_build_them(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.graphql.graphiql, "assets_present", lambda: False)
    page = await client.get("/graphiql")
    assert page.status_code == 503
    assert "make graphiql-assets" in page.text


async def test_graphiql_assets_not_built_yet_are_404_not_500(tmp_path: Path) -> None:
    files = AssetFiles(directory=tmp_path / "not-built", check_dir=False)
    transport = httpx.ASGITransport(app=Starlette(routes=[Mount("/static", files)]))
    async with httpx.AsyncClient(transport=transport, base_url="http://dexgate.test") as client:
        response = await client.get("/static/graphiql.min.js")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("{ countries { items { name } } }", "{ countries { items { name } } }"),
        ("query Q { a: countries { totalCount } } fragment F on Country { name }", "same"),
        ("mutation { deleteCountries(filter: {}) { count } }", ""),
        ("{ countries { totalCount } } mutation M { deleteCountries { count } }", ""),
        ("subscription { countries }", ""),
        ("mutation {", ""),
    ],
)
async def test_graphiql_prefills_only_queries_from_its_url(
    client: httpx.AsyncClient, given: str, shown: str
) -> None:
    if not assets_present():
        pytest.skip("GraphiQL's assets are not built: run `make graphiql-assets` (needs npm)")
    page = await client.get("/graphiql", params={"query": given})
    assert page.status_code == 200
    expected = given if shown == "same" else shown
    assert f'data-query="{html.escape(expected)}"' in page.text
