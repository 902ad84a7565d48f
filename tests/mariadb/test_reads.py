"""Reads on MariaDB, until its JSON-writing dialect exists: the row path (rows read with one
statement per relationship level for the whole page, JSON written by Python) for REST and
GraphQL alike, with as many statements whatever the page size."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gateway import Gateway
from schema_builder.operations.ir import FieldOut
from schema_builder.operations.reads.compile import RowStatement, compile_plan, json_dialect
from schema_builder.operations.reads.plan import ListPlan
from tests.conftest import StatementLog


async def test_mariadb_has_no_json_writer_and_plans_compile_to_rows(
    engine: AsyncEngine, gateway: Gateway
) -> None:
    catalog = await gateway.registry.current()
    entity = catalog.entity("countries")
    plan = ListPlan("countries", ((FieldOut("name", "name"),),), limit=2)

    assert json_dialect(engine.dialect) is None
    assert isinstance(compile_plan(catalog, entity, plan, engine.dialect).runs, RowStatement)


async def test_a_page_with_nested_includes_takes_one_statement_per_level(
    client: httpx.AsyncClient, statements: StatementLog
) -> None:
    counts = []
    for limit in (2, 40):
        statements.start()
        response = await client.get(
            "/dynamic-entity/categories",
            params={"page[limit]": str(limit), "include": "products.stocks", "sort": "-name"},
        )
        assert response.status_code == 200
        rows = response.json()["data"]
        assert rows[0]["products"][0]["stocks"]
        counts.append(len(statements.data_statements))

    assert counts == [3, 3]


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
