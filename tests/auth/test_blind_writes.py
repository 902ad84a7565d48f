"""A write is not a way to read: the attacks of issue 20, item 3, replayed.

A key granted only ``products:update`` could PATCH a product with its identifier alone and get
the whole stored row back, in bulk and over GraphQL. Now a principal without ``read`` gets the
identifier and what it sent; GraphQL refuses other fields with DX122; and refusals name no
entity it cannot read. (tests/auth/test_matrix.py checks this for every role and operation.)
"""

from __future__ import annotations

import httpx

from app.gateway import Gateway
from auth import store


async def key_for(gateway: Gateway, *grants: str) -> dict[str, str]:
    name = "blind-" + "-".join(g.replace(":", "_").replace(",", "_") for g in grants)
    await store.set_role(gateway.engine, name, list(grants))
    return {"X-Api-Key": await store.create_api_key(gateway.engine, name, [name])}


async def test_an_update_that_changes_nothing_answers_only_the_identifier(
    anonymous: httpx.AsyncClient, gateway: Gateway
) -> None:
    headers = await key_for(gateway, "products:update")
    one = await anonymous.patch(
        "/dynamic-entity/products/9", json={"data": {"id_product": 9}}, headers=headers
    )
    assert one.status_code == 200, one.text
    assert one.json() == {"data": {"id_product": 9}}
    bulk = await anonymous.patch(
        "/dynamic-entity/products",
        json={"data": [{"id_product": n, "name": f"Renamed {n}"} for n in range(1, 21)]},
        headers=headers,
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["data"] == [{"id_product": n, "name": f"Renamed {n}"} for n in range(1, 21)]


async def test_a_reader_still_gets_the_whole_saved_row(client: httpx.AsyncClient) -> None:
    answer = await client.patch("/dynamic-entity/products/9", json={"data": {"id_product": 9}})
    assert answer.status_code == 200
    assert {"sku", "price", "name"} <= set(answer.json()["data"])


async def test_graphql_refuses_fields_it_did_not_send_before_writing(
    anonymous: httpx.AsyncClient, client: httpx.AsyncClient, gateway: Gateway
) -> None:
    headers = await key_for(gateway, "products:update")
    before = (await client.get("/dynamic-entity/products/11")).json()
    refused = await anonymous.post(
        "/graphql",
        json={
            "query": 'mutation { updateProducts(items: [{id_product: 11, name: "X"}]) '
            "{ items { sku price } } }"
        },
        headers=headers,
    )
    [error] = refused.json()["errors"]
    assert error["extensions"] == {"code": "DX122", "status": 403}
    assert error["message"] == ("Not allowed to read `products`: no role grants products:read.")
    assert (await client.get("/dynamic-entity/products/11")).json() == before
    allowed = await anonymous.post(
        "/graphql",
        json={
            "query": 'mutation { updateProducts(items: [{id_product: 11, name: "X"}]) '
            "{ items { id_product name } } }"
        },
        headers=headers,
    )
    assert allowed.json() == {
        "data": {"updateProducts": {"items": [{"id_product": 11, "name": "X"}]}}
    }


async def test_a_create_answers_the_generated_identifier_and_the_sent_fields(
    anonymous: httpx.AsyncClient, gateway: Gateway
) -> None:
    headers = await key_for(gateway, "product-stocks:create")
    created = await anonymous.post(
        "/dynamic-entity/product-stocks",
        json={"data": [{"product_id": 1, "warehouse": "Blind", "quantity": 3}]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    [row] = created.json()["data"]
    assert set(row) == {"id_product_stock", "product_id", "warehouse", "quantity"}


async def test_a_refused_delete_names_no_entity_the_caller_cannot_read(
    anonymous: httpx.AsyncClient, gateway: Gateway
) -> None:
    blind = await anonymous.delete(
        "/dynamic-entity/categories/1", headers=await key_for(gateway, "categories:delete")
    )
    [error] = blind.json()
    assert error["code"] == "1317"
    assert error["message"] == (
        "Failed to delete the data for `categories.id_category = 1`. The entity has a child "
        "entity and can not be deleted."
    )
    seeing = await anonymous.delete(
        "/dynamic-entity/categories/1",
        headers=await key_for(gateway, "categories:delete", "products:read"),
    )
    assert seeing.json()[0]["message"].endswith("Child entity: `products`.")
