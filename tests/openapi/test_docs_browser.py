"""``/dynamic-entity/docs?api_key=KEY`` in headless Chromium from a real uvicorn server: Swagger
UI loads the OpenAPI document with the key, shows the entities, runs a request, and nothing is
fetched from another host. Skipped like tests/browser (Debian's ``chromium``, built assets), or
failing where ``DEXGATE_REQUIRE_BROWSER=1``; on SQLite only, as the browser suite."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import async_playwright, expect

from app.assets.swagger import assets_present
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REQUIRE_BROWSER
from tests.browser.test_graphiql import LOCAL_HOSTS, console_errors


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def browser_ready() -> None:
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's package (apt-get install chromium)"
    elif not assets_present():
        reason = "Swagger UI's assets are not built: run `make swagger-assets` (needs npm)"
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(reason)
        pytest.skip(reason)


async def test_swagger_ui_shows_the_api_and_runs_a_request_with_local_files_only(
    browser_ready: None,
    live_server: str,
    admin_key: str,
    tmp_path: Path,
) -> None:
    requested: list[str] = []
    page_errors: list[str] = []
    statuses: dict[str, int] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requested.append(request.url))
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            # The Content-Security-Policy's refusals are reported on the console (failed
            # loads too, the browser's own /favicon.ico among them: statuses are checked below).
            page.on("console", lambda message: page_errors.extend(console_errors(message)))
            page.on("response", lambda r: statuses.__setitem__(urlsplit(r.url).path, r.status))
            await page.goto(f"{live_server}/dynamic-entity/docs?api_key={admin_key}")
            await expect(page.locator(".info .title")).to_contain_text(
                "dexgate Data Exchange API", timeout=15_000
            )
            for alias in ("categories", "countries", "product-stocks", "products"):
                await expect(page.locator(f"#operations-tag-{alias}")).to_be_visible()

            # Open "GET /dynamic-entity/countries/{id}", try it out with id 1.
            operation = page.locator("#operations-countries-getCountry")
            await operation.locator(".opblock-summary").click()
            await operation.get_by_role("button", name="Try it out").click()
            await operation.locator("input[placeholder='id']").fill("1")
            await operation.get_by_role("button", name="Execute").click()
            await expect(
                operation.locator(".responses-table.live-responses-table")
            ).to_contain_text("Germany", timeout=15_000)
            await page.screenshot(path=tmp_path / "docs.png", full_page=False)
        finally:
            await browser.close()

    assert page_errors == []
    assert statuses["/dynamic-entity/openapi.json"] == 200
    assert statuses["/dynamic-entity/countries/1"] == 200
    assert f"{live_server}/swagger-ui/static/swagger-ui-bundle.js" in requested
    foreign = [url for url in requested if urlsplit(url).hostname not in LOCAL_HOSTS]
    assert foreign == [], "the API page must not load anything from another host"
