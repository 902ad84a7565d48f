"""The Back Office in headless Chromium, served by a real uvicorn server.

A new admin logs in, creates an API key that the test then uses over REST, revokes it in the
page, and the key is refused. The server caches no principal (``auth_cache_seconds=0``), so the
revocation must show on the very next request. ``DEXGATE_ADMIN_SCREENSHOTS=docs/images`` saves
the screenshots of the main pages there (``admin-entities.png``, ``admin-api-keys.png``) instead
of in the test's temporary directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    async_playwright,
    expect,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from app.assets.swagger import assets_present as swagger_assets_present
from app.settings import Settings
from auth import store
from auth.permissions import ADMIN_ROLE
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, REQUIRE_BROWSER

USERNAME = "ada"
PASSWORD = "analytical engine"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test",
        catalog_check_interval=0,
        auth_cache_seconds=0,
    )


@pytest.fixture
async def new_admin(engine: AsyncEngine) -> str:
    await store.create_user(engine, USERNAME, PASSWORD, [ADMIN_ROLE])
    await store.set_role(engine, "catalog", ["products:read", "categories:read"])
    return USERNAME


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = os.environ.get("DEXGATE_ADMIN_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


class Watch:
    """What the page did that it should not: script errors, console errors (CSP refusals are
    reported there), failed loads and requests to another host. GraphiQL's page has no icon, so
    the browser's own request for /favicon.ico may fail."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        # A failed load is reported with its URL by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.problems.append(f"{response.status}: {response.url}")

    def _request(self, request: object) -> None:
        url: str = getattr(request, "url", "")
        if urlsplit(url).hostname not in LOCAL_HOSTS:
            self.problems.append(f"foreign request: {url}")


@pytest.fixture
async def chromium(chromium_ready: None) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def log_in(page: Page, base: str, path: str = "/admin/entities") -> None:
    await page.goto(f"{base}{path}")
    await expect(page).to_have_url(f"{base}/admin/login?next={path.replace('/', '%2F')}")
    await page.fill("#username", USERNAME)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]:has-text('Log in')")
    await expect(page).to_have_url(f"{base}{path}")


async def test_an_admin_creates_a_key_that_works_and_revokes_it_in_the_browser(
    chromium: Browser, live_server: str, new_admin: str, screenshots: Path
) -> None:
    context = await chromium.new_context(viewport={"width": 1280, "height": 800})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = await context.new_page()
    watch = Watch(page)

    await log_in(page, live_server)
    await expect(page.locator(".who")).to_have_text(USERNAME)
    await expect(page.locator("table.list")).to_contain_text("product-stocks")
    await page.screenshot(path=screenshots / "admin-entities.png", full_page=True)

    await page.click("nav >> text=API keys")
    await page.fill("#name", "erp-sync")
    await page.select_option("#roles", ["catalog"])
    await page.click("button:has-text('Create key')")
    shown = page.locator("#new-key")
    await expect(shown).to_have_text(re.compile(r"^dxg_[A-Za-z0-9_-]{43}$"))
    key = await shown.inner_text()
    await page.click("button[data-copy=new-key]")
    await expect(page.locator("button[data-copy=new-key]")).to_have_text("Copied")
    assert await page.evaluate("navigator.clipboard.readText()") == key
    await page.screenshot(path=screenshots / "admin-api-keys.png", full_page=True)

    async with httpx.AsyncClient(base_url=live_server, headers={"X-Api-Key": key}) as api:
        served = await api.get("/dynamic-entity/products?page[offset]=0&page[limit]=2")
        assert served.status_code == 200
        assert len(served.json()["data"]) == 2

        await page.click("nav >> text=API keys")
        row = page.locator("tr", has_text="erp-sync")
        await expect(row).to_contain_text("active")
        assert key not in await page.content()
        page.once("dialog", lambda dialog: dialog.accept())
        await row.locator("button:has-text('Revoke')").click()
        await expect(page.locator(".flash")).to_contain_text("API key erp-sync is revoked.")
        await expect(page.locator("tr", has_text="erp-sync")).to_contain_text("revoked")

        refused = await api.get("/dynamic-entity/products")
        assert refused.status_code == 403
        assert refused.json()[0]["code"] == "DX120"

    await page.click("button:has-text('Log out')")
    await expect(page).to_have_url(f"{live_server}/admin/login")
    await expect(page.locator(".flash")).to_have_text("You are logged out.")
    await page.goto(f"{live_server}/admin/api-keys")
    await expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    await context.close()
    assert watch.problems == []


async def test_graphiql_opened_from_an_entity_runs_its_query_with_the_session(
    browser_ready: None, chromium: Browser, live_server: str, new_admin: str
) -> None:
    page = await chromium.new_page(viewport={"width": 1280, "height": 800})
    watch = Watch(page)
    await log_in(page, live_server, "/admin/entities/categories")
    await page.click("text=Open in GraphiQL")
    await expect(page).to_have_url(re.compile(r"/graphiql\?query="))
    await page.locator(".graphiql-execute-button").click()
    result = page.locator(".graphiql-response")
    await expect(result).to_contain_text('"categories"', timeout=15_000)
    await expect(result).to_contain_text('"items"')
    assert watch.problems == []


async def test_an_admin_exposes_a_new_table_end_to_end_in_the_browser(
    chromium: Browser,
    live_server: str,
    new_admin: str,
    screenshots: Path,
) -> None:
    """Log in, create an entity from the demo's unregistered table of product reviews, set a
    validation rule (first an invalid one,
    shown beside its input), add a relationship, activate it, grant it to a role, create an
    API key, call REST with the key, then revoke the key and be refused."""
    page = await chromium.new_page(viewport={"width": 1400, "height": 900})
    watch = Watch(page)
    await log_in(page, live_server)

    await page.click("text=New entity from a table")
    await page.select_option("#table", "product_review")
    await page.click("button:has-text('Continue')")
    await expect(page.locator("h1")).to_contain_text("New entity from table product_review")
    await expect(page.locator("#alias")).to_have_value("product-reviews")
    stars = page.locator("tr[data-column=rating]")
    await stars.locator("summary:has-text('Rules')").click()
    minimum = stars.locator("input[name$='-min']")
    await minimum.fill("one")
    await stars.locator("input[name$='-max']").fill("5")
    await page.fill("input[name='relation-0-name']", "product")
    await page.select_option("select[name='relation-0-kind']", "belongsTo")
    await page.select_option("select[name='relation-0-target']", "products")
    await page.fill("input[name='relation-0-child_field']", "product_id")
    await page.fill("input[name='relation-0-parent_field']", "id_product")
    await page.click("button:has-text('Create entity')")

    await expect(page.locator(".flash.error")).to_contain_text("Nothing was saved")
    stars = page.locator("tr[data-column=rating]")
    minimum = stars.locator("input[name$='-min']")
    await expect(minimum).to_have_value("one")
    await expect(minimum).to_have_attribute("aria-invalid", "true")
    await expect(stars.locator(".field-error")).to_have_text("Enter an integer.")
    await expect(page.locator("input[name='relation-0-name']")).to_have_value("product")
    await page.screenshot(path=screenshots / "admin-entity-edit.png", full_page=True)
    await minimum.fill("1")
    await page.click("button:has-text('Create entity')")
    await expect(page.locator(".flash.ok")).to_have_text("product-reviews is created: inactive.")
    await expect(page.locator("table.list").last).to_contain_text("product")

    await page.click("nav >> text=Entities")
    row = page.locator("tr", has_text="product-reviews")
    await row.locator("button:has-text('Activate')").click()
    await expect(page.locator(".flash")).to_contain_text("product-reviews is active")

    await page.click("nav >> text=Roles")
    await page.click("text=New role")
    await page.fill("#name", "review-writer")
    for grant in ("product-reviews read", "product-reviews create", "products read"):
        await page.get_by_label(grant, exact=True).check()
    await page.click("button:has-text('Save role')")
    await expect(page.locator("tr", has_text="review-writer")).to_contain_text("product-reviews:")

    await page.click("nav >> text=API keys")
    await page.fill("#name", "review-sync")
    await page.select_option("#roles", ["review-writer"])
    await page.click("button:has-text('Create key')")
    key = await page.locator("#new-key").inner_text()

    async with httpx.AsyncClient(base_url=live_server, headers={"X-Api-Key": key}) as api:
        review = {"product_id": 1, "title": "Sturdy", "created_at": "2026-11-27T10:00:00"}
        created = await api.post("/dynamic-entity/product-reviews", json={"data": [review]})
        assert created.status_code == 400
        assert created.json()[0]["code"] == "1307"  # rating is required (NOT NULL)
        created = await api.post(
            "/dynamic-entity/product-reviews", json={"data": [{**review, "rating": 4}]}
        )
        assert created.status_code == 201, created.text
        refused = await api.post(
            "/dynamic-entity/product-reviews", json={"data": [{**review, "rating": 6}]}
        )
        assert refused.status_code == 400
        assert refused.json()[0]["code"] == "1306"
        served = await api.get(
            "/dynamic-entity/product-reviews",
            params={"filter[product-reviews.title]": "Sturdy", "include": "product"},
        )
        assert served.status_code == 200, served.text
        [item] = served.json()["data"]
        assert (item["title"], item["rating"], item["product"]["id_product"]) == ("Sturdy", 4, 1)
        demo_reviews = await api.get("/dynamic-entity/product-reviews?page[limit]=500")
        assert len(demo_reviews.json()["data"]) > 60

        await page.click("nav >> text=API keys")
        page.once("dialog", lambda dialog: dialog.accept())
        await (
            page.locator("tr", has_text="review-sync").locator("button:has-text('Revoke')").click()
        )
        await expect(page.locator(".flash")).to_contain_text("API key review-sync is revoked.")
        gone = await api.get("/dynamic-entity/product-reviews")
        assert gone.status_code == 403
        assert gone.json()[0]["code"] == "DX120"
    # The refused form is answered with its status, 400; nothing else may have gone wrong.
    assert watch.problems == [f"400: {live_server}/admin/new-entity"]


@pytest.fixture
def swagger_ready() -> None:
    """As tests/openapi/test_docs_browser.py: skipped without Swagger UI's assets, or failing
    where ``DEXGATE_REQUIRE_BROWSER=1``."""
    if not swagger_assets_present():
        reason = "Swagger UI's assets are not built: run `make swagger-assets` (needs npm)"
        if REQUIRE_BROWSER:
            pytest.fail(reason)
        pytest.skip(reason)


async def test_the_api_page_linked_from_the_entities_page_works_with_the_session(
    swagger_ready: None, chromium: Browser, live_server: str, new_admin: str, screenshots: Path
) -> None:
    page = await chromium.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page)
    await log_in(page, live_server)
    await page.click("a[href='/dynamic-entity/docs']")
    await expect(page).to_have_url(f"{live_server}/dynamic-entity/docs")
    await expect(page.locator(".info .title")).to_contain_text(
        "dexgate Data Exchange API", timeout=15_000
    )
    # Try a request: Swagger UI sends the session's CSRF token with it.
    operation = page.locator("#operations-countries-getCountry")
    await operation.locator(".opblock-summary").click()
    await operation.get_by_role("button", name="Try it out").click()
    await operation.locator("input[placeholder='id']").fill("1")
    await operation.get_by_role("button", name="Execute").click()
    await expect(operation.locator(".responses-table.live-responses-table")).to_contain_text(
        "Germany", timeout=15_000
    )
    await page.screenshot(path=screenshots / "api-page-session.png")
    assert watch.problems == []


async def test_the_api_page_asks_a_browser_without_credentials_for_a_key(
    swagger_ready: None, chromium: Browser, live_server: str, admin_key: str, screenshots: Path
) -> None:
    page = await chromium.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{live_server}/dynamic-entity/docs")
    await expect(page.locator("h1")).to_have_text("dexgate API")
    await page.screenshot(path=screenshots / "api-page-key.png")
    await page.fill("#api_key", admin_key)
    await page.click("button:has-text('Open the API page')")
    await expect(page.locator(".info .title")).to_contain_text(
        "dexgate Data Exchange API", timeout=15_000
    )
    await expect(page.locator("#operations-tag-products")).to_be_visible()


OVERLAPS = """() => {
  // Every visible label of the editor's form (labels and .label captions), as boxes; the
  // pairs whose boxes intersect by more than a pixel. An inline label's box covers its text
  // even where the text runs out of its grid cell.
  const boxes = [...document.querySelectorAll("form label, form .label")]
    .map((element) => ({ element, box: element.getBoundingClientRect() }))
    .filter(({ box }) => box.width > 0 && box.height > 0);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].box, b = boxes[j].box;
      const width = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const height = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (width > 1 && height > 1) {
        const name = (k) => boxes[k].element.textContent.trim()
          + ` (${Math.round(boxes[k].box.left)},${Math.round(boxes[k].box.top)})`;
        overlaps.push([name(i), name(j)]);
      }
    }
  }
  return { count: boxes.length, overlaps };
}"""


@pytest.mark.parametrize("width", [1280, 1920])
async def test_the_entity_editor_labels_do_not_overlap(
    chromium: Browser, live_server: str, new_admin: str, screenshots: Path, width: int
) -> None:
    page = await chromium.new_page(viewport={"width": width, "height": 900})
    watch = Watch(page)
    await log_in(page, live_server, "/admin/entities/products/edit")
    while await page.locator("details.rules:not([open])").count():
        # Every field's rules open, as a click opens them: the densest the editor gets.
        await page.locator("details.rules:not([open]) > summary").first.click()
    await expect(page.locator("details.rules:not([open])")).to_have_count(0)
    found = await page.evaluate(OVERLAPS)
    await page.screenshot(path=screenshots / f"admin-entity-editor-{width}.png", full_page=True)

    assert found["count"] > 100  # the rules of 7 fields, and the entity's own labels
    assert found["overlaps"] == [], "\n".join(" / ".join(pair) for pair in found["overlaps"])
    assert watch.problems == []
