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
