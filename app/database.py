"""Database engines: one place that knows how to open SQLite, PostgreSQL and MariaDB correctly."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_only

from app import mariadb
from app.settings import Settings, SettingsError
from auth.transactions import QUEUE, WRITING, WriteQueue
from schema_builder.operations.aggregates.sqlite_sum import AGGREGATES
from schema_builder.operations.db_errors import request_deadline
from schema_builder.operations.reads.pool import ReadPool
from schema_builder.operations.reads.reader import Statements
from schema_builder.operations.reads.sql import sqlite_functions
from schema_builder.operations.reads.sqlite_pool import SqlitePool

# Longest a SQLite write waits for another process's write lock before "database is locked",
# when no request timeout bounds it (the command line, whose imports may wait for the server's
# writes and the other way round).
SQLITE_BUSY_SECONDS = 30.0
# SQLite virtual machine steps between two looks at the request's deadline.
_PROGRESS_STEPS = 10_000


def create_engine(settings: Settings, *, statement_timeout: float | None = None) -> AsyncEngine:
    """An async engine for the configured database.

    SQLite connections get foreign keys enforced, case-sensitive LIKE (as on PostgreSQL), WAL
    (reads never wait for writers) and explicit BEGIN so that savepoints work; a statement
    running when the deadline of the request being served passes (``request_deadline``) is
    interrupted. Write transactions (see auth.transactions) begin with ``BEGIN IMMEDIATE``
    and queue in the process on the engine's :class:`~auth.transactions.WriteQueue`.
    PostgreSQL gets a sized pool and ``DEXGATE_DATABASE_CONNECT_TIMEOUT``, and a pooled
    connection that the server closed while it was idle (a restart) is replaced when it is
    checked out. MariaDB and MySQL (``mysql+asyncmy://``, ``mariadb+asyncmy://``) get a sized
    pool and the session settings of :mod:`app.mariadb` (strict SQL mode, utf8mb4, UTC,
    READ COMMITTED).

    ``statement_timeout`` (seconds; the server passes ``DEXGATE_REQUEST_TIMEOUT``, the command
    line none) bounds every statement: on PostgreSQL as the connections' ``statement_timeout``,
    so that the server itself stops the work and the transaction rolls back; on MariaDB as
    ``max_statement_time`` (and the row lock wait limit); on SQLite, whose
    lock waits cannot be interrupted, it is the ``busy_timeout`` of a write waiting for
    another process's (the request is answered 504 at its deadline all the same), 30 s
    without it.
    """
    url = database_url(settings.database_url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() in MYSQL_BACKENDS:
        kwargs.update(
            mariadb.engine_options(settings.database_connect_timeout, settings.database_pool_size)
        )
    elif url.get_backend_name() == "postgresql":
        server_settings: dict[str, str] = {}
        if statement_timeout is not None:
            server_settings["statement_timeout"] = f"{round(statement_timeout * 1000)}ms"
        kwargs.update(
            pool_size=settings.database_pool_size,
            max_overflow=0,
            # A round trip per checkout; closed connections are found without one (below).
            pool_pre_ping=False,
            connect_args={
                "timeout": settings.database_connect_timeout,
                "server_settings": server_settings,
            },
        )
    try:
        engine = create_async_engine(url, **kwargs)
    except (sa.exc.NoSuchModuleError, sa.exc.InvalidRequestError, ImportError) as exc:
        raise SettingsError(
            f"DEXGATE_DATABASE_URL names the driver `{url.drivername}`, which cannot be loaded "
            f"({exc}). {_URL_EXAMPLES}"
        ) from None
    if engine.dialect.name == "sqlite":
        busy = SQLITE_BUSY_SECONDS if statement_timeout is None else statement_timeout
        _configure_sqlite(engine, busy)
        queue = WriteQueue(engine.execution_options(**{WRITING: True}))
        engine.sync_engine.update_execution_options(**{QUEUE: queue})
    elif engine.dialect.name == "postgresql":
        _replace_closed_connections(engine)
    elif engine.dialect.name in MYSQL_BACKENDS:
        mariadb.configure(engine, statement_timeout)
    return engine


# SQLAlchemy names the dialect of mariadb+asyncmy:// URLs "mariadb", of mysql+asyncmy:// "mysql".
MYSQL_BACKENDS = ("mysql", "mariadb")

_URL_EXAMPLES = (
    "Use postgresql+asyncpg://USER:PASSWORD@HOST/DATABASE, "
    "mysql+asyncmy://USER:PASSWORD@HOST:3306/DATABASE (MariaDB or MySQL) "
    "or sqlite+aiosqlite:///FILE.db."
)


def database_url(text: str) -> URL:
    """``DEXGATE_DATABASE_URL`` read; :class:`SettingsError` when it is not a URL (the text is
    not repeated: it may hold a password)."""
    try:
        return make_url(text)
    except sa.exc.ArgumentError:
        raise SettingsError(
            f"DEXGATE_DATABASE_URL is not a database URL. {_URL_EXAMPLES}"
        ) from None


def safe_url(text: str) -> str:
    """The database URL as it may be shown: without its password."""
    try:
        return database_url(text).render_as_string(hide_password=True)
    except SettingsError:
        return "(DEXGATE_DATABASE_URL, unreadable)"


class _Watch:
    """The deadline of the request a pooled SQLite connection is serving, if any."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at: float | None = None

    def expired(self) -> int:
        """SQLite's progress handler: non-zero interrupts the running statement. Called in
        the driver's thread, hence a plain attribute rather than the context variable."""
        at = self.at
        return 1 if at is not None and time.monotonic() > at else 0


def _configure_sqlite(engine: AsyncEngine, busy_seconds: float) -> None:
    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # The driver's own transaction handling breaks SAVEPOINT; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_seconds * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        watch = _Watch()
        record.info["dexgate_watch"] = watch
        driver = dbapi_connection.driver_connection
        await_only(driver.set_progress_handler(watch.expired, _PROGRESS_STEPS))
        for name, arguments, function in sqlite_functions.functions():
            await_only(driver.create_function(name, arguments, function, deterministic=True))
        # aiosqlite has no create_aggregate: run sqlite3's in the connection's own thread, as
        # its create_function does.
        for name, arguments, aggregate in AGGREGATES:
            await_only(driver._execute(driver._conn.create_aggregate, name, arguments, aggregate))

    @sa.event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        watch: _Watch | None = record.info.get("dexgate_watch")
        if watch is not None:
            deadline = request_deadline.get()
            watch.at = None if deadline is None else deadline.at

    @sa.event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        watch: _Watch | None = record.info.get("dexgate_watch")
        if watch is not None:
            watch.at = None

    @sa.event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(WRITING):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def _replace_closed_connections(engine: AsyncEngine) -> None:
    @sa.event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        driver = record.driver_connection
        if driver is not None and driver.is_closed():
            # The pool then discards it and opens a new one (or reports why it cannot).
            raise sa.exc.DisconnectionError("the server closed this pooled connection")


def create_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, without BEGIN/COMMIT round trips for reads on PostgreSQL.

    Reads gain nothing from an explicit transaction at READ COMMITTED (each statement sees its
    own snapshot either way); skipping it saves two round trips per request. SQLite keeps the
    transactional engine, whose BEGIN handling makes savepoints work.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


# Connection arguments of SQLAlchemy's asyncpg dialect that asyncpg itself does not take.
_DIALECT_ONLY = (
    "prepared_statement_cache_size",
    "prepared_statement_name_func",
    "async_creator_fn",
)


def create_read_pool(engine: AsyncEngine, settings: Settings) -> Statements | None:
    """The driver's own connections to ``engine``'s database, for the reads whose JSON the
    database writes (see schema_builder.operations.reads.reader): asyncpg's on PostgreSQL
    (reads.pool), sqlite3's on a SQLite file (reads.sqlite_pool); None otherwise (an in-memory
    SQLite database, which each connection would see empty).

    On PostgreSQL:

    Those reads send one statement and return one value: handing them a connection through
    SQLAlchemy's pool cost about twice as much as the rest of such a read's own work
    (greenlet switches, checkout events, reset on return). Its connections are opened when
    needed, up to ``DEXGATE_DATABASE_POOL_SIZE`` (in addition to the engine's), with the
    engine's address and credentials, ``DEXGATE_DATABASE_CONNECT_TIMEOUT``, and
    ``DEXGATE_REQUEST_TIMEOUT`` as their ``statement_timeout``.
    """
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "aiosqlite":
        return _sqlite_read_pool(engine, settings)
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "asyncpg":
        return None
    _args, options = engine.dialect.create_connect_args(engine.url)
    for name in _DIALECT_ONLY:
        options.pop(name, None)
    options["timeout"] = settings.database_connect_timeout
    options["server_settings"] = {
        "statement_timeout": f"{round(settings.request_timeout * 1000)}ms"
    }

    async def connect() -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(**options)
        return connection

    return ReadPool(connect, settings.database_pool_size)


def _sqlite_read_pool(engine: AsyncEngine, settings: Settings) -> SqlitePool | None:
    """sqlite3 connections to the engine's file, read-only (``query_only``), in autocommit,
    with the engine connections' ``case_sensitive_like`` (filters mean the same) and
    dexgate's functions. Reads do not wait for writers (WAL); the busy timeout covers the
    rare moments SQLite makes a reader wait (a checkpoint resetting the log)."""
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:") or engine.url.query:
        return None
    busy = round(settings.request_timeout * 1000)

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout={busy}")
        connection.execute("PRAGMA case_sensitive_like=ON")
        connection.execute("PRAGMA query_only=ON")
        sqlite_functions.register(connection)
        return connection

    return SqlitePool(connect, settings.database_pool_size)
