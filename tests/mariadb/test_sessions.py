"""MariaDB connections as dexgate opens them: strict SQL mode, utf8mb4, UTC, a large
``group_concat_max_len``, READ COMMITTED, and the request timeout as ``max_statement_time``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.database import create_engine
from app.mariadb import GROUP_CONCAT_MAX_LEN, session_statement
from app.settings import Settings, SettingsError
from schema_builder.errors import RequestTimeoutError
from schema_builder.operations.db_errors import translating
from tests.conftest import StatementLog


async def _session(engine: AsyncEngine, *names: str) -> tuple[object, ...]:
    async with engine.connect() as connection:
        row = (await connection.execute(sa.text("SELECT " + ", ".join(names)))).one()
    return tuple(row)


async def test_every_connection_is_strict_utf8mb4_utc_and_read_committed(
    engine: AsyncEngine,
) -> None:
    mode, zone, charset, isolation, concat, limit = await _session(
        engine,
        "@@sql_mode",
        "@@time_zone",
        "@@character_set_connection",
        "@@tx_isolation",
        "@@group_concat_max_len",
        "@@max_statement_time",
    )

    assert {"STRICT_ALL_TABLES", "NO_ZERO_DATE", "ERROR_FOR_DIVISION_BY_ZERO"} <= set(
        str(mode).split(",")
    )
    assert (zone, charset, isolation) == ("+00:00", "utf8mb4", "READ-COMMITTED")
    assert concat == GROUP_CONCAT_MAX_LEN
    assert float(str(limit)) == 0  # the command line's engine: no statement limit


@pytest.mark.parametrize("scheme", ["mysql+asyncmy", "mariadb+asyncmy"])
async def test_both_schemes_open_the_server_with_the_request_timeout(
    database_url: str, scheme: str
) -> None:
    url = sa.make_url(database_url).set(drivername=scheme).render_as_string(hide_password=False)
    engine = create_engine(Settings(database_url=url), statement_timeout=2.5)
    try:
        limit, lock_wait = await _session(
            engine, "@@max_statement_time", "@@innodb_lock_wait_timeout"
        )
    finally:
        await engine.dispose()
    assert (float(str(limit)), lock_wait) == (2.5, 3)


async def test_a_statement_running_past_the_timeout_is_stopped_by_the_server(
    database_url: str,
) -> None:
    engine = create_engine(Settings(database_url=database_url), statement_timeout=0.5)
    try:
        with pytest.raises(RequestTimeoutError):
            async with translating(), engine.connect() as connection:
                await connection.execute(sa.text("SELECT SLEEP(5)"))
    finally:
        await engine.dispose()


async def test_nothing_is_silently_truncated(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE short (v VARCHAR(3))"))
    with pytest.raises(sa.exc.DataError, match="Data too long"):
        async with engine.begin() as connection:
            await connection.execute(sa.text("INSERT INTO short VALUES ('abcd')"))


async def test_aware_datetimes_are_written_in_utc_and_text_keeps_every_character(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            sa.text("CREATE TABLE stamps (at DATETIME(6), ts TIMESTAMP(6) NULL, note TEXT)")
        )
        berlin = datetime(2026, 6, 1, 12, 30, 0, 250, tzinfo=timezone(timedelta(hours=2)))
        await connection.execute(
            sa.text("INSERT INTO stamps VALUES (:at, :at, :note)"),
            {"at": berlin, "note": "Grüße 🚚"},
        )
        row = (
            await connection.execute(sa.text("SELECT at, ts, CAST(ts AS CHAR), note FROM stamps"))
        ).one()
    assert row[0] == row[1] == datetime(2026, 6, 1, 10, 30, 0, 250)
    assert row[2] == "2026-06-01 10:30:00.000250"
    assert row[3] == "Grüße 🚚"
    assert berlin.astimezone(UTC).replace(tzinfo=None) == row[0]


async def test_naive_datetimes_are_written_as_they_are(engine: AsyncEngine) -> None:
    values = [
        datetime(2026, 1, 2, 3, 4, 5),
        datetime(2026, 1, 2, 3, 4, 5, 6),
        datetime(1000, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59, 999999),
    ]
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE naive (n INT, at DATETIME(6))"))
        await connection.execute(
            sa.text("INSERT INTO naive VALUES (:n, :at)"),
            [{"n": n, "at": at} for n, at in enumerate(values)],
        )
        read = (await connection.execute(sa.text("SELECT at FROM naive ORDER BY n"))).scalars()
        assert list(read) == values


def test_an_unknown_driver_names_the_mariadb_url_form() -> None:
    with pytest.raises(SettingsError, match=r"mysql\+asyncmy://USER:PASSWORD@HOST:3306"):
        create_engine(Settings(database_url="mysql+nosuchdriver://root@127.0.0.1/test"))


async def test_a_response_over_a_megabyte_is_whole(
    client: httpx.AsyncClient, engine: AsyncEngine, statements: StatementLog
) -> None:
    """MariaDB cuts GROUP_CONCAT and JSON_ARRAYAGG at ``group_concat_max_len`` (1 MB by
    default) with only a warning, which would leave the JSON written by the database invalid."""
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO product (sku, name, description, price, is_active, category_id)"
                " SELECT CONCAT('BIG-', seq), 'Big', REPEAT('x', 2000), 1.00, 1, 1"
                " FROM seq_1_to_600"
            )
        )
    statements.start()

    response = await client.get(
        "/dynamic-entity/products",
        params={"filter[sku]": '{"like": "BIG-%"}', "page[limit]": "1000"},
    )

    assert response.status_code == 200
    assert len(response.content) > 1_200_000
    rows = response.json()["data"]
    assert len(rows) == 600
    assert {len(row["description"]) for row in rows} == {2000}
    assert len(statements.data_statements) == 1  # written by the database in one statement


def test_a_mysql_server_gets_its_own_statement_limit() -> None:
    """MySQL has no max_statement_time; its max_execution_time (milliseconds) bounds SELECTs."""
    mysql = session_statement(2.5, mariadb=False)
    mariadb = session_statement(2.5, mariadb=True)

    assert "max_execution_time = 2500" in mysql
    assert "max_statement_time" not in mysql
    assert "max_statement_time = 2.500000" in mariadb
    assert "innodb_lock_wait_timeout = 3" in mysql
    assert "max_" not in session_statement(None, mariadb=True).replace("max_len", "")
