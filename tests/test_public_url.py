"""Absolute URLs come from DEXGATE_PUBLIC_URL, or are paths: never from the Host header."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.settings import Settings, SettingsError
from tests.conftest import settings_with
from tests.lifespan import lifespan

EVIL = {"Host": "evil.com"}


async def test_the_index_never_reflects_the_host_header(
    anonymous: httpx.AsyncClient, admin_key: str
) -> None:
    body = (await anonymous.get("/", headers={**EVIL, "X-Api-Key": admin_key})).json()
    assert body["token"] == "/token"
    assert body["graphql"] == "/graphql"
    assert body["entities"]["products"] == "/dynamic-entity/products"
    assert "evil.com" not in str(body)


@pytest.fixture
async def public(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings_with(settings, public_url="https://api.example.com/gw")
    app = create_app(configured, engine=engine)
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://evil.com") as c:
            yield c


async def test_absolute_urls_come_from_the_public_url(
    public: httpx.AsyncClient, admin_key: str
) -> None:
    body = (await public.get("/", headers={**EVIL, "X-Api-Key": admin_key})).json()
    assert body["token"] == "https://api.example.com/gw/token"
    assert body["entities"]["countries"] == "https://api.example.com/gw/dynamic-entity/countries"
    page = await public.get("/admin/entities/products", params={"api_key": admin_key})
    assert "https://api.example.com/gw/dynamic-entity/products" in page.text
    assert "evil.com" not in page.text


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("", ""),
        ("https://api.example.com/", "https://api.example.com"),
        ("http://h:8000/x", "http://h:8000/x"),
    ],
)
def test_the_public_url_setting(raw: str, kept: str) -> None:
    assert Settings.from_env({"DEXGATE_PUBLIC_URL": raw}).public_url == kept


@pytest.mark.parametrize("raw", ["api.example.com", "ftp://h", "https://h/?x=1", "https://"])
def test_a_public_url_that_is_not_one_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="DEXGATE_PUBLIC_URL must be an http"):
        Settings.from_env({"DEXGATE_PUBLIC_URL": raw})
