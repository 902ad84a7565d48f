"""Webhook delivery by real ``dexgate serve`` processes on one PostgreSQL or MariaDB database:
two of them deliver at once without sending an event twice at the same time or losing one, a
process killed mid-delivery loses nothing (what it had claimed arrives once its lease runs out),
and ``dexgate deliver`` delivers as a process of its own and stops cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import store as auth_store
from schema_builder.changefeed.feed import newest_position
from schema_builder.registry import CatalogRegistry
from schema_builder.webhooks import store
from schema_builder.webhooks.secrets import SecretBox
from tests.processes.conftest import STOP_TIMEOUT, StartServer, spawn
from tests.webhooks.receiver import Answer, Receiver, running_receiver

SETTINGS = {"DEXGATE_WEBHOOK_ALLOW_PRIVATE": "true", "DEXGATE_WEBHOOK_TIMEOUT": "2"}


@pytest.fixture
async def receiver(database: AsyncEngine) -> AsyncIterator[Receiver]:
    """A receiver that notes any event it is sent while the same event is still being sent,
    and a webhook to it for the products, whose feed is on."""
    async with running_receiver() as running:
        registry = CatalogRegistry(database, check_interval=0)
        stored = {c.alias: c for c in await registry.configurations()}
        await registry.apply([dataclasses.replace(stored["products"], change_feed=True)])
        async with database.connect() as connection:
            start = {"products": await newest_position(connection, "products")}
        box = SecretBox(await auth_store.signing_secret(database))
        running.secret = await store.create(
            database, box, "erp", running.url, ["products"], start=start, actor="test"
        )
        yield running


async def change(database: AsyncEngine, count: int, rows: int) -> None:
    for i in range(count):
        async with database.begin() as connection:
            await connection.execute(
                sa.text("UPDATE product SET name = :name WHERE id_product = :id"),
                {"name": f"Change {i}", "id": 1 + i % rows},
            )


async def received_all(receiver: Receiver, count: int, within: float = 90.0) -> set[str]:
    for _ in range(int(within / 0.1)):
        ids = {r.headers["webhook-id"] for r in receiver.received}
        if len(ids) >= count:
            return ids
        await asyncio.sleep(0.1)
    return {r.headers["webhook-id"] for r in receiver.received}


async def test_two_servers_deliver_every_event_in_order_and_never_one_twice_at_once(
    start_server: StartServer, database: AsyncEngine, receiver: Receiver
) -> None:
    receiver.delay = 0.05
    await asyncio.gather(start_server(**SETTINGS), start_server(**SETTINGS))
    await change(database, 60, rows=6)
    ids = await received_all(receiver, 60)
    assert len(ids) == 60
    assert receiver.overlaps == []
    events = receiver.verified()
    for product in range(1, 7):
        names = [e["new"]["name"] for e in events if e["identifier"] == product]
        assert names == [f"Change {i}" for i in range(60) if 1 + i % 6 == product]


async def test_a_server_killed_mid_delivery_loses_nothing(
    start_server: StartServer, database: AsyncEngine, receiver: Receiver
) -> None:
    first = await start_server(**SETTINGS)
    # The first answers come late: the server is killed while it waits for them.
    receiver.answers = [Answer(200, delay=1.5) for _ in range(5)]
    await change(database, 5, rows=5)
    for _ in range(300):
        if receiver.received:
            break
        await asyncio.sleep(0.1)
    assert receiver.received, first.output()
    first.kill_group()
    await first.exited(10)
    await start_server(**SETTINGS)
    ids = await received_all(receiver, 5)
    assert len(ids) == 5
    names = sorted({e["new"]["name"] for e in receiver.verified()})
    assert names == [f"Change {i}" for i in range(5)]


async def test_a_deliver_process_delivers_and_stops_cleanly_on_sigterm(
    database_url: str, database: AsyncEngine, receiver: Receiver, tmp_path: Path
) -> None:
    """``dexgate deliver``, the delivery worker as a process of its own (beside servers
    started with ``DEXGATE_WEBHOOK_DELIVERY=false``): it delivers every event in order, and a
    SIGTERM (how a service manager stops it) ends it with status 0."""
    with (tmp_path / "deliver.log").open("wb") as log:
        process = await spawn(("deliver",), database_url, tmp_path, log, **SETTINGS)
        try:
            await change(database, 12, rows=4)
            ids = await received_all(receiver, 12)
            output = (tmp_path / "deliver.log").read_text(errors="replace")
            assert len(ids) == 12, output
            events = receiver.verified()
            for product in range(1, 5):
                names = [e["new"]["name"] for e in events if e["identifier"] == product]
                assert names == [f"Change {i}" for i in range(12) if 1 + i % 4 == product]
            process.send_signal(signal.SIGTERM)
            status = await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            output = (tmp_path / "deliver.log").read_text(errors="replace")
            assert status == 0, output
            assert "Traceback" not in output, output
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
