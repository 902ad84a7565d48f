"""Who answers a GraphQL operation is decided when it is planned: queries that only read
entities are answered from their plans (schema_builder.graphql.answer), everything else by
graphql-core. Both give the same bytes for the same query, and nothing is tried twice."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from app.gateway import Gateway
from tests.conftest import StatementLog
from tests.graphql.support import QUERIES


async def _post_as(gateway_app: Any, gateway: Gateway, client: httpx.AsyncClient, body: Any) -> Any:
    gateway_app.state.gateway = gateway
    try:
        return await client.post("/graphql", json=body)
    finally:
        gateway_app.state.gateway = gateway_app.state.original


@pytest.fixture
def general(gateway_app: Any, gateway: Gateway) -> Gateway:
    """The application's gateway with graphql-core executing every operation."""
    gateway_app.state.original = gateway
    return dataclasses.replace(gateway, graphql=dataclasses.replace(gateway.graphql, plans=False))


@pytest.mark.parametrize("query", QUERIES)
async def test_plans_answer_exactly_as_graphql_core(
    client: httpx.AsyncClient, gateway_app: Any, general: Gateway, query: str
) -> None:
    body = {"query": query, "variables": {"n": 3}}
    planned = await client.post("/graphql", json=body)
    executed = await _post_as(gateway_app, general, client, body)
    assert planned.status_code == executed.status_code == 200
    assert "errors" not in planned.json()
    assert planned.content == executed.content


@pytest.mark.parametrize(
    "query",
    [
        "{ products(limit: 5000) { items { sku } } }",
        "{ product(id: 1) { sku } products(offset: -1) { totalCount } }",
        '{ products(filter: {price: {gt: "cheap"}}) { totalCount } }',
    ],
)
async def test_refusals_are_answered_exactly_as_graphql_core(
    client: httpx.AsyncClient, gateway_app: Any, general: Gateway, query: str
) -> None:
    planned = await client.post("/graphql", json={"query": query})
    executed = await _post_as(gateway_app, general, client, {"query": query})
    assert planned.status_code == executed.status_code
    assert planned.json() == executed.json()
    assert planned.json()["errors"]


async def test_mutations_and_introspection_are_left_to_graphql_core(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    schema, _catalog = await gateway.schemas.serving(await gateway.registry.current())
    documents, queries = gateway.graphql.documents, gateway.graphql.queries
    for query in (
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Product") { name } products(limit: 1) { totalCount } }',
        'mutation { createCountries(items: [{iso2_code: "SE", iso3_code: "SWE",'
        ' name: "Sweden"}]) { items { name } errors { code } } }',
    ):
        assert queries.of(schema, documents.document(query), None).operation is None, query
    for query in QUERIES:
        assert queries.of(schema, documents.document(query), None).operation is not None
    introspection = await client.post(
        "/graphql", json={"query": "{ __schema { queryType { name } } }"}
    )
    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_a_refused_field_does_not_run_the_others_twice(
    client: httpx.AsyncClient, statements: StatementLog
) -> None:
    statements.start()
    response = await client.post(
        "/graphql",
        json={
            "query": "{ a: product(id: 1) { sku } b: products(limit: 1001) { items { sku } }"
            " c: product(id: 2) { sku } }"
        },
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "DX103"
    assert body["errors"][0]["path"] == ["b"]
    assert body["data"] is None  # b is non-null: its null reaches the root
    product_reads = [s for s in statements.data_statements if "product" in s]
    assert len(product_reads) == 1  # a's read, once; c is never read


async def test_a_refused_nullable_field_leaves_the_others(
    client: httpx.AsyncClient, statements: StatementLog
) -> None:
    statements.start()
    response = await client.post(
        "/graphql",
        json={"query": "{ a: product(id: 1) { sku } b: product(id: 2) { sku } }"},
    )
    assert response.json()["data"]["a"]["sku"]
    assert len([s for s in statements.data_statements if "product" in s]) == 2
