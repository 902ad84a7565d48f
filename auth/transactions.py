"""Write transactions: how every write opens its connection and transaction, on any database.

SQLite lets one writer at a time hold a database. A transaction begun with a plain ``BEGIN``
that reads and then writes must upgrade its lock; when another writer committed since it
began, SQLite refuses at once ("database is locked") and its busy timeout does not apply. So
a write transaction on SQLite begins as one, ``BEGIN IMMEDIATE``: it takes the write lock up
front and waits for it (``busy_timeout``) when another process holds it.

Within one process, writers first queue on an :class:`asyncio.Lock` of the database
(:class:`WriteQueue`) before they take a pooled connection: a waiting writer then holds no
connection (reads keep theirs) and no driver thread polling SQLite's lock, and the writers
are served in the order they came (see :class:`WriteQueue` for what that was measured to
bring).

:func:`app.database.create_engine` gives SQLite engines their queue and the ``BEGIN
IMMEDIATE`` of connections marked as writing; on PostgreSQL these functions are a plain
connection and transaction. This module is in the lowest layer so that the credential store
and the entity operations write alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Execution option of a connection whose transactions begin as write transactions.
WRITING = "dexgate_writing"
# Execution option of an engine: its WriteQueue.
QUEUE = "dexgate_write_queue"


class WriteQueue:
    """The writers of one SQLite database in this process, served one at a time.

    Chosen over letting writers wait in SQLite's own busy handler (``BEGIN IMMEDIATE`` with
    no queue), measured in one process on a shared two-core machine: tasks doing 80 % reads
    by key and 20 % read-then-update transactions, two runs each, 4 s per run:

    ==========  ==========  =============  ==============  ===============
    tasks       waiting in  operations/s   read p99 (ms)   write p99 (ms)
    ==========  ==========  =============  ==============  ===============
    16          queue       552, 236       36, 153         269, 946
    16          busy loop   467, 465       52, 62          1956, 1555
    64          queue       401, 785       145, 56         1438, 766
    64          busy loop   219, 571       539, 411        4232, 1779
    ==========  ==========  =============  ==============  ===============

    SQLite's busy handler sleeps in growing steps (up to 100 ms) and wakes writers in no
    order, so the unlucky ones wait long; each sleeping writer also holds a pooled
    connection, which at 64 tasks made the reads wait for connections. No run lost an
    update or failed either way.
    """

    __slots__ = ("lock", "writer")

    def __init__(self, writer: AsyncEngine) -> None:
        self.lock = asyncio.Lock()
        # The same engine, its connections marked as writing.
        self.writer = writer


def queue_of(engine: AsyncEngine) -> WriteQueue | None:
    """The engine's WriteQueue, or None (PostgreSQL, or an engine not made by dexgate)."""
    queue = engine.get_execution_options().get(QUEUE)
    return queue if isinstance(queue, WriteQueue) else None


@asynccontextmanager
async def write_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    """This process's turn to write to the engine's SQLite database (at once elsewhere)."""
    queue = queue_of(engine)
    if queue is None:
        yield
        return
    async with queue.lock:
        yield


@asynccontextmanager
async def write_connection(
    engine: AsyncEngine, *, queued: bool = True
) -> AsyncIterator[AsyncConnection]:
    """A connection whose transactions begin as write transactions; the caller begins,
    commits and rolls back. ``queued`` (the default) holds this process's turn to write for
    as long as the connection is open; a caller that writes in several transactions on it
    passes False and takes :func:`write_turn` around each."""
    queue = queue_of(engine)
    if queue is None:
        async with engine.connect() as connection:
            yield connection
        return
    if queued:
        async with queue.lock, queue.writer.connect() as connection:
            yield connection
    else:
        async with queue.writer.connect() as connection:
            yield connection


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """``engine.begin()`` for a write: committed when the block ends, rolled back when it
    raises."""
    async with write_connection(engine) as connection, connection.begin():
        yield connection
