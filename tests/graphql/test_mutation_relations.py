"""A mutation's result answers the relationships it selects, written by it or not."""

from __future__ import annotations

from typing import Any

import httpx

from app.gateway import Gateway
from auth import store

UPDATE = """mutation {
  updateProducts(items: [{id_product: 3, name: "Renamed"}]) {
    items { name category { name } stocks(sort: [WAREHOUSE_ASC]) { warehouse } }
  }
}"""


async def _graphql(client: httpx.AsyncClient, query: str, **headers: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_update_result_answers_belongs_to_and_has_many_relations(
    client: httpx.AsyncClient,
) -> None:
    before = await client.get("/dynamic-entity/products/3", params={"include": "category,stocks"})
    expected = before.json()["data"]
    body = await _graphql(client, UPDATE)
    [item] = body["data"]["updateProducts"]["items"]
    assert item["name"] == "Renamed"
    assert item["category"] == {"name": expected["category"]["name"]}
    assert item["stocks"] == sorted(
        ({"warehouse": s["warehouse"]} for s in expected["stocks"]), key=lambda s: s["warehouse"]
    )
    assert item["stocks"] != []


async def test_create_result_answers_the_category_of_the_new_row(
    client: httpx.AsyncClient,
) -> None:
    body = await _graphql(
        client,
        'mutation { createProducts(items: [{sku: "REL-1", name: "Rel", price: "1.00", '
        "category_id: 2}]) { items { sku category { id_category } } } }",
    )
    assert body["data"]["createProducts"]["items"] == [
        {"sku": "REL-1", "category": {"id_category": 2}}
    ]


async def test_selecting_a_relation_without_read_access_is_refused_before_writing(
    anonymous: httpx.AsyncClient, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "writer", ["products:update"])
    key = await store.create_api_key(gateway.engine, "writer", ["writer"])
    body = await _graphql(anonymous, UPDATE, **{"X-Api-Key": key})
    assert body["errors"][0]["extensions"] == {"code": "DX122", "status": 403}
    after = await client.get("/dynamic-entity/products/3")
    assert after.json()["data"]["name"] != "Renamed"
