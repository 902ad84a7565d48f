"""``dexgate migrate`` on MariaDB: dexgate's own tables, created once, with MariaDB's types."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from auth.tables import metadata as auth_metadata
from schema_builder.tables import metadata
from tests.mariadb.cli import ok


async def _columns(url: str) -> dict[tuple[str, str], str]:
    """(table, column) → column type as MariaDB shows it, for every table of the database."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                    "WHERE TABLE_SCHEMA = DATABASE()"
                )
            )
            return {(str(t), str(c)): str(kind) for t, c, kind in rows}
    finally:
        await engine.dispose()


async def test_migrate_creates_dexgate_tables_and_can_run_again(empty_database: str) -> None:
    ok(empty_database, "migrate")
    first = await _columns(empty_database)
    ok(empty_database, "migrate")

    assert await _columns(empty_database) == first
    expected = {*metadata.tables, *auth_metadata.tables, "dexgate_alembic_version"}
    assert {table for table, _column in first} == expected


async def test_timestamps_keep_microseconds_and_definitions_are_longtext(
    empty_database: str,
) -> None:
    ok(empty_database, "migrate")
    columns = await _columns(empty_database)

    assert columns["dexgate_entity_configuration", "definition"] == "longtext"
    timestamps = {key: kind for key, kind in columns.items() if key[1].endswith("_at")}
    assert timestamps
    assert set(timestamps.values()) == {"datetime(6)"}
    assert columns["dexgate_audit_log", "at"] == "datetime(6)"


async def test_the_demo_loads_and_is_listed(empty_database: str) -> None:
    ok(empty_database, "migrate")
    ok(empty_database, "demo")

    listed = ok(empty_database, "entities", "list").splitlines()

    assert sorted(line.split()[:3] for line in listed[1:]) == [
        ["categories", "category", "active"],
        ["countries", "country", "active"],
        ["product-stocks", "product_stock", "active"],
        ["products", "product", "active"],
    ]
    engine = create_async_engine(empty_database)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(sa.text("SELECT COUNT(*) FROM product"))
    finally:
        await engine.dispose()
    assert count
