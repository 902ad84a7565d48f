"""A configuration change made by another process, heard by notification (PostgreSQL), must be
what every request gets once it has been heard, including requests that arrive together."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest

from app.application import create_app
from app.settings import Settings
from tests.lifespan import lifespan
from tests.test_catalog_notify import _deactivate_countries_elsewhere


@pytest.fixture
def backend() -> str:
    return "postgresql"  # SQLite has no notifications


async def test_requests_arriving_together_after_a_notification_all_get_the_change(
    settings: Settings, admin_key: str
) -> None:
    app = create_app(replace(settings, catalog_check_interval=3600))
    async with (
        lifespan(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://dexgate.test",
            headers={"X-Api-Key": admin_key},
        ) as client,
    ):
        assert (await client.get("/dynamic-entity/countries")).status_code == 200
        await _deactivate_countries_elsewhere(settings)
        await asyncio.sleep(0.5)  # the notification has long arrived
        responses = await asyncio.gather(
            *(client.get("/dynamic-entity/countries") for _ in range(10))
        )
    assert [r.status_code for r in responses] == [404] * 10
