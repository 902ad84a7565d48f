"""A small pool of the driver's own connections for the reads whose JSON the database writes:
asyncpg's on PostgreSQL, asyncmy's (behind the small adapter of ``app.mariadb``) on MariaDB.

Those reads borrow a connection, send one statement, read one value and give it back. asyncpg's
own pool spends about 11 µs per borrow (a task to shield each release, timeouts, a proxy object
per borrow), as much as a tenth of such a read; this pool does only what these reads need, in
about 0.3 µs:

- connections are opened when needed, up to ``size``, by ``connect`` (which sets their
  address, credentials, timeouts and ``statement_timeout``); the most recently returned one is
  lent first;
- a borrower that finds every connection in use waits for one, first come first served;
- a connection the server closed (a restart) is dropped when it is found closed, and one
  returned closed — a read cancelled with its statement perhaps still running terminates it —
  frees its place for a new one;
- a connection returned inside a transaction (which these reads never open) is closed rather
  than lent again;
- :meth:`close` closes the idle connections at once and the others as they come back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol


class Connection(Protocol):
    """What the pool needs of a connection: asyncpg's ``Connection`` as it is."""

    def is_closed(self) -> bool: ...

    def is_in_transaction(self) -> bool: ...

    def terminate(self) -> None: ...

    async def fetchrow(self, query: str, *args: Any) -> Any: ...

    async def fetch(self, query: str, *args: Any) -> Any: ...


Connect = Callable[[], Awaitable[Connection]]


class PoolClosedError(RuntimeError):
    """The pool was closed (the application is stopping)."""


class ReadPool:
    def __init__(self, connect: Connect, size: int) -> None:
        if size < 1:
            raise ValueError("a pool needs room for one connection at least")
        self.size = size
        self._connect = connect
        self._idle: list[Connection] = []
        self._open = 0  # connections lent, idle, or being opened
        self._waiters: deque[asyncio.Future[Connection | None]] = deque()
        self._closed = False

    @property
    def open(self) -> int:
        """Connections lent, idle or being opened."""
        return self._open

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def acquire(self) -> Connection:
        while True:
            if self._closed:
                raise PoolClosedError("the read pool is closed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():
                    return connection
                self._open -= 1
            if self._open < self.size:
                return await self._new()
            waiter: asyncio.Future[Connection | None]
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                handed = await waiter
            except BaseException:
                if not waiter.done():
                    self._waiters.remove(waiter)
                elif not waiter.cancelled() and waiter.exception() is None:
                    # Handed a connection (or a place) just as it was cancelled: pass it on.
                    self._pass_on(waiter.result())
                raise
            if handed is not None:
                return handed
            # A place came free (a connection was dropped): open one in it.
            self._open -= 1

    async def first(self, sql: str, parameters: Sequence[Any]) -> Any:
        """The first row ``sql`` returns (None when there is none), on a connection of the
        pool."""
        async with self._borrowed() as own:
            return await own.fetchrow(sql, *parameters)

    async def all(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """Every row ``sql`` returns, on a connection of the pool."""
        async with self._borrowed() as own:
            rows: list[Any] = await own.fetch(sql, *parameters)
            return rows

    @contextlib.asynccontextmanager
    async def _borrowed(self) -> AsyncIterator[Connection]:
        """A connection for one statement. A read cancelled (the request's deadline) with its
        statement perhaps still running closes its connection rather than hand it to the
        next read."""
        own = await self.acquire()
        try:
            yield own
        except BaseException as exc:
            if not isinstance(exc, Exception):
                own.terminate()
            raise
        finally:
            self.release(own)

    def _pass_on(self, handed: Connection | None) -> None:
        if handed is None:
            self._open -= 1
            self._wake()
        else:
            self.release(handed)

    async def _new(self) -> Connection:
        self._open += 1
        try:
            return await self._connect()
        except BaseException:
            self._open -= 1
            self._wake()
            raise

    def release(self, connection: Connection) -> None:
        """Give ``connection`` back (closed, it frees its place)."""
        if not connection.is_closed() and (self._closed or connection.is_in_transaction()):
            connection.terminate()
        if connection.is_closed():
            self._open -= 1
            self._wake()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append(connection)

    def _wake(self) -> None:
        """Tell the first waiter that a place is free, so that it opens a connection."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._open += 1  # the place is the waiter's until it opens its connection
                waiter.set_result(None)
                return

    async def close(self) -> None:
        """Close the idle connections; those lent are closed when they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            connection.terminate()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolClosedError("the read pool is closed"))
