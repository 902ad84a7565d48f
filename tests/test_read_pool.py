"""The read pool (schema_builder.operations.reads.pool): its bound, its order, and what it does
with connections that are closed, in a transaction, or handed to a borrower that gave up."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from schema_builder.operations.reads.pool import PoolClosedError, ReadPool


class FakeConnection:
    def __init__(self, number: int) -> None:
        self.number = number
        self.closed = False
        self.transaction = False

    def is_closed(self) -> bool:
        return self.closed

    def is_in_transaction(self) -> bool:
        return self.transaction

    def terminate(self) -> None:
        self.closed = True


class Opener:
    """Opens numbered fake connections; ``fail`` makes the next opening raise."""

    def __init__(self) -> None:
        self.opened: list[FakeConnection] = []
        self.fail: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> Any:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            failure, self.fail = self.fail, None
            raise failure
        connection = FakeConnection(len(self.opened))
        self.opened.append(connection)
        return connection


async def take(pool: ReadPool) -> Any:
    """A connection of the pool (a fake one, typed as the pool's)."""
    return await asyncio.wait_for(pool.acquire(), 2)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_opens_up_to_its_size_and_lends_the_last_returned_first() -> None:
    opener = Opener()
    pool = ReadPool(opener, 2)
    first, second = await take(pool), await take(pool)
    assert (first.number, second.number, pool.open) == (0, 1, 2)
    pool.release(first)
    pool.release(second)
    assert pool.idle == 2
    assert (await take(pool)) is second  # the most recently returned
    assert len(opener.opened) == 2


async def test_borrowers_wait_their_turn_when_all_are_lent() -> None:
    pool = ReadPool(Opener(), 1)
    held = await take(pool)
    order: list[str] = []

    async def borrow(name: str) -> None:
        connection = await take(pool)
        order.append(name)
        pool.release(connection)

    waiting = [asyncio.create_task(borrow(name)) for name in ("a", "b", "c")]
    await settle()
    assert order == []
    pool.release(held)
    await asyncio.wait_for(asyncio.gather(*waiting), 2)
    assert order == ["a", "b", "c"]
    assert (pool.open, pool.idle) == (1, 1)


async def test_a_connection_returned_closed_frees_its_place_for_a_new_one() -> None:
    opener = Opener()
    pool = ReadPool(opener, 1)
    held = await take(pool)
    waiter = asyncio.create_task(take(pool))
    await settle()
    held.terminate()  # as a cancelled read does
    pool.release(held)
    replacement = await asyncio.wait_for(waiter, 2)
    assert replacement is not held
    assert len(opener.opened) == 2
    assert pool.open == 1


async def test_a_connection_the_server_closed_while_idle_is_not_lent() -> None:
    opener = Opener()
    pool = ReadPool(opener, 1)
    connection = await take(pool)
    pool.release(connection)
    connection.terminate()
    fresh = await take(pool)
    assert fresh is not connection
    assert pool.open == 1


async def test_a_connection_returned_in_a_transaction_is_closed() -> None:
    pool = ReadPool(Opener(), 1)
    connection = await take(pool)
    connection.transaction = True
    pool.release(connection)
    assert connection.closed
    assert (pool.open, pool.idle) == (0, 0)


async def test_a_borrower_that_gives_up_takes_nothing_away() -> None:
    pool = ReadPool(Opener(), 1)
    held = await take(pool)
    quitter = asyncio.create_task(pool.acquire())
    patient = asyncio.create_task(take(pool))
    await settle()
    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    pool.release(held)
    assert (await asyncio.wait_for(patient, 2)) is held


async def test_a_connection_handed_to_a_borrower_cancelled_meanwhile_goes_on() -> None:
    pool = ReadPool(Opener(), 1)
    held = await take(pool)
    quitter = asyncio.create_task(pool.acquire())
    patient = asyncio.create_task(take(pool))
    await settle()
    pool.release(held)  # handed to the quitter, whose task has not run yet
    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert (await asyncio.wait_for(patient, 2)) is held
    assert pool.open == 1


async def test_a_failed_opening_frees_its_place() -> None:
    opener = Opener()
    pool = ReadPool(opener, 1)
    opener.fail = OSError("connection refused")
    with pytest.raises(OSError, match="refused"):
        await take(pool)
    assert pool.open == 0
    assert (await take(pool)).number == 0


async def test_a_failed_opening_lets_a_waiter_try_again() -> None:
    opener = Opener()
    opener.gate = asyncio.Event()
    pool = ReadPool(opener, 1)
    opener.fail = OSError("connection refused")
    first = asyncio.create_task(take(pool))  # opening, at the gate
    second = asyncio.create_task(take(pool))  # waiting for the place
    await settle()
    opener.gate.set()
    with pytest.raises(OSError, match="refused"):
        await first
    assert (await asyncio.wait_for(second, 2)).number == 0
    assert pool.open == 1


async def test_closing_closes_idle_connections_now_and_lent_ones_when_returned() -> None:
    pool = ReadPool(Opener(), 2)
    idle, lent = await take(pool), await take(pool)
    pool.release(idle)
    await pool.close()
    assert idle.closed
    assert not lent.closed
    pool.release(lent)
    assert lent.closed
    assert pool.open == 0
    with pytest.raises(PoolClosedError):
        await take(pool)


async def test_closing_tells_the_waiting_borrowers() -> None:
    pool = ReadPool(Opener(), 1)
    await take(pool)
    waiter = asyncio.create_task(take(pool))
    await settle()
    await pool.close()
    with pytest.raises(PoolClosedError):
        await waiter


def test_a_pool_has_room_for_one_connection_at_least() -> None:
    with pytest.raises(ValueError, match="one connection"):
        ReadPool(Opener(), 0)
