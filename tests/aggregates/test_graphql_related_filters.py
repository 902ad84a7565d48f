"""An aggregate query's filter and having through belongsTo relationships over GraphQL
(``productStocksAggregate(filter: {product: {category: {name: {eq: "Cameras"}}}})``,
``having: {sum: {product: {price: {gt: "100"}}}}``), on every database and the demo's data:
the same groups as REST's ``filter[...]`` and ``having[...]`` naming the same path, with
``and``/``or``/``not`` inside a relationship, one statement, and the related entities'
``read`` grants. The random requests of ``test_graphql.py`` filter through a
relationship too, against the oracle."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.gateway import Gateway
from auth import store
from tests.conftest import StatementLog

ALIAS = "product-stocks"
SELECTION = "count sum { quantity } groups { key { warehouse } count sum { quantity } }"
# (GraphQL filter, REST filter parameters) asking the same of the stocks.
CASES: list[tuple[str, str]] = [
    ("{product: {is_active: {eq: true}}}", "filter[product-stocks.product.is_active]=true"),
    (
        '{product: {category: {name: {eq: "Cameras"}}}}',
        "filter[product-stocks.product.category.name]=Cameras",
    ),
    (
        '{quantity: {gt: 10}, product: {price: {lt: "500"}, category: {id_category: '
        "{in: [1, 2, 3]}}}}",
        'filter[product-stocks.quantity]={"gt":10}&filter[product-stocks.product.price]='
        '{"lt":"500"}&filter[product-stocks.product.category.id_category]={"in":[1,2,3]}',
    ),
]


def _rest_groups(body: list[dict[str, Any]] | dict[str, Any]) -> list[dict[str, Any]]:
    assert isinstance(body, dict), body
    return [
        {"key": {"warehouse": g["warehouse"]}, "count": g["count"], "sum": g["sum"]}
        for g in body["data"]
    ]


def _by_category(body: Any) -> list[dict[str, Any]]:
    """REST's groups by ``product.category_id`` with their counts, as GraphQL writes them."""
    return [
        {"key": {"product_category_id": g["product.category_id"]}, "count": g["count"]}
        for g in body["data"]
    ]


async def _aggregate(client: httpx.AsyncClient, where: str) -> dict[str, Any]:
    query = f"{{ productStocksAggregate(filter: {where}, groupBy: [WAREHOUSE]) {{ {SELECTION} }} }}"
    body = (await client.post("/graphql", json={"query": query})).json()
    assert "errors" not in body, (query, body)
    result: dict[str, Any] = body["data"]["productStocksAggregate"]
    return result


@pytest.mark.parametrize(("where", "rest"), CASES, ids=["one-hop", "two-hops", "mixed"])
async def test_a_filter_through_relationships_answers_as_rest_does(
    client: httpx.AsyncClient, where: str, rest: str
) -> None:
    answer = await _aggregate(client, where)
    grouped = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&aggregate[sum]=quantity"
        f"&groupBy[]=warehouse&{rest}"
    )
    assert grouped.status_code == 200, grouped.text
    assert answer["groups"] == _rest_groups(grouped.json())
    whole = await client.get(f"/dynamic-entity/{ALIAS}?aggregate[count]=*&{rest}")
    assert answer["count"] == whole.json()["data"][0]["count"]
    # The filter selects: fewer stocks than there are, and some.
    everything = await client.get(f"/dynamic-entity/{ALIAS}?aggregate[count]=*")
    assert 0 < answer["count"] < everything.json()["data"][0]["count"]


async def test_combinations_inside_a_relationship(client: httpx.AsyncClient) -> None:
    cameras = await _aggregate(client, '{product: {category: {name: {eq: "Cameras"}}}}')
    laptops = await _aggregate(client, '{product: {category: {name: {eq: "Laptops"}}}}')
    either = await _aggregate(
        client,
        '{product: {or: [{category: {name: {eq: "Cameras"}}}, '
        '{category: {name: {eq: "Laptops"}}}]}}',
    )
    assert either["count"] == cameras["count"] + laptops["count"]
    others = await _aggregate(
        client, '{not: {product: {category: {name: {in: ["Cameras", "Laptops"]}}}}}'
    )
    everything = await _aggregate(client, "{}")
    assert others["count"] == everything["count"] - either["count"]


async def test_a_variable_filter_through_a_relationship_is_one_statement(
    client: httpx.AsyncClient, statements: StatementLog
) -> None:
    query = (
        "query($where: ProductStockAggregateFilter) { productStocksAggregate(filter: $where) "
        "{ count } }"
    )
    where = {"product": {"category": {"name": {"eq": "Cameras"}}}}
    statements.start()
    body = (
        await client.post("/graphql", json={"query": query, "variables": {"where": where}})
    ).json()
    assert "errors" not in body, body
    assert len(statements.data_statements) == 1, statements.data_statements
    literal = await _aggregate(client, '{product: {category: {name: {eq: "Cameras"}}}}')
    assert body["data"]["productStocksAggregate"]["count"] == literal["count"]


async def test_the_related_read_grants_are_needed(gateway: Gateway, gateway_app: Any) -> None:
    await store.set_role(gateway.engine, "stocks-and-products", [f"{ALIAS}:read", "products:read"])
    key = await store.create_api_key(gateway.engine, "stocks-and-products", ["stocks-and-products"])
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": key}
    ) as limited:
        one_hop = await _aggregate(limited, "{product: {is_active: {eq: true}}}")
        assert one_hop["count"] > 0
        query = (
            '{ productStocksAggregate(filter: {product: {category: {name: {eq: "Cameras"}}}})'
            " { count } }"
        )
        refused = (await limited.post("/graphql", json={"query": query})).json()
        assert refused["data"] is None, refused
        error = refused["errors"][0]
        assert error["extensions"]["code"] == "DX122", refused
        assert "categories" in error["message"], refused


async def test_a_list_s_filter_names_no_relationship(client: httpx.AsyncClient) -> None:
    """Lists keep their filter (own fields): the relationship is no field of it."""
    query = "{ productStocks(filter: {product: {is_active: {eq: true}}}) { totalCount } }"
    body = (await client.post("/graphql", json={"query": query})).json()
    assert body["errors"][0]["extensions"]["code"] == "DX111", body


async def test_having_through_relationships_keeps_the_groups_rest_keeps(
    client: httpx.AsyncClient,
) -> None:
    """``having: {sum: {product: {price: ...}}}`` over GraphQL and REST's
    ``having[sum.product.price]``: the same groups, with a threshold between the groups'
    sums so that some are kept and some not."""
    sums = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[sum]=product.price&groupBy[]=product.category_id"
    )
    assert sums.status_code == 200, sums.text
    values = sorted(Decimal(g["sum"]["product.price"]) for g in sums.json()["data"])
    threshold = values[len(values) // 2]
    query = (
        "{ productStocksAggregate(groupBy: [PRODUCT_CATEGORY_ID], having: {sum: {product: "
        f'{{price: {{gt: "{threshold}"}}}}}}, max: {{product: {{category: {{name: '
        '{gte: "C"}}}}}) { groups { key { product_category_id } count } } }'
    )
    body = (await client.post("/graphql", json={"query": query})).json()
    assert "errors" not in body, body
    groups = body["data"]["productStocksAggregate"]["groups"]
    rest = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&groupBy[]=product.category_id"
        f'&having[sum.product.price]={{"gt":"{threshold}"}}'
        '&having[max.product.category.name]={"gte":"C"}'
    )
    assert rest.status_code == 200, rest.text
    expected = _by_category(rest.json())
    assert groups == expected
    assert 0 < len(groups) < len(values)


async def test_groups_sorted_by_an_aggregate_of_a_related_field_as_rest_sorts_them(
    client: httpx.AsyncClient,
) -> None:
    query = (
        "{ productStocksAggregate(groupBy: [PRODUCT_CATEGORY_ID], sort: [{aggregate: AVG, "
        "field: PRODUCT_PRICE, descending: true}], limit: 5) { groups { key { "
        "product_category_id } count } } }"
    )
    body = (await client.post("/graphql", json={"query": query})).json()
    assert "errors" not in body, body
    rest = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&groupBy[]=product.category_id"
        "&sort=-avg.product.price&page[limit]=5"
    )
    assert rest.status_code == 200, rest.text
    expected = _by_category(rest.json())
    assert body["data"]["productStocksAggregate"]["groups"] == expected
    by_key = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&groupBy[]=product.category_id&page[limit]=5"
    )
    assert [g["product.category_id"] for g in by_key.json()["data"]] != [
        g["key"]["product_category_id"] for g in expected
    ]
