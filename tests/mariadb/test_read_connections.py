"""The read pool's connections on MariaDB (app.mariadb.read_connect): the engine's session,
autocommit, each statement prepared once per connection, and a connection the server closed
seen as closed before it is lent again."""

from __future__ import annotations

import asyncio
import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from app.mariadb import GROUP_CONCAT_MAX_LEN, ReadConnection, read_connect


async def _open(engine: AsyncEngine, limit: float | None = 7.5) -> ReadConnection:
    return await read_connect(engine, 5.0, limit)()


async def _prepared(connection: ReadConnection) -> int:
    (_name, value) = (await connection.fetch("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'"))[0]
    return int(value)


async def test_a_read_connection_has_the_engines_session_in_autocommit(
    engine: AsyncEngine,
) -> None:
    connection = await _open(engine)
    try:
        row = await connection.fetchrow(
            "SELECT @@session.sql_mode, @@session.time_zone, @@session.group_concat_max_len,"
            " @@session.max_statement_time, @@session.autocommit, @@session.character_set_client"
        )
        sql_mode, time_zone, length, limit, autocommit, charset = row
        assert "STRICT_ALL_TABLES" in sql_mode
        assert time_zone == "+00:00"
        assert int(length) == GROUP_CONCAT_MAX_LEN
        assert float(limit) == 7.5
        assert int(autocommit) == 1
        assert charset == "utf8mb4"
        assert not connection.is_in_transaction()
    finally:
        connection.terminate()


async def test_a_statement_is_prepared_once_per_connection(engine: AsyncEngine) -> None:
    connection = await _open(engine)
    try:
        await _prepared(connection)  # the status query itself, prepared (or not) once
        before = await _prepared(connection)
        sql = "SELECT name FROM country WHERE id_country = %s"
        first = await connection.fetchrow(sql, 1)
        assert await connection.fetchrow(sql, 1) == first
        assert await connection.fetchrow(sql, 2) != first
        assert await _prepared(connection) - before == 1
    finally:
        connection.terminate()


async def test_an_aware_datetime_is_sent_in_utc(engine: AsyncEngine) -> None:
    connection = await _open(engine)
    try:
        moment = datetime.datetime(
            2024, 3, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
        )
        (sent,) = await connection.fetchrow("SELECT CAST(%s AS DATETIME)", moment)
        assert sent == datetime.datetime(2024, 3, 1, 10, 0)
    finally:
        connection.terminate()


async def test_a_connection_the_server_closed_is_closed(engine: AsyncEngine) -> None:
    connection = await _open(engine)
    killer = await _open(engine)
    try:
        (thread,) = await connection.fetchrow("SELECT CONNECTION_ID()")
        assert not connection.is_closed()
        await killer.fetch(f"KILL CONNECTION {int(thread)}")
        for _ in range(200):  # until the end of the stream reaches this side
            if connection.is_closed():
                break
            await asyncio.sleep(0.01)
        assert connection.is_closed()
    finally:
        connection.terminate()
        killer.terminate()
