"""The database boundary: failures of the database itself (not of a request's data) become
503 DX503 or 504 DX504 wherever they surface; everything else passes through unchanged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from asyncpg import exceptions as pg
from sqlalchemy.ext.asyncio import create_async_engine

from schema_builder.errors import RequestTimeoutError, ServiceUnavailableError
from schema_builder.operations.db_errors import infrastructure_error, translating


# What asyncpg raises while connecting, before SQLAlchemy can wrap it.
@pytest.mark.parametrize(
    "error",
    [
        pg.ConnectionFailureError("lost"),
        pg.ClientCannotConnectError("cannot connect"),
        pg.ConnectionDoesNotExistError("closed"),
        pg.AdminShutdownError("terminating connection due to administrator command"),
        pg.CannotConnectNowError("the database system is starting up"),
        pg.TooManyConnectionsError("sorry, too many clients already"),
        pg.DeadlockDetectedError("deadlock detected"),
    ],
)
def test_connection_and_server_states_are_unavailability(error: Exception) -> None:
    assert isinstance(infrastructure_error(error), ServiceUnavailableError)


def test_a_cancelled_statement_is_a_timeout() -> None:
    error = pg.QueryCanceledError("canceling statement due to statement timeout")
    assert isinstance(infrastructure_error(error), RequestTimeoutError)


@pytest.mark.parametrize(
    "error",
    [ConnectionRefusedError(111, "refused"), TimeoutError(), sa.exc.TimeoutError("pool")],
)
def test_refused_connections_connect_timeouts_and_an_exhausted_pool_are_unavailability(
    error: Exception,
) -> None:
    assert isinstance(infrastructure_error(error), ServiceUnavailableError)


@pytest.mark.parametrize(
    "error",
    [ValueError("connection refused"), KeyError("x"), pg.UniqueViolationError("duplicate")],
)
def test_other_errors_are_not_the_databases_failure(error: Exception) -> None:
    assert infrastructure_error(error) is None


async def test_translating_lets_other_errors_through_unchanged() -> None:
    error = ValueError("could not connect")
    with pytest.raises(ValueError, match="could not connect") as raised:
        async with translating():
            raise error
    assert raised.value is error


async def test_a_sqlite_database_locked_by_another_writer_is_busy(tmp_path: Path) -> None:
    path = f"{tmp_path}/locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(ServiceUnavailableError) as raised:
            async with translating(), engine.begin() as connection:
                await connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await engine.dispose()
    assert "busy" in raised.value.message


async def test_an_exhausted_pool_is_busy(tmp_path: Path) -> None:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path}/pool.db", pool_size=1, max_overflow=0, pool_timeout=0.1
    )
    try:
        async with engine.connect():
            with pytest.raises(ServiceUnavailableError):
                async with translating(), engine.connect():
                    pass
    finally:
        await engine.dispose()
