"""Back Office fixtures: an app that caches no principal (so a revocation shows at once), a
browser-like client that keeps cookies, and an admin user who can log in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from app.settings import Settings
from auth import passwords, store
from auth.permissions import ADMIN_ROLE

BASE = "http://dexgate.test"
PAGE = {"Accept": "text/html,application/xhtml+xml"}
ADMIN = "root"
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id's defaults cost a quarter of a second per hash on a small machine; these tests
    are about the Back Office, not the hash's cost."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dexgate: no such user"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test",
        catalog_check_interval=0,
        auth_cache_seconds=0,
    )


@pytest.fixture
async def admin_user(gateway_app: Any) -> str:
    await store.create_user(gateway_app.state.gateway.engine, ADMIN, PASSWORD, [ADMIN_ROLE])
    return ADMIN


def browser_of(app: Any, base_url: str = BASE) -> httpx.AsyncClient:
    """A client that asks for pages and keeps cookies, as a browser does."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=base_url, headers=PAGE
    )


@pytest.fixture
async def browser(gateway_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Not logged in."""
    async with browser_of(gateway_app) as client:
        yield client


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token the page's forms carry."""
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def log_in(
    client: httpx.AsyncClient, username: str = ADMIN, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    form = await client.get("/admin/login")
    assert form.status_code == 200
    data = {"csrf_token": csrf_of(form), "username": username, "password": password, **extra}
    return await client.post("/admin/login", data=data)


@pytest.fixture
async def admin(browser: httpx.AsyncClient, admin_user: str) -> httpx.AsyncClient:
    """Logged in as an admin."""
    response = await log_in(browser)
    assert response.status_code == 303, response.text
    return browser


async def session_csrf(client: httpx.AsyncClient) -> str:
    return csrf_of(await client.get("/admin/entities"))


async def submit(
    client: httpx.AsyncClient, path: str, data: dict[str, Any] | None = None
) -> httpx.Response:
    """POST a Back Office form with the session's CSRF token."""
    token = await session_csrf(client)
    return await client.post(path, data={"csrf_token": token, **(data or {})})
