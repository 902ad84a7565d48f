"""Sending GraphQL requests in tests, and reading the demo tables directly to check answers."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from app.gateway import Gateway
from tests.conftest import StatementLog, is_bookkeeping

Body = dict[str, Any]

# Queries that read entities only, each executor must answer alike: lists, by-id fields,
# aliases, fragments, directives, typename, filters and sorts on relationships.
QUERIES = [
    "{ products(limit: 5, sort: [PRICE_DESC]) { totalCount items { __typename sku price"
    " is_active category { name __typename } stocks(limit: 1) { warehouse quantity"
    " country { iso2_code } } } } }",
    "{ __typename a: product(id: 3) { sku s2: stocks(sort: [QUANTITY_DESC]) { quantity } }"
    " b: product(id: 99999) { sku } }",
    "query Q($n: Int) { countries(limit: $n) { items { ...C } } }"
    " fragment C on Country { name iso2_code stocks(limit: 2) { quantity } }",
    '{ categories { items { name products(filter: {price: {gt: "2000"}}, limit: 2)'
    " { sku price category { url } } } } }",
    "{ products(limit: 3) { items { sku @include(if: false) name @skip(if: false) } } }",
    "{ productStocks(limit: 3, filter: {not: {quantity: {lt: 100}}})"
    " { items { product { sku category { name } } } } }",
    "{ products(limit: 2) { items { ... on Product { id_product } sku } } }",
    "{ productsAggregate(groupBy: [CATEGORY_ID, CATEGORY_NAME], limit: 4,"
    " sort: [{aggregate: SUM, field: PRICE, descending: true}]) { __typename total: count"
    " sum { price } groups { __typename key { c: category_id category_name __typename }"
    " count avg { price } max { sku } sum { price __typename } } } }",
    "query A($n: Int) { productStocksAggregate(groupBy: [WAREHOUSE], limit: $n,"
    " having: {count: {gt: 1}}) { groups { key { warehouse } countDistinct { product_id } } }"
    " n: productsAggregate { count min { price } } }",
]


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables})


async def data(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> Body:
    """The ``data`` of a query that must succeed."""
    response = await post(client, query, variables)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    result: Body = body["data"]
    return result


async def rows(gateway: Gateway, statement: sa.Select[Any]) -> list[tuple[Any, ...]]:
    async with gateway.engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(statement)).all()]


async def execute(gateway: Gateway, statement: sa.Executable) -> None:
    async with gateway.engine.begin() as connection:
        await connection.execute(statement)


def entity_statements(log: StatementLog) -> list[str]:
    """Data statements of the request itself: the registry's check of ``dexgate_`` tables
    (every request may run it, as the test settings check the catalog version each time) is
    bookkeeping, not the query's work."""
    return [s for s in log.data_statements if not is_bookkeeping(s)]
