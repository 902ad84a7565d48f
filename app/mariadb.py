"""MariaDB (and MySQL) sessions: what every connection of a ``mysql+asyncmy://`` or
``mariadb+asyncmy://`` engine is told before it serves anything.

- ``sql_mode`` strict (``STRICT_ALL_TABLES`` and the zero-date and division rules), so that a
  value too long, out of range or of the wrong type is refused instead of silently truncated
  or coerced;
- ``utf8mb4`` as the connection's character set (every Unicode character, emoji included);
- ``time_zone = '+00:00'``: ``TIMESTAMP`` columns are stored and read in UTC, and
  ``NOW()``-style defaults are UTC; a time-zone-aware ``datetime`` sent by dexgate is converted
  to UTC before it is written (the driver itself would drop the offset and store the local wall
  time), so ``DATETIME`` columns hold UTC too and are read back without an offset;
- a large ``group_concat_max_len``: ``GROUP_CONCAT`` and ``JSON_ARRAYAGG`` cut their result at
  this length with only a warning, which would make JSON invalid (1 MB by default). At 1 GiB
  the server's ``max_allowed_packet`` (16 MiB by default, a global setting) is the bound
  instead, and a longer result is cut at it with only a warning too (seen on MariaDB 10.11);
- the request timeout as ``max_statement_time`` (seconds; every statement, not only SELECT),
  and as ``innodb_lock_wait_timeout`` (whole seconds, at least 1) so that a row lock wait ends
  with it too;
- ``sql_notes = 0``: notes are not counted as warnings (the driver logs each warning);
- ``READ COMMITTED`` isolation, as on PostgreSQL: each statement sees what was committed
  before it, and InnoDB takes no gap locks for the reads that precede a write.

The reads whose JSON the database writes run on connections of asyncmy's own
(:func:`read_connect`, lent by :class:`~schema_builder.operations.reads.pool.ReadPool`): the same
session settings, in autocommit (each statement its own consistent read, as at READ COMMITTED),
one round trip per read instead of the engine's checkout ping, statement and rollback. Their
statements are prepared on the server once per connection (asyncmy's statement cache,
``READ_STATEMENTS`` per connection) and executed with their parameters in the binary protocol:
MariaDB parses a read's statement (a few kilobytes of JSON-writing expressions) once rather
than on every read, which was most of what a read by id cost it.

This module owns the asyncmy driver's import.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncmy
import sqlalchemy as sa
from asyncmy import converters
from sqlalchemy.ext.asyncio import AsyncEngine

SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION"
)
GROUP_CONCAT_MAX_LEN = 1024**3
CHARSET = "utf8mb4"
ISOLATION_LEVEL = "READ COMMITTED"
# Prepared statements kept per read connection (the server's own limit is global:
# max_prepared_stmt_count, 16,382 by default).
READ_STATEMENTS = 128


def _escape_datetime(value: datetime, mapping: Any = None) -> str:
    """A ``datetime`` as MariaDB literal text, an aware one first converted to UTC: the text
    asyncmy's ``escape_datetime`` writes (microseconds only when there are some), by
    ``isoformat`` (a webhook delivery worker writes thousands a second; asyncmy's
    ``str.format`` of seven attributes took 6 % of its time)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return f"'{value.isoformat(' ')}'"


def _conversions() -> dict[Any, Any]:
    conversions = dict(converters.conversions)
    conversions[datetime] = _escape_datetime
    return conversions


def session_statement(statement_timeout: float | None, *, mariadb: bool) -> str:
    """The ``SET SESSION`` run on every new connection (see the module's docstring)."""
    assignments = [
        f"sql_mode = '{SQL_MODE}'",
        "time_zone = '+00:00'",
        f"group_concat_max_len = {GROUP_CONCAT_MAX_LEN}",
        # Notes (such as "IF EXISTS" finding nothing) are not warnings: asyncmy logs every
        # warning, after another round trip to fetch it.
        "sql_notes = 0",
    ]
    if statement_timeout is not None:
        if mariadb:
            assignments.append(f"max_statement_time = {statement_timeout:.6f}")
        else:  # MySQL's own limit, which bounds SELECT statements only
            assignments.append(f"max_execution_time = {math.ceil(statement_timeout * 1000)}")
        assignments.append(f"innodb_lock_wait_timeout = {max(1, math.ceil(statement_timeout))}")
    return "SET SESSION " + ", ".join(assignments)


def engine_options(connect_timeout: float, pool_size: int) -> dict[str, Any]:
    """Keyword arguments of ``create_async_engine`` for a MariaDB or MySQL URL."""
    return {
        "pool_size": pool_size,
        "max_overflow": 0,
        # The server closes connections idle for wait_timeout (8 h by default), and a
        # restarted server has closed them all: checked with a ping when taken from the pool.
        "pool_pre_ping": True,
        "isolation_level": ISOLATION_LEVEL,
        "connect_args": {
            "charset": CHARSET,
            "connect_timeout": connect_timeout,
            "conv": _conversions(),
        },
    }


def configure(engine: AsyncEngine, statement_timeout: float | None) -> None:
    """Give every new connection of ``engine`` dexgate's session settings."""

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        server = str(dbapi_connection.driver_connection.get_server_info())
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(
                session_statement(statement_timeout, mariadb="mariadb" in server.lower())
            )
        finally:
            cursor.close()
        dbapi_connection.commit()


class ReadConnection:
    """An asyncmy connection as :class:`~schema_builder.operations.reads.pool.ReadPool` uses
    one (asyncpg's method names): a statement, its parameters bound by the driver as the
    engine binds them, its first row or every row (tuples)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def is_closed(self) -> bool:
        """Closed here, or by the server (a restart): asyncmy notices the end of the stream as
        soon as it arrives, before a statement is sent on it."""
        connection = self._connection
        return not connection.connected or bool(getattr(connection, "_stream_broken", False))

    def is_in_transaction(self) -> bool:
        return bool(self._connection.get_transaction_status())

    def terminate(self) -> None:
        """Close the socket at once (a read cancelled mid-statement leaves it unusable)."""
        self._connection.close()

    async def fetchrow(self, query: str, *args: Any) -> Any:
        cursor = self._connection.cursor()
        try:
            await cursor.execute(query, _bound(args))
            return await cursor.fetchone()
        finally:
            await cursor.close()

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        cursor = self._connection.cursor()
        try:
            await cursor.execute(query, _bound(args))
            rows: list[Any] = list(await cursor.fetchall())
            return rows
        finally:
            await cursor.close()


def _bound(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The parameters as the binary protocol sends them, meaning what the engine's text does:
    an aware ``datetime`` in UTC without its offset (see :func:`_escape_datetime`). A
    statement with none is prepared too (an empty tuple; None would send it as text)."""
    return tuple(
        value.astimezone(UTC).replace(tzinfo=None)
        if isinstance(value, datetime) and value.tzinfo is not None
        else value
        for value in args
    )


def read_connect(
    engine: AsyncEngine, connect_timeout: float, statement_timeout: float | None
) -> Callable[[], Awaitable[ReadConnection]]:
    """How the read pool opens a connection to ``engine``'s server: the engine's address and
    credentials, utf8mb4, the session settings of :func:`session_statement`, autocommit, a
    cache of prepared statements."""
    _args, options = engine.dialect.create_connect_args(engine.url)
    options.update(
        charset=CHARSET,
        connect_timeout=connect_timeout,
        conv=_conversions(),
        stmt_cache_size=READ_STATEMENTS,
    )

    async def connect() -> ReadConnection:
        connection: Any = await asyncmy.connect(**options)
        try:
            server = str(connection.get_server_info())
            await connection.query(
                session_statement(statement_timeout, mariadb="mariadb" in server.lower())
            )
            await connection.autocommit(True)
        except BaseException:
            connection.close()
            raise
        return ReadConnection(connection)

    return connect
