"""SQLite connections of the driver's own, for the reads whose JSON SQLite writes.

Such a read sends one statement and reads one row. Through SQLAlchemy's aiosqlite dialect it
costs six to eight round trips between the event loop and the connection's thread (checkout,
BEGIN, cursor, execute, fetch, close, rollback), each a wake-up of both; here it is one: the
statement runs, in autocommit, on a ``sqlite3`` connection that belongs to one of the pool's
threads, and its row comes back.

- each thread opens its connection when it first needs one (``connect``, which sets the
  file, the pragmas, the functions of
  :mod:`schema_builder.operations.reads.sql.sqlite_functions`), and keeps it;
- the request's deadline (``request_deadline``) interrupts a statement still running when it
  passes, by the connection's progress handler, as on the engine's connections; the error is
  the driver's "interrupted", which :func:`~schema_builder.operations.db_errors.translating`
  answers 504;
- :meth:`close` waits for the reads under way and closes every connection.

Reads never wait for writers (WAL), so a few threads serve many requests: the pool's size is
``DEXGATE_DATABASE_POOL_SIZE``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from schema_builder.operations.db_errors import request_deadline

Connect = Callable[[], sqlite3.Connection]
# SQLite virtual machine steps between two looks at the deadline.
PROGRESS_STEPS = 10_000


class _Own(threading.local):
    connection: sqlite3.Connection | None = None
    deadline: float | None = None


class SqlitePool:
    def __init__(self, connect: Connect, size: int) -> None:
        if size < 1:
            raise ValueError("a pool needs room for one connection at least")
        self.size = size
        self._connect = connect
        self._own = _Own()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="dexgate-read")

    @property
    def open(self) -> int:
        """Connections opened (one per thread that has read)."""
        return len(self._opened)

    async def first(self, sql: str, parameters: Sequence[Any]) -> Any:
        """The first row ``sql`` returns, None when there is none."""
        deadline = request_deadline.get()
        at = None if deadline is None else deadline.at
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._first, sql, parameters, at)

    async def all(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """Every row ``sql`` returns."""
        deadline = request_deadline.get()
        at = None if deadline is None else deadline.at
        loop = asyncio.get_running_loop()
        rows: list[Any] = await loop.run_in_executor(
            self._executor, self._run, sql, parameters, at, True
        )
        return rows

    def _first(self, sql: str, parameters: Sequence[Any], at: float | None) -> Any:
        return self._run(sql, parameters, at, False)

    def _run(self, sql: str, parameters: Sequence[Any], at: float | None, every: bool) -> Any:
        own = self._own
        connection = own.connection
        if connection is None:
            connection = own.connection = self._open()
        own.deadline = at
        if at is not None and time.monotonic() > at:
            raise sqlite3.OperationalError("interrupted")
        cursor = connection.execute(sql, parameters)
        try:
            return cursor.fetchall() if every else cursor.fetchone()
        finally:
            cursor.close()
            own.deadline = None

    def _open(self) -> sqlite3.Connection:
        connection = self._connect()
        own = self._own

        def expired() -> int:
            at = own.deadline
            return 1 if at is not None and time.monotonic() > at else 0

        connection.set_progress_handler(expired, PROGRESS_STEPS)
        with self._lock:
            self._opened.append(connection)
        return connection

    async def close(self) -> None:
        """Wait for the reads under way, then close every connection."""
        await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown, True)
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
