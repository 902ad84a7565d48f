"""Who reaches the Back Office, GraphiQL and /graphql with the session cookie, and the CSRF
token every state-changing request of a session must carry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.routing import Route

from app.gateway import Gateway
from app.page_security import ASSETS_PATH
from auth import store
from tests.admin.conftest import browser_of, csrf_of, log_in, session_csrf

PAGES = [
    "/admin/entities",
    "/admin/entities/products",
    "/admin/api-keys",
    "/admin/clients",
    "/admin/users",
    "/admin/roles",
    "/admin/roles/edit",
]
JSON = {"Accept": "application/json"}
DOCS = "/dynamic-entity/docs"
QUERY = {"query": "{ countries(limit: 1) { items { name } } }"}


@pytest.mark.parametrize("path", PAGES)
async def test_each_page_renders_for_an_admin(admin: httpx.AsyncClient, path: str) -> None:
    response = await admin.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    for label in ("Entities", "API keys", "OAuth clients", "Users", "Roles", "GraphiQL"):
        assert f">{label}</a>" in response.text
    assert "Log out" in response.text


@pytest.mark.parametrize("path", PAGES)
async def test_without_a_session_pages_lead_to_the_login_and_api_calls_get_403(
    browser: httpx.AsyncClient, path: str
) -> None:
    page = await browser.get(path)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/admin/login?next=%2Fadmin%2F")
    api = await browser.get(path, headers=JSON)
    assert api.status_code == 403
    assert api.json() == [{"status": 403, "code": "DX120", "message": "Unauthorized request."}]


async def test_a_non_admin_key_is_refused_and_an_admin_key_may_look(
    anonymous: httpx.AsyncClient, gateway: Gateway, admin_key: str
) -> None:
    await store.set_role(gateway.engine, "reader", ["*:read"])
    reader = await store.create_api_key(gateway.engine, "reader", ["reader"])
    refused = await anonymous.get("/admin/entities", headers={"X-Api-Key": reader})
    assert refused.status_code == 403
    assert refused.json()[0]["code"] == "DX123"
    shown = await anonymous.get("/admin/entities", headers={"X-Api-Key": admin_key})
    assert shown.status_code == 200


async def test_credentials_in_headers_need_no_csrf_token(
    anonymous: httpx.AsyncClient, gateway: Gateway, admin_key: str
) -> None:
    """A browser never adds an X-Api-Key header to another site's form on its own."""
    response = await anonymous.post(
        "/admin/api-keys",
        data={"name": "scripted", "roles": "admin"},
        headers={"X-Api-Key": admin_key, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert "scripted" in [k.name for k in await store.list_api_keys(gateway.engine)]


def _post_routes(app: Any) -> list[str]:
    return [
        route.path.replace("{alias}", "products")
        for route in app.routes
        if isinstance(route, Route)
        and route.path.startswith("/admin/")
        and "POST" in (route.methods or ())
        and route.path != "/admin/login"
    ]


async def test_every_back_office_post_without_the_csrf_token_is_refused(
    admin: httpx.AsyncClient, gateway_app: Any, gateway: Gateway
) -> None:
    routes = _post_routes(gateway_app)
    assert len(routes) >= 15
    good = await session_csrf(admin)
    before = (
        await gateway.registry.configurations(),
        await store.list_api_keys(gateway.engine),
        await store.list_roles(gateway.engine),
        await store.list_users(gateway.engine),
    )
    for path in routes:
        for token in (None, "", "0" * len(good), good[:-1]):
            data = {"name": "x", "username": "root", "password": "long enough", "roles": "admin"}
            if token is not None:
                data["csrf_token"] = token
            response = await admin.post(path, data=data)
            assert response.status_code == 403, (path, token, response.text)
            assert "Reload the page" in response.text
    after = (
        await gateway.registry.configurations(),
        await store.list_api_keys(gateway.engine),
        await store.list_roles(gateway.engine),
        await store.list_users(gateway.engine),
    )
    assert after == before
    assert (await admin.get("/admin/entities")).status_code == 200


async def test_a_token_of_another_session_is_refused(
    admin: httpx.AsyncClient, gateway_app: Any, admin_user: str
) -> None:
    async with browser_of(gateway_app) as other:
        await log_in(other)
        theirs = await session_csrf(other)
    assert theirs != await session_csrf(admin)
    response = await admin.post("/admin/logout", data={"csrf_token": theirs})
    assert response.status_code == 403


async def test_graphql_takes_the_session_cookie_only_with_its_csrf_header(
    admin: httpx.AsyncClient,
) -> None:
    token = await session_csrf(admin)
    bare = await admin.post("/graphql", json=QUERY)
    assert bare.status_code == 403
    assert bare.json()["errors"][0]["extensions"]["code"] == "DX120"
    assert "X-CSRF-Token" in bare.json()["errors"][0]["message"]
    # Change the last character (to something else than it was: a fixed "0" was sometimes it).
    forged = token[:-1] + ("1" if token.endswith("0") else "0")
    wrong = await admin.post("/graphql", json=QUERY, headers={"X-CSRF-Token": forged})
    assert wrong.status_code == 403
    right = await admin.post("/graphql", json=QUERY, headers={"X-CSRF-Token": token})
    assert right.status_code == 200
    assert len(right.json()["data"]["countries"]["items"]) == 1


async def test_the_rest_api_takes_the_session_cookie_only_with_its_csrf_header(
    admin: httpx.AsyncClient,
) -> None:
    # As /graphql: the API page opened from the session sends the token; another site's page
    # cannot know it.
    token = await session_csrf(admin)
    for path in ("/dynamic-entity/countries", "/dynamic-entity/openapi.json"):
        bare = await admin.get(path)
        assert bare.status_code == 403, path
        assert bare.json()[0]["code"] == "DX120"
        assert "X-CSRF-Token" in bare.json()[0]["message"]
        forged = token[:-1] + ("1" if token.endswith("0") else "0")
        wrong = await admin.get(path, headers={"X-CSRF-Token": forged})
        assert wrong.status_code == 403, path
        right = await admin.get(path, headers={"X-CSRF-Token": token})
        assert right.status_code == 200, path
    assert len(right.json()["paths"]) > 0
    created = await admin.post(
        "/dynamic-entity/categories",
        json={"data": [{"name": "Drones", "url": "/drones"}]},
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert created.status_code == 201, created.text


async def test_the_api_page_opens_with_the_session_and_hands_swagger_ui_its_csrf_token(
    admin: httpx.AsyncClient, admin_key: str
) -> None:
    token = await session_csrf(admin)
    page = await admin.get(DOCS)
    assert page.status_code in (200, 503)  # 503: Swagger UI's assets are not built
    if page.status_code == 200:
        assert f'data-csrf-token="{token}"' in page.text
        script = await admin.get(f"{ASSETS_PATH}/swagger-start.js")
        assert script.status_code == 200
        assert "const csrfToken = element.dataset.csrfToken;" in script.text
        assert 'headers["X-CSRF-Token"] = csrfToken;' in script.text
        with_key = await admin.get(DOCS, params={"api_key": admin_key})
        assert 'data-csrf-token=""' in with_key.text


async def test_a_browser_without_credentials_is_asked_for_a_key_on_the_api_page(
    browser: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    for params in ({}, {"api_key": "dxg_not-a-key"}):
        page = await browser.get(DOCS, params=params)
        assert page.status_code == 403
        assert page.headers["content-type"].startswith("text/html")
        assert '<form method="get" action="/dynamic-entity/docs">' in page.text
        assert 'name="api_key"' in page.text
        assert 'href="/admin/login?next=%2Fdynamic-entity%2Fdocs"' in page.text
        assert ("Refused: " in page.text) is bool(params)
    # A client that does not ask for HTML still gets the API's error shape.
    refused = await anonymous.get(DOCS)
    assert refused.status_code == 403
    assert refused.json() == [{"status": 403, "code": "DX120", "message": "Unauthorized request."}]


async def test_graphiql_opened_from_a_session_sends_its_csrf_header(
    admin: httpx.AsyncClient, admin_key: str
) -> None:
    token = await session_csrf(admin)
    page = await admin.get("/graphiql")
    assert page.status_code in (200, 503)
    if page.status_code == 200:
        assert f'data-csrf-token="{token}"' in page.text
        with_key = await admin.get("/graphiql", params={"api_key": admin_key})
        assert 'data-csrf-token=""' in with_key.text


async def test_graphiql_without_a_session_leads_a_browser_to_the_login(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get("/graphiql", params={"query": "{ x }"})
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/admin/login?next=%2Fgraphiql%3Fquery%3D%257B%2Bx%2B%257D"
    )


async def test_the_stylesheet_and_script_are_served_to_anyone(
    browser: httpx.AsyncClient,
) -> None:
    css = await browser.get("/admin/static/admin.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    script = await browser.get("/admin/static/admin.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


async def test_an_unknown_page_is_a_friendly_404(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/admin/nowhere")
    assert response.status_code == 404
    assert "There is no Back Office page at /admin/nowhere." in response.text
    assert "Log out" in response.text


async def test_an_unexpected_error_is_a_page_without_its_details(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("secret internals at line 42")

    monkeypatch.setattr(store, "list_users", broken)
    response = await admin.get("/admin/users")
    assert response.status_code == 500
    assert "The incident has been logged." in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


async def test_the_login_page_needs_no_session(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/admin/login")
    assert page.status_code == 200
    assert csrf_of(page)
    assert "Log out" not in page.text
