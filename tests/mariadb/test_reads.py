"""Reads on MariaDB: one statement in which MariaDB writes the JSON (its dialect:
schema_builder/operations/reads/sql/mariadb.py, compared value by value with the row path in
tests/test_read_json_mariadb.py), and the row path (one statement per relationship level for
the whole page) for REST includes nested deeper than one level; as many statements whatever
the page size."""

from __future__ import annotations

import httpx
from sqlalchemy.dialects.mysql import asyncmy
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from app.gateway import Gateway
from schema_builder.catalog import build_catalog
from schema_builder.definition import parse_entries
from schema_builder.operations.ir import FieldOut, Include, RelationOut
from schema_builder.operations.reads.compile import JsonStatement, compile_plan, json_dialect
from schema_builder.operations.reads.plan import ListPlan
from schema_builder.operations.reads.sql.mariadb import MARIADB, MYSQL
from tests.conftest import StatementLog


async def test_mariadb_reads_compile_to_one_json_statement(
    engine: AsyncEngine, gateway: Gateway
) -> None:
    catalog = await gateway.registry.current()
    entity = catalog.entity("countries")
    plan = ListPlan("countries", ((FieldOut("name", "name"),),), limit=2)

    assert json_dialect(engine.dialect) is MARIADB
    assert isinstance(compile_plan(catalog, entity, plan, engine.dialect).runs, JsonStatement)


async def statements_per_page(
    client: httpx.AsyncClient, statements: StatementLog, include: str
) -> list[int]:
    """The data statements of a page of categories with ``include``, for two page sizes."""
    counts = []
    for limit in (2, 40):
        statements.start()
        response = await client.get(
            "/dynamic-entity/categories",
            params={"page[limit]": str(limit), "include": include, "sort": "-name"},
        )
        assert response.status_code == 200
        rows = response.json()["data"]
        assert rows[0]["products"]
        if "." in include:
            assert rows[0]["products"][0]["stocks"]
        counts.append(len(statements.data_statements))
    return counts


async def test_a_page_with_its_includes_is_one_statement(
    client: httpx.AsyncClient, statements: StatementLog
) -> None:
    assert await statements_per_page(client, statements, "products") == [1, 1]


async def test_a_page_with_nested_includes_takes_one_statement_per_level(
    client: httpx.AsyncClient, statements: StatementLog
) -> None:
    assert await statements_per_page(client, statements, "products.stocks") == [3, 3]


async def test_graphql_reads_filter_sort_and_nest(client: httpx.AsyncClient) -> None:
    query = """{ products(filter: {sku: {like: "CAM-0000%"}}, sort: [SKU_DESC], limit: 2) {
        totalCount items { sku is_active price category { name } } } }"""

    response = await client.post("/graphql", json={"query": query})

    assert response.status_code == 200, response.text
    products = response.json()["data"]["products"]
    assert products["totalCount"] == 9
    assert [item["sku"] for item in products["items"]] == ["CAM-00009", "CAM-00008"]
    assert products["items"][0]["is_active"] is True
    assert products["items"][0]["category"] == {"name": "Cameras"}


def test_a_window_is_kept_by_group_concat_on_mariadb_and_numbered_on_mysql() -> None:
    """MariaDB keeps a nested list's window in ``GROUP_CONCAT``'s ``LIMIT``/``OFFSET`` (one
    scalar subquery per page row); MySQL 8 has no ``LIMIT`` there: its statement numbers the
    page's related rows. SQLAlchemy's dialect says which server a ``mysql://`` URL reached."""
    tables = {table.name: table for table in demo.metadata.sorted_tables}
    catalog = build_catalog(1, parse_entries(demo.demo_entries()), tables)
    products = catalog.entities["products"]
    stocks = Include("stocks", limit=2, offset=1)
    shape = (
        FieldOut("sku", "sku"),
        RelationOut("stocks", stocks, (FieldOut("quantity", "quantity"),), False),
    )
    plan = ListPlan("products", (shape,), limit=100)
    found = {}
    for is_mariadb in (True, False):
        dialect = asyncmy.dialect(is_mariadb=is_mariadb)
        assert json_dialect(dialect) is (MARIADB if is_mariadb else MYSQL)
        runs = compile_plan(catalog, products, plan, dialect).runs
        assert isinstance(runs, JsonStatement)
        found[is_mariadb] = runs.sql
    assert "ORDER BY t1.id_product_stock ASC LIMIT %s OFFSET %s)" in found[True]
    assert "row_number()" not in found[True]
    assert "row_number() OVER (PARTITION BY product_stock.product_id" in found[False]
