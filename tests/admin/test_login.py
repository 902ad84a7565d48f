"""Logging in to the Back Office and out again: the session cookie, its flags and its end."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.gateway import Gateway
from auth import store
from tests.admin.conftest import (
    ADMIN,
    PASSWORD,
    browser_of,
    csrf_of,
    log_in,
    session_csrf,
    submit,
)

JSON = {"Accept": "application/json"}


def set_cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


def attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


async def test_login_opens_a_session_in_an_httponly_lax_cookie(
    browser: httpx.AsyncClient, admin_user: str
) -> None:
    response = await log_in(browser)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/entities"
    flags = attributes(set_cookie(response, "dexgate_session"))
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags
    assert any(f.startswith("max-age=") for f in flags)
    page = await browser.get("/admin/entities")
    assert page.status_code == 200
    assert f'<span class="who">{ADMIN}</span>' in page.text


async def test_the_session_cookie_is_secure_when_served_over_https(
    gateway_app: Any, admin_user: str
) -> None:
    async with browser_of(gateway_app, "https://dexgate.test") as client:
        form = await client.get("/admin/login")
        assert "secure" in attributes(set_cookie(form, "dexgate_login_csrf"))
        response = await log_in(client)
    assert response.status_code == 303
    assert "secure" in attributes(set_cookie(response, "dexgate_session"))


@pytest.mark.parametrize("username", [ADMIN, "nobody"])
async def test_wrong_credentials_show_the_form_again_with_the_username(
    browser: httpx.AsyncClient, admin_user: str, username: str
) -> None:
    response = await log_in(browser, username, "wrong horse battery")
    assert response.status_code == 400
    assert "Invalid username or password." in response.text
    assert f'value="{username}"' in response.text
    assert "dexgate_session" not in browser.cookies
    assert (await browser.get("/admin/entities")).status_code == 303


async def test_empty_fields_are_named_next_to_them(
    browser: httpx.AsyncClient, admin_user: str
) -> None:
    response = await log_in(browser, "", "")
    assert response.status_code == 400
    assert "Give your username." in response.text
    assert "Give your password." in response.text


async def test_a_user_without_the_admin_role_is_refused_with_a_clear_message(
    browser: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "reader", ["*:read"])
    await store.create_user(gateway.engine, "alice", PASSWORD, ["reader"])
    response = await log_in(browser, "alice", PASSWORD)
    assert response.status_code == 403
    assert "needs the admin role" in response.text
    assert 'value="alice"' in response.text
    assert "dexgate_session" not in browser.cookies


async def test_a_disabled_admin_cannot_log_in(
    browser: httpx.AsyncClient, gateway: Gateway, admin_user: str
) -> None:
    await store.set_user_active(gateway.engine, ADMIN, False)
    response = await log_in(browser)
    assert response.status_code == 400
    assert "Invalid username or password." in response.text


async def test_failed_logins_are_throttled_with_the_wait_even_for_the_right_password(
    browser: httpx.AsyncClient, gateway: Gateway, admin_user: str
) -> None:
    limit = gateway.settings.login_max_failures
    for _ in range(limit):
        assert (await log_in(browser, ADMIN, "wrong horse battery")).status_code == 400
    response = await log_in(browser)
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    wait = int(response.headers["retry-after"])
    assert 0 < wait <= gateway.settings.login_window + 1
    assert f"Try again in {wait} seconds." in response.text
    assert "dexgate_session" not in browser.cookies


async def test_the_back_office_and_the_token_endpoint_share_the_throttle(
    browser: httpx.AsyncClient, gateway: Gateway, admin_user: str
) -> None:
    for _ in range(gateway.settings.login_max_failures):
        failed = await browser.post(
            "/token", data={"grant_type": "password", "username": ADMIN, "password": "wrong"}
        )
        assert failed.status_code == 400
    assert (await log_in(browser)).status_code == 429


async def test_a_login_form_without_its_csrf_token_is_refused(
    browser: httpx.AsyncClient, admin_user: str
) -> None:
    await browser.get("/admin/login")
    for token in ("", "forged"):
        response = await browser.post(
            "/admin/login", data={"csrf_token": token, "username": ADMIN, "password": PASSWORD}
        )
        assert response.status_code == 403
        assert "dexgate_session" not in browser.cookies


@pytest.mark.parametrize(
    ("next_url", "destination"),
    [
        ("/admin/api-keys", "/admin/api-keys"),
        ("/graphiql?query=%7B%7D", "/graphiql?query=%7B%7D"),
        ("https://evil.example/", "/admin/entities"),
        ("//evil.example/admin/", "/admin/entities"),
        ("/dynamic-entity/products", "/admin/entities"),
        ("/admin/../..//evil.com", "/admin/entities"),
        ("/admin/%2e%2e/%2e%2e//evil.com", "/admin/entities"),
        ("/admin/..%2f..%2f%2fevil.com", "/admin/entities"),
        ("/admin//evil.com", "/admin/evil.com"),
        ("/admin/./users/../api-keys?x=1", "/admin/api-keys?x=1"),
        ("/admin/logout", "/admin/entities"),
    ],
)
async def test_login_returns_to_the_page_asked_for_and_nowhere_else(
    browser: httpx.AsyncClient, admin_user: str, next_url: str, destination: str
) -> None:
    response = await log_in(browser, next=next_url)
    assert response.status_code == 303
    assert response.headers["location"] == destination


async def test_a_page_asked_for_without_a_session_leads_to_the_login_and_back(
    browser: httpx.AsyncClient, admin_user: str
) -> None:
    refused = await browser.get("/admin/users?x=1")
    assert refused.status_code == 303
    assert refused.headers["location"] == "/admin/login?next=%2Fadmin%2Fusers%3Fx%3D1"
    form = await browser.get(refused.headers["location"])
    assert 'name="next" value="/admin/users?x=1"' in form.text
    done = await browser.post(
        "/admin/login",
        data={
            "csrf_token": csrf_of(form),
            "username": ADMIN,
            "password": PASSWORD,
            "next": "/admin/users?x=1",
        },
    )
    assert done.headers["location"] == "/admin/users?x=1"


async def test_the_login_page_sends_a_logged_in_admin_on(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/admin/login")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/entities"


async def test_logout_revokes_the_session_and_clears_the_cookie(
    admin: httpx.AsyncClient, gateway_app: Any
) -> None:
    session = admin.cookies["dexgate_session"]
    response = await submit(admin, "/admin/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login"
    cleared = set_cookie(response, "dexgate_session")
    assert 'dexgate_session=""' in cleared or "max-age=0" in cleared.lower()
    assert "dexgate_session" not in admin.cookies
    assert "You are logged out." in (await admin.get("/admin/login")).text
    # The old cookie, sent again by someone who kept it, opens nothing any more.
    async with browser_of(gateway_app) as replay:
        replay.cookies.set("dexgate_session", session, domain="dexgate.test")
        assert (await replay.get("/admin/entities")).status_code == 303
        api = await replay.get("/admin/entities", headers=JSON)
        assert api.status_code == 403
        assert api.json()[0]["code"] == "DX120"


async def test_logout_without_the_csrf_token_is_refused_and_the_session_lives(
    admin: httpx.AsyncClient,
) -> None:
    response = await admin.post("/admin/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert "Reload the page" in response.text
    assert (await admin.get("/admin/entities")).status_code == 200


async def test_disabling_the_user_ends_its_session(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    assert await session_csrf(admin)
    await store.set_user_active(gateway.engine, ADMIN, False)
    assert (await admin.get("/admin/entities")).status_code == 303


async def test_losing_the_admin_role_ends_back_office_access(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "reader", ["*:read"])
    await store.set_user_roles(gateway.engine, ADMIN, ["reader"])
    assert (await admin.get("/admin/entities")).status_code == 303
    api = await admin.get("/admin/entities", headers=JSON)
    assert api.status_code == 403
    assert api.json()[0]["code"] == "DX123"
