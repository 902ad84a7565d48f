"""A read is a read: authenticating it writes nothing, however many arrive at once.

Every statement the application sends is watched (SQLAlchemy's ``before_cursor_execute``);
reads at high concurrency with an API key looked up afresh each time, and with a client's
access token, send no INSERT, UPDATE or DELETE and begin no write transaction. The last use
they noted reaches the database when the :class:`~auth.usage.UsageRecorder` writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from auth import store, tables
from auth.permissions import ADMIN_ROLE
from tests.conftest import settings_with
from tests.lifespan import lifespan

CONCURRENCY = 64
PRODUCT = "/dynamic-entity/products/1"
GRAPHQL_LIST = {"query": "{ products(limit: 5) { items { id_product sku } } }"}
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")


class Writes:
    """The writing statements an engine sent while watching."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seen: list[str] = []
        self.watching = False
        sa.event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.watching and statement.lstrip().upper().startswith(WRITES):
            self.seen.append(statement)


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    # Every request looks its key up; the recorder writes only when the test says so.
    patient = settings_with(settings, auth_cache_seconds=0, usage_write_interval=3600)
    application = create_app(patient, engine=engine)
    async with lifespan(application):
        yield application


async def reads(app: Any, headers: dict[str, str]) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dexgate.test", headers=headers
    ) as web:
        responses = await asyncio.gather(
            *(
                web.get(PRODUCT) if n % 2 else web.post("/graphql", json=GRAPHQL_LIST)
                for n in range(CONCURRENCY)
            )
        )
    return [r.status_code for r in responses]


async def last_used(engine: AsyncEngine, table: sa.Table, name: str) -> datetime | None:
    async with engine.connect() as connection:
        value: datetime | None = await connection.scalar(
            sa.select(table.c.last_used_at).where(table.c.name == name)
        )
    return value


async def test_reads_with_an_api_key_write_nothing_until_the_recorder_writes(
    app: Any, engine: AsyncEngine
) -> None:
    key = await store.create_api_key(engine, "reader", [ADMIN_ROLE])
    writes = Writes(engine)
    writes.watching = True

    statuses = await reads(app, {"X-Api-Key": key})
    during = list(writes.seen)
    not_yet = await last_used(engine, tables.api_key, "reader")
    gateway: Gateway = app.state.gateway
    await gateway.authenticator.usage.flush()

    assert statuses == [200] * CONCURRENCY
    assert during == []
    assert not_yet is None
    assert await last_used(engine, tables.api_key, "reader") is not None


async def test_a_client_token_and_its_reads_write_nothing_until_the_recorder_writes(
    app: Any, engine: AsyncEngine
) -> None:
    client_id, secret = await store.create_client(engine, "reading-client", [ADMIN_ROLE])
    writes = Writes(engine)
    writes.watching = True
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dexgate.test") as web:
        issued = await web.post(
            "/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
    token = issued.json()["access_token"]

    statuses = await reads(app, {"Authorization": f"Bearer {token}"})
    during = list(writes.seen)
    not_yet = await last_used(engine, tables.client, "reading-client")
    gateway: Gateway = app.state.gateway
    await gateway.authenticator.usage.flush()

    assert issued.status_code == 200, issued.text
    assert statuses == [200] * CONCURRENCY
    assert during == []
    assert not_yet is None
    assert await last_used(engine, tables.client, "reading-client") is not None
