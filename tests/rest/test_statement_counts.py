"""SQL statement counts: the work a request does must not grow with the number of rows.

A read with one level of includes is one statement that also writes the JSON
(schema_builder.operations.reads), on every database (the demo's decimal prices included).
Deeper REST includes take one statement per level.

Counting uses ``statements.data_statements`` (SELECT/INSERT/UPDATE/DELETE; BEGIN, SAVEPOINT and
RELEASE are left out). The test settings use ``catalog_check_interval=0``, so every request may
also run the registry's ``SELECT version FROM dexgate_catalog_state``; that check is bookkeeping,
not the request's data work, so statements on ``dexgate_`` tables are excluded here and counted
separately where it matters.
"""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from tests.conftest import StatementLog, is_bookkeeping

PRODUCTS_IN_DEMO = 12 * demo.PRODUCTS_PER_CATEGORY


def entity_statements(log: StatementLog) -> list[str]:
    """Data statements of the request itself: dexgate's catalog check left out."""
    return [s for s in log.data_statements if not is_bookkeeping(s)]


def catalog_statements(log: StatementLog) -> list[str]:
    return [s for s in log.data_statements if is_bookkeeping(s)]


def verb(statement: str) -> str:
    return statement.lstrip().split(None, 1)[0].upper()


async def count_rows(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_list_of_100_products_with_one_include_runs_one_statement_per_level_at_most(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    response = await client.get(
        "/dynamic-entity/products",
        params={"page[offset]": "0", "page[limit]": "100", "include": "stocks"},
    )
    assert response.status_code == 200
    rows = response.json()["data"]
    assert len(rows) == 100
    assert all(len(row["stocks"]) == 2 for row in rows)
    issued = entity_statements(statements)
    assert len(issued) == 1, issued
    assert {verb(s) for s in issued} <= {"SELECT", "WITH"}
    assert len(catalog_statements(statements)) <= 1


async def test_statement_count_does_not_grow_with_page_size(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    counts: dict[int, int] = {}
    for limit in (10, 100, 200):
        statements.start()
        response = await client.get(
            "/dynamic-entity/products",
            params={"page[offset]": "0", "page[limit]": str(limit), "include": "stocks"},
        )
        assert response.status_code == 200
        assert len(response.json()["data"]) == min(limit, PRODUCTS_IN_DEMO)
        counts[limit] = len(entity_statements(statements))
    expected = 1
    assert counts == {10: expected, 100: expected, 200: expected}


async def test_list_with_two_include_levels_runs_three_statements(
    client: httpx.AsyncClient, statements: StatementLog
) -> None:
    statements.start()
    response = await client.get(
        "/dynamic-entity/products",
        params={"page[offset]": "0", "page[limit]": "100", "include": "stocks.country"},
    )
    assert response.status_code == 200
    rows = response.json()["data"]
    assert len(rows) == 100
    assert all("country" in stock for row in rows for stock in row["stocks"])
    issued = entity_statements(statements)
    assert len(issued) == 3, issued


async def test_two_sibling_includes_run_one_statement_each_at_most(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    response = await client.get(
        "/dynamic-entity/products",
        params={"page[offset]": "0", "page[limit]": "150", "include": "stocks,category"},
    )
    assert response.status_code == 200
    rows = response.json()["data"]
    assert all("category" in row and "stocks" in row for row in rows)
    assert len(entity_statements(statements)) == 1


async def test_get_by_id_with_include_runs_one_statement_per_level_at_most(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    response = await client.get("/dynamic-entity/products/1", params={"include": "stocks"})
    assert response.status_code == 200
    body = response.json()["data"]
    assert body["id_product"] == 1
    assert len(body["stocks"]) == 2
    issued = entity_statements(statements)
    assert len(issued) == 1, issued


def new_products(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "sku": f"{prefix}-{i:05d}",
            "name": f"Batch product {i}",
            "price": f"{i % 900 + 0.99:.2f}",
            "category_id": i % 12 + 1,
        }
        for i in range(count)
    ]


async def test_post_of_1000_products_runs_a_bounded_number_of_inserts(
    client: httpx.AsyncClient, statements: StatementLog, engine: AsyncEngine
) -> None:
    statements.start()
    response = await client.post(
        "/dynamic-entity/products", json={"data": new_products(1000, "BULK")}
    )
    assert response.status_code == 201, response.text[:500]
    saved = response.json()["data"]
    assert len(saved) == 1000
    # RETURNING rows come back in the order the items were sent.
    assert [row["sku"] for row in saved] == [f"BULK-{i:05d}" for i in range(1000)]
    assert len({row["id_product"] for row in saved}) == 1000
    assert await count_rows(engine, demo.product) == PRODUCTS_IN_DEMO + 1000

    issued = entity_statements(statements)
    inserts = [s for s in issued if verb(s) == "INSERT"]
    # insertmanyvalues: one multi-row INSERT ... RETURNING per 1,000 rows (the dialects'
    # insertmanyvalues_page_size) within 32,700 parameters, on both back ends.
    assert len(inserts) <= 2, len(inserts)
    assert len(issued) <= 3, [s[:80] for s in issued]


async def patch_prices(
    client: httpx.AsyncClient, log: StatementLog, ids: range, price: str
) -> list[str]:
    log.start()
    response = await client.patch(
        "/dynamic-entity/products",
        json={"data": [{"id_product": i, "price": price} for i in ids]},
    )
    assert response.status_code == 200, response.text[:500]
    rows = response.json()["data"]
    assert [row["id_product"] for row in rows] == list(ids)
    assert all(row["price"] == price for row in rows)
    return entity_statements(log)


async def test_patch_of_500_products_runs_a_constant_number_of_statements(
    client: httpx.AsyncClient, statements: StatementLog, engine: AsyncEngine
) -> None:
    response = await client.post(
        "/dynamic-entity/products", json={"data": new_products(400, "PATCH")}
    )
    assert response.status_code == 201
    few = await patch_prices(client, statements, range(1, 6), "7.50")
    many = await patch_prices(client, statements, range(1, 501), "8.25")
    # One SELECT of the existing identifiers, one UPDATE executed for all rows, one SELECT
    # re-reading the saved rows: the same three statements for 5 rows and for 500.
    assert [verb(s) for s in many] == [verb(s) for s in few] == ["SELECT", "UPDATE", "SELECT"]
    async with engine.connect() as connection:
        prices = (
            await connection.scalars(
                sa.select(demo.product.c.price).where(demo.product.c.id_product <= 500)
            )
        ).all()
    assert len(prices) == 500
    assert {str(p) for p in prices} == {"8.25"}
