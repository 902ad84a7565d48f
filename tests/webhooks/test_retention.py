"""Deliveries past the retention: the delivered ones go with their attempts, in batches;
pending and dead ones stay (still to be sent, or kept as dead letters until sent again)."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from app.webhooks import delivery_worker
from schema_builder.changefeed.feed import newest_position
from schema_builder.tables import webhook_attempt, webhook_delivery
from schema_builder.webhooks import store
from schema_builder.webhooks.retention import prune_delivered
from schema_builder.webhooks.worker import DeliveryWorker
from tests.conftest import settings_with
from tests.lifespan import lifespan
from tests.webhooks.receiver import Answer, Receiver


async def rows(engine: AsyncEngine) -> tuple[list[tuple[int, str]], int]:
    """(event id, status) of every delivery, and the number of attempts."""
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.select(webhook_delivery.c.event_id, webhook_delivery.c.status).order_by(
                webhook_delivery.c.event_id
            )
        )
        attempts = await connection.scalar(sa.select(sa.func.count()).select_from(webhook_attempt))
        return [(int(r[0]), str(r[1])) for r in found], int(attempts or 0)


async def deliver_three(
    gateway: Gateway, settings: Settings, client: httpx.AsyncClient, receiver: Receiver
) -> DeliveryWorker:
    """Three products renamed and sent once: the first acknowledged, the other two pending
    after a failed attempt."""
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    await gateway.registry.apply([dataclasses.replace(stored["products"], change_feed=True)])
    made = await delivery_worker(gateway.engine, settings, gateway.registry)
    async with gateway.engine.connect() as connection:
        start = {"products": await newest_position(connection, "products")}
    receiver.secret = await store.create(
        gateway.engine, made.box, "erp", receiver.url, ["products"], start=start, actor="test"
    )
    for product in (1, 2, 3):
        answer = await client.patch(
            f"/dynamic-entity/products/{product}", json={"data": {"name": f"Renamed {product}"}}
        )
        assert answer.status_code == 200, answer.text
    # Answers in the order sent (one round sends rows in position order, all at once).
    receiver.answers = [Answer(200), Answer(500), Answer(500)]
    await made.round()
    await made.stop()
    return made


async def test_delivered_deliveries_past_the_retention_go_with_their_attempts(
    gateway: Gateway, settings: Settings, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await deliver_three(gateway, settings, client, receiver)
    before, attempts = await rows(gateway.engine)
    assert sorted(status for _, status in before) == ["delivered", "pending", "pending"]
    assert attempts == 3
    # (which product's answer was the 200 depends on the order the receiver took them in)
    [delivered] = [event for event, status in before if status == "delivered"]
    dead, pending = [event for event, status in before if status == "pending"]
    async with gateway.engine.begin() as connection:
        await connection.execute(
            sa.update(webhook_delivery)
            .where(webhook_delivery.c.event_id == dead)
            .values(status="dead", finished_at=sa.func.current_timestamp())
        )
    # Nothing is old enough under a day's retention.
    assert await prune_delivered(gateway.engine, 86_400) == 0
    assert await prune_delivered(gateway.engine, 0.0, batch=1) == 1
    after, attempts = await rows(gateway.engine)
    assert after == sorted([(dead, "dead"), (pending, "pending")])
    assert delivered not in {event for event, _ in after}
    assert attempts == 2  # the removed delivery's attempt went with it


async def test_the_serving_process_prunes_delivered_deliveries(
    settings: Settings, engine: AsyncEngine, admin_key: str, receiver: Receiver
) -> None:
    # A retention long enough for the round below to take the events into deliveries on a
    # busy machine (the events go after it too), short enough for the test.
    app = create_app(
        settings_with(settings, event_retention=5.0, event_prune_interval=0.1), engine=engine
    )
    async with lifespan(app):
        gateway: Gateway = app.state.gateway
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": admin_key}
        ) as client:
            await deliver_three(gateway, settings, client, receiver)
            for _ in range(300):  # rounds every 0.1 s: within 30 s
                left, _attempts = await rows(engine)
                if "delivered" not in {status for _, status in left}:
                    break
                await asyncio.sleep(0.1)
            left, _attempts = await rows(engine)
            assert sorted(status for _, status in left) == ["pending", "pending"]
