"""No cursor skips an event: a transaction that wrote first but commits last is served after
the ones that committed before it, never passed over (PostgreSQL gives positions at commit;
MariaDB's reader stops before an id still in flight). SQLite has one writer at a time, so
the case cannot arise there."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.gateway import Gateway

FEED = "/change-feed/products"


@pytest.fixture
async def outside(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
async def test_a_transaction_committed_late_is_not_skipped(
    client: httpx.AsyncClient, gateway: Gateway, outside: AsyncEngine
) -> None:
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    await gateway.registry.apply([dataclasses.replace(stored["products"], change_feed=True)])
    async with outside.connect() as slow:
        transaction = await slow.begin()
        await slow.execute(sa.text("UPDATE product SET name = 'Slow' WHERE id_product = 1"))
        fast = await client.patch("/dynamic-entity/products/2", json={"data": {"name": "Fast"}})
        assert fast.status_code == 200, fast.text
        first = (await client.get(FEED)).json()
        seen = [e["new"]["name"] for e in first["data"]]
        # PostgreSQL: Fast committed first and has the lower position. MariaDB: Fast's id is
        # the higher one, and the reader waits for Slow's.
        assert seen in (["Fast"], [])
        await transaction.commit()
    rest = (await client.get(FEED + f"?after={first['cursor']}")).json()
    names = seen + [e["new"]["name"] for e in rest["data"]]
    assert sorted(names) == ["Fast", "Slow"]
    positions = [e["position"] for e in first["data"] + rest["data"]]
    assert positions == sorted(positions)


async def _feed_on(gateway: Gateway) -> None:
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    await gateway.registry.apply([dataclasses.replace(stored["products"], change_feed=True)])


async def _names(client: httpx.AsyncClient) -> list[tuple[int, str]]:
    answer = await client.get(FEED)
    assert answer.status_code == 200, answer.text
    return [(e["position"], e["new"]["name"]) for e in answer.json()["data"]]


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_events_of_a_rolled_back_savepoint_go_and_the_others_keep_their_order(
    client: httpx.AsyncClient, gateway: Gateway, outside: AsyncEngine
) -> None:
    await _feed_on(gateway)
    async with outside.begin() as connection:
        await connection.execute(sa.text("UPDATE product SET name = 'One' WHERE id_product = 1"))
        savepoint = await connection.begin_nested()
        await connection.execute(sa.text("UPDATE product SET name = 'Two' WHERE id_product = 2"))
        await savepoint.rollback()
        await connection.execute(sa.text("UPDATE product SET name = 'Three' WHERE id_product = 3"))
        kept = await connection.begin_nested()
        await connection.execute(sa.text("UPDATE product SET name = 'Four' WHERE id_product = 4"))
        await kept.commit()
    events = await _names(client)
    assert [name for _, name in events] == ["One", "Three", "Four"]
    positions = [position for position, _ in events]
    # One transaction's events take consecutive positions.
    assert positions == list(range(positions[0], positions[0] + 3))


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_events_after_constraints_were_checked_early_are_positioned_too(
    client: httpx.AsyncClient, gateway: Gateway, outside: AsyncEngine
) -> None:
    """SET CONSTRAINTS ALL IMMEDIATE runs the positioning trigger before the commit (from
    then on the transaction holds the counter, as at its commit); the events recorded after it
    are positioned at the commit, after the earlier ones."""
    await _feed_on(gateway)
    async with outside.begin() as connection:
        await connection.execute(sa.text("UPDATE product SET name = 'Early' WHERE id_product = 1"))
        await connection.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
        await connection.execute(sa.text("UPDATE product SET name = 'Late' WHERE id_product = 2"))
        await connection.execute(sa.text("UPDATE product SET name = 'Later' WHERE id_product = 3"))
    events = await _names(client)
    assert [name for _, name in events] == ["Early", "Late", "Later"]
    positions = [position for position, _ in events]
    assert positions == sorted(set(positions))
    # No event is left without a position.
    async with outside.connect() as connection:
        waiting = await connection.scalar(
            sa.text("SELECT count(*) FROM dexgate_change_commit WHERE last_position IS NULL")
        )
    assert waiting == 0


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_one_transaction_of_two_entities_gives_each_feed_its_own_events_in_order(
    client: httpx.AsyncClient, gateway: Gateway, outside: AsyncEngine
) -> None:
    """A commit row per transaction and entity: each feed reads its own entity's events, in
    the order written, and no two events share a position."""
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    await gateway.registry.apply(
        [
            dataclasses.replace(stored["products"], change_feed=True),
            dataclasses.replace(stored["categories"], change_feed=True),
        ]
    )
    async with outside.begin() as connection:
        for statement in (
            "UPDATE product SET name = 'P1' WHERE id_product = 1",
            "UPDATE category SET name = 'C1' WHERE id_category = 1",
            "UPDATE product SET name = 'P2' WHERE id_product = 2",
            "UPDATE category SET name = 'C2' WHERE id_category = 2",
            "UPDATE product SET name = 'P3' WHERE id_product = 3",
        ):
            await connection.execute(sa.text(statement))
    products = await _names(client)
    answer = await client.get("/change-feed/categories")
    assert answer.status_code == 200, answer.text
    categories = [(e["position"], e["new"]["name"]) for e in answer.json()["data"]]
    assert [name for _, name in products] == ["P1", "P2", "P3"]
    assert [name for _, name in categories] == ["C1", "C2"]
    positions = [position for position, _ in products + categories]
    assert len(set(positions)) == 5
    assert [p for p, _ in products] == sorted(p for p, _ in products)
    assert [p for p, _ in categories] == sorted(p for p, _ in categories)
    # A cursor at a feed's last event has nothing after it.
    last = products[-1][0]
    after = await client.get(f"{FEED}?after={last}")
    assert after.json()["data"] == []
