"""Reads on MariaDB: one statement in which MariaDB writes the JSON (its dialect:
schema_builder/operations/reads/sql/mariadb.py, compared value by value with the row path in
tests/test_read_json_mariadb.py), and the row path (one statement per relationship level for
the whole page) for REST includes nested deeper than one level; as many statements whatever
the page size."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gateway import Gateway
from schema_builder.operations.ir import FieldOut
from schema_builder.operations.reads.compile import JsonStatement, compile_plan, json_dialect
from schema_builder.operations.reads.plan import ListPlan
from schema_builder.operations.reads.sql.mariadb import MARIADB
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
