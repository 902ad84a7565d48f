"""The wait for a turn to write is bounded by the request timeout, and leaves the queue usable.

On SQLite a write waits in this process's queue while another write of the process holds the
database (see auth.transactions). Past the request timeout it is answered 504 ``DX504`` like
any request, and the writes after it get their turn as before.
"""

from __future__ import annotations

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
from auth.transactions import queue_of, write_transaction
from tests.conftest import settings_with
from tests.lifespan import lifespan

LIMIT = 0.5
CATEGORIES = "/dynamic-entity/categories"


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    application = create_app(settings_with(settings, request_timeout=LIMIT), engine=engine)
    async with lifespan(application):
        yield application


@pytest.fixture
async def web(app: Any, admin_key: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": admin_key}
    ) as client:
        yield client


def category(url: str) -> dict[str, Any]:
    return {"data": [{"name": url, "url": url}]}


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_write_waiting_past_the_request_timeout_gets_504_and_the_next_gets_its_turn(
    app: Any, web: httpx.AsyncClient
) -> None:
    gateway: Gateway = app.state.gateway
    queue = queue_of(gateway.engine)
    async with write_transaction(gateway.engine):  # another write of this process, long
        started = time.monotonic()
        waited = await web.post(CATEGORIES, json=category("/waited"))
        took = time.monotonic() - started
    after = await web.post(CATEGORIES, json=category("/after"))
    listed = await web.get(
        CATEGORIES, params={"filter[categories.url]": '{"in": ["/waited", "/after"]}'}
    )

    assert queue is not None
    assert waited.status_code == 504, waited.text
    assert waited.json()[0]["code"] == "DX504"
    assert LIMIT <= took < LIMIT + 2.0
    assert not queue.lock.locked()
    assert after.status_code == 201, after.text
    assert [row["url"] for row in listed.json()["data"]] == ["/after"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_files_are_in_wal_mode_so_that_reads_never_wait_for_writers(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        mode = await connection.scalar(sa.text("PRAGMA journal_mode"))
    assert mode == "wal"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_sqlite_read_goes_on_while_a_write_transaction_is_open(
    engine: AsyncEngine,
) -> None:
    async with write_transaction(engine) as writing:
        await writing.execute(sa.text("UPDATE product SET price = 99 WHERE id_product = 1"))
        started = time.monotonic()
        async with engine.connect() as reading:
            price = await reading.scalar(sa.text("SELECT price FROM product WHERE id_product = 1"))
        took = time.monotonic() - started

    assert price != 99  # the last committed state
    assert took < 1.0
