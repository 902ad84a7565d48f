"""The last use of credentials, noted in memory and written by a UsageRecorder."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.settings import Settings
from auth import store, tables
from auth.permissions import ADMIN_ROLE
from auth.usage import UsageRecorder
from tests.conftest import settings_with
from tests.lifespan import lifespan

EARLIER = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = EARLIER + timedelta(hours=1)


async def key_id(engine: AsyncEngine, name: str) -> int:
    async with engine.connect() as connection:
        ident = await connection.scalar(
            sa.select(tables.api_key.c.id).where(tables.api_key.c.name == name)
        )
    assert ident is not None
    return int(ident)


async def last_used(engine: AsyncEngine, name: str) -> datetime | None:
    info = next(k for k in await store.list_api_keys(engine) if k.name == name)
    return info.last_used_at


async def test_a_write_never_moves_a_last_use_backwards(engine: AsyncEngine) -> None:
    await store.create_api_key(engine, "shared", [ADMIN_ROLE])
    ident = await key_id(engine, "shared")
    one, other = UsageRecorder(engine), UsageRecorder(engine)  # two processes, say
    one.key_used(ident, LATER)
    other.key_used(ident, EARLIER)

    await one.flush()
    await other.flush()

    assert await last_used(engine, "shared") == LATER
    assert one.pending == other.pending == 0


async def test_noted_uses_are_written_every_interval(engine: AsyncEngine) -> None:
    await store.create_api_key(engine, "periodic", [ADMIN_ROLE])
    recorder = UsageRecorder(engine, interval=0.05)
    recorder.start()
    try:
        recorder.key_used(await key_id(engine, "periodic"), EARLIER)
        for _ in range(100):
            if await last_used(engine, "periodic") is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        await recorder.stop()

    assert await last_used(engine, "periodic") == EARLIER


async def test_uses_noted_before_shutdown_are_written_at_shutdown(
    settings: Settings, engine: AsyncEngine
) -> None:
    key = await store.create_api_key(engine, "at-shutdown", [ADMIN_ROLE])
    app = create_app(settings_with(settings, usage_write_interval=3600), engine=engine)
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dexgate.test") as web:
            response = await web.get("/dynamic-entity/products/1", headers={"X-Api-Key": key})
        before_shutdown = await last_used(engine, "at-shutdown")

    assert response.status_code == 200
    assert before_shutdown is None
    assert await last_used(engine, "at-shutdown") is not None
