"""Rotating a client's secret ends the access tokens issued with the old one.

A leaked secret is rotated to lock out whoever holds it; tokens they already obtained with it
must stop working too, not live on until they expire. Each client token names the secret's
generation (a hash of its stored hash); the principal's lookup refuses a token of an older
generation, within ``DEXGATE_AUTH_CACHE_SECONDS`` (0 here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.settings import Settings
from auth import store
from tests.conftest import settings_with
from tests.lifespan import lifespan


@pytest.fixture
async def uncached(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_with(settings, auth_cache_seconds=0), engine=engine)
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dexgate.test") as c:
            yield c


async def token_of(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await http.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=httpx.BasicAuth(client_id, secret),
    )


async def test_rotating_the_secret_revokes_the_tokens_issued_with_the_old_one(
    uncached: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await store.set_role(engine, "reader", ["*:read"])
    client_id, old_secret = await store.create_client(engine, "erp", ["reader"])
    issued = await token_of(uncached, client_id, old_secret)
    assert issued.status_code == 200, issued.text
    old = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert (await uncached.get("/dynamic-entity/countries", headers=old)).status_code == 200

    same_id, new_secret = await store.rotate_client_secret(engine, "erp")

    assert same_id == client_id
    refused = await uncached.get("/dynamic-entity/countries", headers=old)
    assert refused.status_code == 401
    assert refused.json()[0]["code"] == "001"
    assert (await token_of(uncached, client_id, old_secret)).status_code == 401
    renewed = await token_of(uncached, client_id, new_secret)
    new = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    assert (await uncached.get("/dynamic-entity/countries", headers=new)).status_code == 200
