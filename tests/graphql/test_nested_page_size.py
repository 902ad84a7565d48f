"""A hasMany field without `limit` is still capped per parent at the maximum page size."""

from __future__ import annotations

from dataclasses import replace

import httpx

from app.application import create_app
from app.settings import Settings
from tests.lifespan import lifespan


async def test_nested_list_without_limit_is_capped_per_parent_at_the_page_size(
    settings: Settings, admin_key: str
) -> None:
    small = replace(settings, max_page_size=3, default_page_size=3)
    app = create_app(small)
    query = "{ categories(limit: 2) { items { name products { sku } } } }"
    async with (
        lifespan(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://dexgate.test",
            headers={"X-Api-Key": admin_key},
        ) as client,
    ):
        response = await client.post("/graphql", json={"query": query})
    items = response.json()["data"]["categories"]["items"]
    assert [len(item["products"]) for item in items] == [3, 3]
    assert items[0]["products"] == [
        {"sku": "CAM-00001"},
        {"sku": "CAM-00002"},
        {"sku": "CAM-00003"},
    ]
