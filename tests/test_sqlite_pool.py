"""SQLite's read connections (schema_builder.operations.reads.sqlite_pool, opened by
app.database.create_read_pool): one thread hop per read, read-only, the request's deadline,
closing, and the application's SQLite reads taking no engine connection."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.database import create_engine, create_read_pool
from app.gateway import Gateway
from app.settings import Settings
from schema_builder.errors import RequestTimeoutError
from schema_builder.operations.db_errors import Deadline, request_deadline, translating
from schema_builder.operations.reads.pool import ReadPool
from schema_builder.operations.reads.sqlite_pool import SqlitePool
from tests.conftest import settings_with

# A statement that runs for seconds on any SQLite: a recursive count to a billion.
SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "reads.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, price NUMERIC(12, 2))")
        connection.executemany("INSERT INTO t VALUES (?, ?)", [(1, 19.99), (2, 0.125)])
    connection.close()
    return path


async def _pool(path: Path, size: int = 2) -> SqlitePool:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", database_pool_size=size)
    engine = create_engine(settings)
    pool = create_read_pool(engine, settings)
    await engine.dispose()
    assert isinstance(pool, SqlitePool)
    return pool


async def test_a_read_returns_the_first_row_with_dexgates_functions(database: Path) -> None:
    pool = await _pool(database)
    try:
        row = await pool.first("SELECT id, dexgate_decimal(price, 2) FROM t WHERE id > ?", (0,))
        assert tuple(row) == (1, '"19.99"')
        assert await pool.first("SELECT id FROM t WHERE id = ?", (99,)) is None
        tie = await pool.first("SELECT dexgate_decimal(price, 2) FROM t WHERE id = 2", ())
        assert tie[0] == '"0.12"'  # Python's rounding of the double 0.125, not SQLite's "0.13"
    finally:
        await pool.close()


async def test_its_connections_cannot_write(database: Path) -> None:
    pool = await _pool(database)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await pool.first("INSERT INTO t VALUES (3, 1)", ())
    finally:
        await pool.close()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM t").fetchone() == (2,)
    connection.close()


async def test_reads_run_side_by_side_up_to_the_pool_size(database: Path) -> None:
    pool = await _pool(database, size=3)
    try:
        rows = await asyncio.gather(
            *(pool.first("SELECT ?, count(*) FROM t", (n,)) for n in range(12))
        )
        assert [row[0] for row in rows] == list(range(12))
        assert 1 <= pool.open <= 3
    finally:
        await pool.close()
    assert pool.open == 0


async def test_a_read_past_the_requests_deadline_is_interrupted_and_answered_504(
    database: Path,
) -> None:
    pool = await _pool(database, size=1)
    token = request_deadline.set(Deadline(time.monotonic() + 0.3, 0.3))
    started = time.monotonic()
    try:
        with pytest.raises(RequestTimeoutError):
            async with translating():
                await pool.first(SLOW, ())
    finally:
        request_deadline.reset(token)
    assert time.monotonic() - started < 5
    try:  # the connection serves the next read
        assert tuple(await pool.first("SELECT count(*) FROM t", ())) == (2,)
    finally:
        await pool.close()


async def test_an_in_memory_database_has_no_pool() -> None:
    settings = Settings(database_url="sqlite+aiosqlite://")
    engine = create_engine(settings)
    try:
        assert create_read_pool(engine, settings) is None
    finally:
        await engine.dispose()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The application of the test below does nothing in the background: a webhook delivery
    round, a prune or a usage write takes an engine connection at a moment of its own, which
    the count of the reads' checkouts would catch."""
    return settings_with(
        settings, webhook_delivery=False, usage_write_interval=3600.0, event_prune_interval=3600.0
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])  # MariaDB reads on the engine
async def test_the_applications_reads_take_no_engine_connection(
    client: httpx.AsyncClient, gateway: Gateway, backend: str
) -> None:
    """The reads written by the database take their connections from the driver's own
    pool (asyncpg's, or SQLite's threads), not from the engine's, and give them back."""
    pool = gateway.reads.pool
    assert isinstance(pool, SqlitePool if backend == "sqlite" else ReadPool)
    gateway.registry.check_interval = 3600  # no version check (a statement) per request
    await client.get("/dynamic-entity/products/1")  # the key is looked up (and kept) once
    checkouts: list[object] = []
    listener = (gateway.engine.sync_engine.pool, "checkout", lambda *_args: checkouts.append(1))
    sa.event.listen(*listener)
    try:
        listed = await client.get("/dynamic-entity/products?page[offset]=0&page[limit]=3")
        one = await client.get("/dynamic-entity/products/2")
        graphql = await client.post(
            "/graphql", json={"query": "{ products(limit: 2) { items { sku price } } }"}
        )
    finally:
        sa.event.remove(*listener)
    assert listed.status_code == one.status_code == graphql.status_code == 200, graphql.text
    assert len(listed.json()["data"]) == 3
    assert isinstance(one.json()["data"], dict)
    assert len(graphql.json()["data"]["products"]["items"]) == 2
    assert checkouts == []
    assert pool.open >= 1
    if isinstance(pool, ReadPool):
        assert pool.idle == pool.open
