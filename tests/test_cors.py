"""CORS is closed by default and opened per origin by DEXGATE_CORS_ORIGINS."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.settings import Settings
from tests.conftest import settings_with
from tests.lifespan import lifespan

ORIGIN = "https://dashboard.example"


async def _preflight_and_get(
    settings: Settings, engine: AsyncEngine, key: str
) -> tuple[httpx.Response, httpx.Response]:
    app = create_app(settings, engine=engine)
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dexgate.test") as c:
            preflight = await c.options(
                "/dynamic-entity/products",
                headers={
                    "Origin": ORIGIN,
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "X-Api-Key",
                },
            )
            get = await c.get(
                "/dynamic-entity/products/1", headers={"Origin": ORIGIN, "X-Api-Key": key}
            )
    return preflight, get


async def test_cors_is_closed_by_default(
    settings: Settings, engine: AsyncEngine, admin_key: str
) -> None:
    preflight, get = await _preflight_and_get(settings, engine, admin_key)
    assert "access-control-allow-origin" not in preflight.headers
    assert get.status_code == 200
    assert "access-control-allow-origin" not in get.headers


async def test_cors_allows_the_configured_origin_only(
    settings: Settings, engine: AsyncEngine, admin_key: str
) -> None:
    opened = settings_with(settings, cors_origins=(ORIGIN,))
    preflight, get = await _preflight_and_get(opened, engine, admin_key)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
    assert get.headers["access-control-allow-origin"] == ORIGIN
    assert get.headers["access-control-expose-headers"] == "X-Total-Count"

    other = settings_with(settings, cors_origins=("https://other.example",))
    preflight, get = await _preflight_and_get(other, engine, admin_key)
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in get.headers
