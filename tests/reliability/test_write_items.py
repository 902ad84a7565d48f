"""DEXGATE_MAX_WRITE_ITEMS: a write of more items is refused with 413 DX131 before anything
is written, over REST (POST, PATCH, PUT, transactional or not) and GraphQL (counted over every
mutation of the request, whether the items are written inline or sent as variables)."""

from __future__ import annotations

from typing import Any

import pytest

from app.settings import Settings
from tests.conftest import settings_with
from tests.reliability.conftest import count, serving

MAX = 3
MESSAGE = (
    "The request writes 4 items; at most 3 are accepted per request "
    "(DEXGATE_MAX_WRITE_ITEMS). Split it into several requests."
)


def categories(n: int) -> list[dict[str, Any]]:
    return [{"name": f"Bulk {i}", "url": f"/bulk-{i}"} for i in range(n)]


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
@pytest.mark.parametrize("transactional", ["true", "false"])
async def test_rest_write_of_more_items_than_the_limit_is_refused_and_writes_nothing(
    settings: Settings, admin_key: str, method: str, transactional: str
) -> None:
    items = categories(MAX + 1)
    if method != "POST":
        items = [{"id_category": i + 1, "name": "Renamed"} for i in range(MAX + 1)]
    async with serving(settings_with(settings, max_write_items=MAX), admin_key) as server:
        before = await count(
            server.gateway.engine, "category", "name LIKE 'Bulk%' OR name = 'Renamed'"
        )
        response = await server.client.request(
            method,
            "/dynamic-entity/categories",
            json={"data": items},
            headers={"X-Is-Transactional": transactional},
        )
        after = await count(
            server.gateway.engine, "category", "name LIKE 'Bulk%' OR name = 'Renamed'"
        )

    assert response.status_code == 413
    assert response.json() == [{"status": 413, "code": "DX131", "message": MESSAGE}]
    assert before == after == 0


async def test_rest_write_of_exactly_the_limit_is_saved(settings: Settings, admin_key: str) -> None:
    async with serving(settings_with(settings, max_write_items=MAX), admin_key) as server:
        response = await server.client.post(
            "/dynamic-entity/categories", json={"data": categories(MAX)}
        )

    assert response.status_code == 201, response.text
    assert len(response.json()["data"]) == MAX


CREATE = (
    "mutation($items: [CategoryCreateInput!]!)"
    " { createCategories(items: $items) { items { name } } }"
)


async def test_graphql_mutation_with_more_items_than_the_limit_is_refused_before_it_runs(
    settings: Settings, admin_key: str
) -> None:
    inline = ", ".join(f'{{name: "Bulk {i}", url: "/bulk-{i}"}}' for i in range(MAX + 1))
    literal = f"mutation {{ createCategories(items: [{inline}]) {{ items {{ name }} }} }}"
    async with serving(settings_with(settings, max_write_items=MAX), admin_key) as server:
        responses = [
            await server.client.post(
                "/graphql",
                json={"query": literal},
            ),
            await server.client.post(
                "/graphql", json={"query": CREATE, "variables": {"items": categories(MAX + 1)}}
            ),
        ]
        written = await count(server.gateway.engine, "category", "name LIKE 'Bulk%'")

    for response in responses:
        assert response.status_code == 413
        assert response.json() == {
            "errors": [{"message": MESSAGE, "extensions": {"code": "DX131", "status": 413}}]
        }
    assert written == 0


async def test_graphql_items_are_counted_over_every_mutation_of_the_request(
    settings: Settings, admin_key: str
) -> None:
    query = (
        "mutation($a: [CategoryCreateInput!]!, $b: [CategoryCreateInput!]!) {"
        " first: createCategories(items: $a) { items { name } }"
        " second: createCategories(items: $b) { items { name } } }"
    )
    variables = {"a": categories(2), "b": categories(4)[2:]}
    async with serving(settings_with(settings, max_write_items=MAX), admin_key) as server:
        response = await server.client.post(
            "/graphql", json={"query": query, "variables": variables}
        )
        written = await count(server.gateway.engine, "category", "name LIKE 'Bulk%'")

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "DX131", "status": 413}
    assert written == 0


async def test_graphql_mutation_of_exactly_the_limit_runs(
    settings: Settings, admin_key: str
) -> None:
    async with serving(settings_with(settings, max_write_items=MAX), admin_key) as server:
        response = await server.client.post(
            "/graphql", json={"query": CREATE, "variables": {"items": categories(MAX)}}
        )

    assert response.status_code == 200
    assert len(response.json()["data"]["createCategories"]["items"]) == MAX
