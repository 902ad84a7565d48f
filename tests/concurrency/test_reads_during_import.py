"""Reads go on while a large import writes: none fails, none waits for the import.

A transactional import of many rows holds the database's write lock from its first batch to
its commit; on SQLite, WAL lets readers go on meanwhile (they see the table as it was before
the import). 64 concurrent readers keep reading for the whole import.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from auth.permissions import Permissions
from schema_builder.operations.bulk import bulk_writer
from tests.conftest import settings_with
from tests.lifespan import lifespan

ROWS = 20_000
BATCH = 1_000
READERS = 64
REQUEST_TIMEOUT = 10.0
GRAPHQL_GET = {"query": "{ product(id: 2) { id_product sku } }"}


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    application = create_app(
        settings_with(settings, request_timeout=REQUEST_TIMEOUT), engine=engine
    )
    async with lifespan(application):
        yield application


async def import_products(gateway: Gateway, started: asyncio.Event) -> int:
    catalog = await gateway.registry.current()
    async with bulk_writer(
        gateway.engine,
        catalog,
        "products",
        "create",
        Permissions(admin=True, actor="test"),
        transactional=True,
    ) as writer:
        for first in range(0, ROWS, BATCH):
            batch = [
                {"sku": f"IMP-{n}", "name": f"Imported {n}", "price": "1.50", "category_id": 1}
                for n in range(first, first + BATCH)
            ]
            await writer.write(batch)
            started.set()
            await asyncio.sleep(0)  # as a file being read would let others in
        saved = writer.saved
    return saved


async def test_64_readers_during_a_large_import_get_every_answer_in_time(
    app: Any, admin_key: str, engine: AsyncEngine
) -> None:
    gateway: Gateway = app.state.gateway
    started, done = asyncio.Event(), asyncio.Event()
    answers: list[tuple[int, float]] = []

    async def read(web: httpx.AsyncClient, number: int) -> None:
        await started.wait()
        while not done.is_set():
            began = time.monotonic()
            if number % 2:
                response = await web.get("/dynamic-entity/products/1")
            else:
                response = await web.post("/graphql", json=GRAPHQL_GET)
            answers.append((response.status_code, time.monotonic() - began))

    async def run_import() -> int:
        try:
            return await import_products(gateway, started)
        finally:
            started.set()
            done.set()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": admin_key}
    ) as web:
        saved, *_ = await asyncio.gather(run_import(), *(read(web, n) for n in range(READERS)))

    async with engine.connect() as connection:
        stored = await connection.scalar(
            sa.text("SELECT count(*) FROM product WHERE sku LIKE 'IMP-%'")
        )
    assert saved == stored == ROWS
    assert len(answers) >= READERS
    assert {status for status, _took in answers} == {200}
    assert max(took for _status, took in answers) < REQUEST_TIMEOUT
