"""An aggregate query's groups count toward GraphQL's cost limit like a list's rows: its
``limit`` (or the page size without one) multiplies what each group selects."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from app.gateway import Gateway
from app.settings import Settings
from tests.aggregates.oracle import create_sales, random_rows
from tests.conftest import settings_with

MAX_COST = 500


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings_with(settings, graphql_max_cost=MAX_COST)


@pytest.fixture
async def sales(gateway: Gateway, backend: str) -> list[dict[str, Any]]:
    rows = random_rows(random.Random(16), 40)  # noqa: S311 - test data
    await create_sales(gateway, backend, rows)
    return rows


async def test_groups_count_toward_the_cost_limit(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    costly = "{ salesAggregate(groupBy: [ID]) { groups { key { id } count sum { qty } } } }"
    refused = (await client.post("/graphql", json={"query": costly})).json()
    assert refused["errors"][0]["extensions"]["code"] == "DX134", refused
    paged = "{ salesAggregate(groupBy: [ID], limit: 50) { groups { key { id } count } } }"
    answered = (await client.post("/graphql", json={"query": paged})).json()
    assert "errors" not in answered, answered
    assert len(answered["data"]["salesAggregate"]["groups"]) == 40
