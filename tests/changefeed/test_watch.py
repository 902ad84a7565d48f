"""Long polls waiting together (:class:`~schema_builder.changefeed.watch.FeedWatch`), on every
database: many requests waiting on one entity cost one look per interval, not one per request;
a new event wakes every one of them; a long poll with nothing new answers empty at its time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.gateway import Gateway
from schema_builder.catalog import Entity
from schema_builder.changefeed.feed import ChangeFeed
from tests.changefeed.test_capture import switch_feed

WAITING = 20
INTERVAL = 0.05
WAIT = 3.0


@pytest.fixture
async def products(gateway: Gateway) -> Entity:
    await switch_feed(gateway, "products", True)
    return (await gateway.registry.current()).entities["products"]


@pytest.fixture
async def outside(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Another program writing to the database."""
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


async def test_requests_waiting_together_look_once_per_interval(
    outside: AsyncEngine, products: Entity
) -> None:
    """The feed reads on an engine of its own, whose statements are all the feed's."""
    feed = ChangeFeed(outside, poll_interval=INTERVAL)
    start = (await feed.page(products, None, 10)).cursor
    selects: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    sa.event.listen(outside.sync_engine, "before_cursor_execute", note)
    try:
        began = time.monotonic()
        pages = await asyncio.gather(
            *(feed.page(products, start, 10, wait=WAIT) for _ in range(WAITING))
        )
        waited = time.monotonic() - began
    finally:
        sa.event.remove(outside.sync_engine, "before_cursor_execute", note)
    assert all(page.events == [] and page.cursor == start for page in pages)
    assert waited >= WAIT
    looks = feed.watch.looks
    assert looks >= 1
    # Each request reads its page (two statements: the pruned position, the page) when it
    # comes and, unless its time ran out before it could wait (a slow first read), once more
    # when its time is up; the looks (one statement each, for the one entity) are shared.
    reads = sum("dexgate_change_pruned" in statement for statement in selects)
    assert WAITING <= reads <= 2 * WAITING, selects
    assert len(selects) == 2 * reads + looks, selects
    # Reading each page every interval, as each request did before, would be 60 reads each.
    assert looks <= WAIT / INTERVAL + 1


async def test_a_new_event_wakes_every_waiting_request(
    engine: AsyncEngine, products: Entity, outside: AsyncEngine
) -> None:
    feed = ChangeFeed(engine, poll_interval=INTERVAL)
    start = (await feed.page(products, None, 10)).cursor
    waiting = [
        asyncio.create_task(feed.page(products, start, 10, wait=20.0)) for _ in range(WAITING)
    ]
    await asyncio.sleep(0.3)
    assert not any(task.done() for task in waiting)
    async with outside.begin() as connection:
        await connection.execute(sa.text("UPDATE product SET name = 'Wake' WHERE id_product = 2"))
    began = time.monotonic()
    pages = await asyncio.wait_for(asyncio.gather(*waiting), 15)
    assert time.monotonic() - began < 15
    for page in pages:
        assert [e["new"]["name"] for e in page.events] == ["Wake"]
        assert page.cursor > start
    # Nobody waits any more: the look has ended.
    await asyncio.sleep(INTERVAL * 3)
    assert feed.watch._task is None or feed.watch._task.done()
