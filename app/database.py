"""Database engines: one place that knows how to open SQLite and PostgreSQL correctly."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.settings import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    """An async engine for the configured database.

    SQLite connections get foreign keys enforced, case-sensitive LIKE (as on PostgreSQL) and
    explicit BEGIN so that savepoints work; PostgreSQL gets a sized pool.
    """
    url = make_url(settings.database_url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        kwargs.update(pool_size=settings.database_pool_size, max_overflow=0, pool_pre_ping=False)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling breaks SAVEPOINT; we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @sa.event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def create_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, without BEGIN/COMMIT round trips for reads on PostgreSQL.

    Reads gain nothing from an explicit transaction at READ COMMITTED (each statement sees its
    own snapshot either way); skipping it saves two round trips per request. SQLite keeps the
    transactional engine, whose BEGIN handling makes savepoints work.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine
