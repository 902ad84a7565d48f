"""MariaDB's refusals, raised by the server itself, classified at the database boundary as
PostgreSQL's are: duplicates, missing parents, child rows, NULLs and invalid values by column;
a statement past ``max_statement_time`` or a lock wait past the limit as a timeout; a refused
connection as unavailability."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.database import create_engine
from app.settings import Settings
from schema_builder.errors import RequestTimeoutError, ServiceUnavailableError
from schema_builder.operations.db_errors import (
    IntegrityProblemError,
    classify,
    key_columns,
    translating,
)
from schema_builder.reflection import reflect_tables
from tests.mariadb.tables import GADGET, create

ROW = "INSERT INTO gadget (code, level, price, size) VALUES ('a', 1, 1, 's')"


async def _refusal(engine: AsyncEngine, statement: str) -> IntegrityProblemError | None:
    await create(engine, GADGET)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(ROW)
    with pytest.raises(sa.exc.DBAPIError) as raised:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(statement)
    return classify(raised.value)


@pytest.mark.parametrize(
    ("statement", "kind", "column", "table"),
    [
        ("INSERT INTO gadget (code, level, price, size) VALUES ('b', NULL, 1, 's')", "not_null",
         "level", None),
        ("INSERT INTO gadget (code, price, size) VALUES ('b', 1, 's')", "not_null", "level", None),
        ("INSERT INTO gadget (code, level, price, size, category_id) VALUES ('b', 1, 1, 's', 999)",
         "foreign_key", "category_id", None),
        ("DELETE FROM category WHERE id_category = 1", "foreign_key", None, "product"),
        ("INSERT INTO gadget (code, level, price, size) VALUES ('bbbbbbbbbbbbb', 1, 1, 's')",
         "invalid_value", "code", None),
        ("INSERT INTO gadget (code, level, price, size) VALUES ('b', 1000, 1, 's')",
         "invalid_value", "level", None),
        ("INSERT INTO gadget (code, level, price, size) VALUES ('b', 1, 1, 'xl')",
         "invalid_value", "size", None),
        ("INSERT INTO gadget (code, level, price, size, stock) VALUES ('b', 1, 1, 's', -1)",
         "invalid_value", "stock", None),
        ("INSERT INTO gadget (code, level, price, size, made) VALUES ('b', 1, 1, 's', '2026-13')",
         "invalid_value", "made", None),
        ("INSERT INTO gadget (code, level, price, size, attrs) VALUES ('b', 1, 1, 's', '{no')",
         "invalid_value", "attrs", None),
        ("INSERT INTO gadget (code, level, price, size) VALUES ('b', 1, 'abc', 's')",
         "invalid_value", "price", None),
    ],
)  # fmt: skip
async def test_refusals_are_classified_by_kind_and_column(
    engine: AsyncEngine, statement: str, kind: str, column: str | None, table: str | None
) -> None:
    problem = await _refusal(engine, statement)

    assert problem is not None
    assert (problem.kind, problem.column, problem.table) == (kind, column, table)


@pytest.mark.parametrize(
    ("statement", "columns"),
    [
        ("INSERT INTO gadget (code, level, price, size) VALUES ('a', 1, 1, 's')", "code"),
        ("INSERT INTO gadget (id, code, level, price, size) VALUES (1, 'b', 1, 1, 's')", "id"),
    ],
)
async def test_a_duplicate_names_its_key_and_the_keys_columns_are_found(
    engine: AsyncEngine, statement: str, columns: str
) -> None:
    problem = await _refusal(engine, statement)

    assert problem is not None
    assert problem.kind == "duplicate"
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: reflect_tables(sync, ["gadget"]))
    assert key_columns(tables["gadget"], problem.key) == columns


async def test_a_composite_unique_key_names_every_column(engine: AsyncEngine) -> None:
    with pytest.raises(sa.exc.DBAPIError) as raised:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO product_stock (product_id, warehouse, quantity)"
                " SELECT product_id, warehouse, 1 FROM product_stock LIMIT 1"
            )
    problem = classify(raised.value)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: reflect_tables(sync, ["product_stock"]))

    assert problem is not None
    assert problem.key == "uq_product_stock_warehouse"
    assert key_columns(tables["product_stock"], problem.key) == "product_id, warehouse"


async def test_a_row_lock_held_past_the_limit_is_a_timeout(
    engine: AsyncEngine, database_url: str
) -> None:
    strict = create_engine(Settings(database_url=database_url), statement_timeout=1.0)
    try:
        async with engine.connect() as holder:
            await holder.begin()
            await holder.exec_driver_sql("SELECT * FROM country WHERE id_country = 1 FOR UPDATE")
            with pytest.raises(RequestTimeoutError):
                async with translating(), strict.begin() as connection:
                    await connection.exec_driver_sql(
                        "UPDATE country SET name = 'x' WHERE id_country = 1"
                    )
            await holder.rollback()
    finally:
        await strict.dispose()


async def test_a_refused_connection_is_unavailability() -> None:
    engine = create_engine(Settings(database_url="mysql+asyncmy://root@127.0.0.1:1/none"))
    try:
        with pytest.raises(ServiceUnavailableError):
            async with translating(), engine.connect():
                pass
    finally:
        await engine.dispose()
