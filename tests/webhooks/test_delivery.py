"""Webhooks on every database: the change feed's events POSTed to a receiver, signed as
Standard Webhooks (checked with the ``standardwebhooks`` library), in order per row, retried
with backoff, honouring ``Retry-After``, disabled by a 410, dead-lettered past the horizon,
sent again after a lost claim, never twice at once by two workers."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.gateway import Gateway
from app.settings import Settings
from app.webhooks import delivery_worker
from schema_builder.changefeed.feed import newest_position
from schema_builder.tables import webhook, webhook_attempt, webhook_delivery
from schema_builder.webhooks import store
from schema_builder.webhooks.worker import DeliveryOptions, DeliveryWorker
from tests.conftest import settings_with
from tests.webhooks.receiver import Answer, Receiver


@pytest.fixture
async def worker(
    gateway: Gateway, settings: Settings, receiver: Receiver
) -> AsyncIterator[DeliveryWorker]:
    """The products' feed on, a webhook to the receiver, and a worker to run rounds with."""
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    await gateway.registry.apply([dataclasses.replace(stored["products"], change_feed=True)])
    made = await delivery_worker(gateway.engine, settings, gateway.registry)
    async with gateway.engine.connect() as connection:
        start = {"products": await newest_position(connection, "products")}
    receiver.secret = await store.create(
        gateway.engine, made.box, "erp", receiver.url, ["products"], start=start, actor="test"
    )
    yield made
    await made.stop()


@pytest.fixture
async def outside(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


async def rename(client: httpx.AsyncClient, product: int, name: str) -> None:
    response = await client.patch(
        f"/dynamic-entity/products/{product}", json={"data": {"name": name}}
    )
    assert response.status_code == 200, response.text


async def make_due(engine: AsyncEngine) -> None:
    """Bring every pending delivery's next attempt to now (instead of waiting its backoff)."""
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(webhook_delivery)
            .where(webhook_delivery.c.status == "pending")
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )


async def statuses(engine: AsyncEngine) -> list[tuple[int, str, int]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(
                webhook_delivery.c.event_id, webhook_delivery.c.status, webhook_delivery.c.attempts
            ).order_by(webhook_delivery.c.position)
        )
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


async def test_changes_through_rest_and_plain_sql_arrive_signed_as_the_pull_api_serves_them(
    client: httpx.AsyncClient,
    worker: DeliveryWorker,
    receiver: Receiver,
    outside: AsyncEngine,
) -> None:
    await rename(client, 1, "Through REST")
    async with outside.begin() as connection:
        await connection.execute(sa.text("UPDATE product SET name = 'By SQL' WHERE id_product = 2"))
    report = await worker.round()
    assert (report.fanned_out, report.acknowledged) == (2, 2)
    events = receiver.verified()
    pulled = (await client.get("/change-feed/products")).json()["data"]
    assert events == pulled
    assert [(e["new"]["name"], e["actor"]) for e in events] == [
        ("Through REST", "apikey:test-admin"),
        ("By SQL", "database"),
    ]
    assert receiver.received[0].headers["content-type"] == "application/json"
    assert (await worker.round()).sent == 0  # acknowledged: never sent again


async def test_a_failed_delivery_is_retried_and_holds_back_the_later_changes_of_its_row(
    client: httpx.AsyncClient, worker: DeliveryWorker, receiver: Receiver, engine: AsyncEngine
) -> None:
    receiver.answers = [Answer(500)]
    await rename(client, 1, "First")
    await rename(client, 1, "Second")
    await rename(client, 2, "Other row")
    await worker.round()
    # The first change of row 1 failed; its second waits; row 2 goes on.
    assert [e["new"]["name"] for e in receiver.verified()] == ["First", "Other row"]
    first, second, other = await statuses(engine)
    assert (first[1:], second[1:], other[1:]) == (("pending", 1), ("pending", 0), ("delivered", 1))
    await worker.round()
    assert len(receiver.received) == 2  # not due yet: backoff
    await make_due(engine)
    await worker.round()
    await worker.round()
    names = [e["new"]["name"] for e in receiver.verified()]
    assert names == ["First", "Other row", "First", "Second"]
    assert receiver.received[0].headers["webhook-id"] == receiver.received[2].headers["webhook-id"]
    assert [s[1] for s in await statuses(engine)] == ["delivered"] * 3
    async with engine.connect() as connection:
        codes = (
            await connection.scalars(
                sa.select(webhook_attempt.c.status_code).order_by(webhook_attempt.c.id)
            )
        ).all()
    assert codes == [500, 200, 200, 200]


async def test_retry_after_timeouts_and_the_horizon(
    client: httpx.AsyncClient,
    gateway: Gateway,
    settings: Settings,
    worker: DeliveryWorker,
    receiver: Receiver,
    engine: AsyncEngine,
) -> None:
    receiver.answers = [Answer(503, {"Retry-After": "600"})]
    await rename(client, 1, "Later")
    before = datetime.now(UTC)
    await worker.round()
    async with engine.connect() as connection:
        due = (await connection.execute(sa.select(webhook_delivery.c.next_attempt_at))).scalar_one()
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    assert due >= before + timedelta(seconds=599)
    # A receiver slower than the timeout (1 s) is a failed attempt, and past the horizon the
    # delivery is dead, kept and listed.
    receiver.answers = [Answer(200, delay=3)]
    await make_due(engine)
    impatient = await delivery_worker(
        engine, settings_with(settings, webhook_retry_horizon=1.0), gateway.registry
    )
    try:
        await impatient.round()
    finally:
        await impatient.stop()
    [(event_id, status, attempts)] = await statuses(engine)
    assert (status, attempts) == ("dead", 2)
    [listed] = await store.deliveries(engine, "erp", failed=True)
    assert listed.last_error is not None
    assert "no answer within 1 s" in listed.last_error
    assert await store.redeliver(engine, event_id, actor="test") == 1
    await worker.round()
    assert [s[1] for s in await statuses(engine)] == ["delivered"]


async def test_a_410_disables_the_webhook_and_its_deliveries_wait(
    client: httpx.AsyncClient, worker: DeliveryWorker, receiver: Receiver, engine: AsyncEngine
) -> None:
    receiver.answers = [Answer(410)]
    await rename(client, 1, "Gone")
    await worker.round()
    [hook] = await store.webhooks(engine)
    assert not hook.active
    assert hook.disabled_reason == "the receiver answered 410 Gone"
    await rename(client, 1, "Meanwhile")
    await worker.round()
    assert len(receiver.received) == 1
    await store.set_active(engine, "erp", True, actor="test")
    await worker.round()
    await worker.round()
    assert [e["new"]["name"] for e in receiver.verified()] == ["Gone", "Gone", "Meanwhile"]


async def test_a_claim_lost_with_its_worker_is_sent_again_after_the_lease(
    client: httpx.AsyncClient, worker: DeliveryWorker, receiver: Receiver, engine: AsyncEngine
) -> None:
    await rename(client, 1, "Claimed")
    await worker.fan_out(await worker.registry.current())
    claimed = await worker._claim()
    assert len(claimed) == 1
    assert (await worker.round()).sent == 0  # held by the lost claim
    async with engine.begin() as connection:  # its lease runs out
        await connection.execute(
            sa.update(webhook_delivery).values(
                claimed_until=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
    assert (await worker.round()).acknowledged == 1
    assert [e["new"]["name"] for e in receiver.verified()] == ["Claimed"]


async def test_two_workers_at_once_send_each_event_once(
    client: httpx.AsyncClient,
    gateway: Gateway,
    settings: Settings,
    worker: DeliveryWorker,
    receiver: Receiver,
    engine: AsyncEngine,
) -> None:
    other = await delivery_worker(engine, settings, gateway.registry)
    try:
        for i in range(12):
            await rename(client, 1 + i % 4, f"Change {i}")
        for _ in range(4):
            await asyncio.gather(worker.round(), other.round())
    finally:
        await other.stop()
    events = receiver.verified()
    assert len(events) == len({e["id"] for e in events}) == 12
    for product in range(1, 5):
        names = [e["new"]["name"] for e in events if e["identifier"] == product]
        assert names == [f"Change {i}" for i in range(12) if 1 + i % 4 == product]


async def test_the_serving_process_delivers_by_itself(
    settings: Settings, gateway: Gateway, receiver: Receiver, worker: DeliveryWorker
) -> None:
    from app.application import create_app
    from tests.lifespan import lifespan

    app = create_app(settings_with(settings, webhook_delivery=True), engine=gateway.engine)
    async with lifespan(app):
        async with gateway.engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE product SET name = 'Served' WHERE id_product = 3")
            )
        for _ in range(300):  # it looks every 50 ms when idle: well within 60 s
            if receiver.received:
                break
            await asyncio.sleep(0.2)
    assert [e["new"]["name"] for e in receiver.verified()] == ["Served"]


async def test_deleting_a_webhook_removes_its_deliveries(
    client: httpx.AsyncClient, worker: DeliveryWorker, engine: AsyncEngine
) -> None:
    await rename(client, 1, "Before delete")
    await worker.fan_out(await worker.registry.current())
    await store.delete(engine, "erp", actor="test")
    async with engine.connect() as connection:
        for table in (webhook, webhook_delivery):
            count = await connection.scalar(sa.select(sa.func.count()).select_from(table))
            assert count == 0


async def change_by_sql(engine: AsyncEngine, count: int, rows: int) -> None:
    """``count`` changes, one transaction each, to rows 1 to ``rows`` in turn."""
    for i in range(count):
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE product SET name = :name WHERE id_product = :id"),
                {"name": f"Change {i}", "id": 1 + i % rows},
            )


def in_order_per_row(events: list[dict[str, Any]], count: int, rows: int) -> None:
    for product in range(1, rows + 1):
        names = [e["new"]["name"] for e in events if e["identifier"] == product]
        assert names == [f"Change {i}" for i in range(count) if 1 + i % rows == product]


async def test_a_big_batch_takes_one_change_per_row_a_round_in_commit_order(
    worker: DeliveryWorker, receiver: Receiver, outside: AsyncEngine
) -> None:
    assert worker.options.batch >= 30
    await change_by_sql(outside, 30, rows=3)
    first = await worker.round()
    assert (first.fanned_out, first.sent) == (30, 3)
    sent = [(await worker.round()).sent for _ in range(10)]
    assert sent == [3] * 9 + [0]
    in_order_per_row(receiver.verified(), 30, rows=3)


async def test_the_running_worker_pipelines_batches_and_keeps_the_order_per_row(
    worker: DeliveryWorker, receiver: Receiver, outside: AsyncEngine, engine: AsyncEngine
) -> None:
    receiver.delay = 0.01
    worker.start()
    await change_by_sql(outside, 60, rows=6)
    for _ in range(300):  # every delivery recorded as delivered
        found = await statuses(engine)
        if len(found) == 60 and {s[1] for s in found} == {"delivered"}:
            break
        await asyncio.sleep(0.1)
    await worker.stop()
    assert [s[1:] for s in await statuses(engine)] == [("delivered", 1)] * 60
    events = receiver.verified()
    assert len(events) == len({e["id"] for e in events}) == 60
    assert receiver.overlaps == []
    in_order_per_row(events, 60, rows=6)


async def test_an_attempt_not_started_within_its_window_is_released_unsent(
    client: httpx.AsyncClient,
    worker: DeliveryWorker,
    receiver: Receiver,
    engine: AsyncEngine,
) -> None:
    late = DeliveryWorker(
        engine,
        worker.registry,
        worker.box,
        DeliveryOptions(allow_private=True, timeout=1.0, start_within=-1.0),
    )
    await rename(client, 1, "Released")
    try:
        report = await late.round()
    finally:
        await late.stop()
    assert (report.sent, report.released) == (0, 1)
    assert receiver.received == []
    async with engine.connect() as connection:
        row = (await connection.execute(sa.select(webhook_delivery))).one()
        tried = await connection.scalar(sa.select(sa.func.count()).select_from(webhook_attempt))
    assert (row.status, row.attempts, row.claimed_until, tried) == ("pending", 0, None, 0)
    assert (await worker.round()).acknowledged == 1  # free for the next round at once


async def test_after_a_410_the_attempts_not_started_yet_are_released(
    client: httpx.AsyncClient,
    worker: DeliveryWorker,
    receiver: Receiver,
    engine: AsyncEngine,
) -> None:
    one_at_a_time = DeliveryWorker(
        engine,
        worker.registry,
        worker.box,
        DeliveryOptions(allow_private=True, timeout=1.0, concurrency=1),
    )
    receiver.answers = [Answer(410)]
    for product in (1, 2, 3):
        await rename(client, product, f"Product {product}")
    try:
        report = await one_at_a_time.round()
    finally:
        await one_at_a_time.stop()
    assert (report.sent, report.released) == (1, 2)
    assert len(receiver.received) == 1
    [hook] = await store.webhooks(engine)
    assert not hook.active
    assert [s[1:] for s in await statuses(engine)] == [
        ("pending", 1),
        ("pending", 0),
        ("pending", 0),
    ]
