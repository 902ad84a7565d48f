"""The README's aggregate examples run against the demo catalog on every database and answer
what the README shows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from tests.test_readme import section

SECTION = section("Aggregates and grouping")
GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "aggregates.md").read_text()


def _rest_example() -> tuple[str, list[dict[str, Any]]]:
    url = re.search(r"'http://127\.0\.0\.1:8000(/dynamic-entity/[^']+)'", SECTION)
    shown = re.search(r"^# (\{\"data\": .*)$", SECTION, re.M)
    assert url is not None
    assert shown is not None
    return url.group(1), json.loads(shown.group(1).replace(", ...]", "]"))["data"]


def _graphql_example(text: str = SECTION) -> str:
    block = re.search(r"```graphql\n(.*?)```", text, re.S)
    assert block is not None
    return block.group(1)


async def test_the_rest_example_answers_as_shown(client: httpx.AsyncClient) -> None:
    path, shown = _rest_example()
    response = await client.get(path)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data[: len(shown)] == shown
    sums = [group["sum"]["quantity"] for group in data]
    assert sums == sorted(sums, reverse=True)
    assert all(total > 100 for total in sums)


async def test_the_graphql_example_answers_the_same_groups(client: httpx.AsyncClient) -> None:
    path, _shown = _rest_example()
    rest = (await client.get(path)).json()["data"]
    response = await client.post("/graphql", json={"query": _graphql_example()})
    body = response.json()
    assert "errors" not in body, body
    answer = body["data"]["productStocksAggregate"]
    assert [
        (g["key"]["warehouse"], g["count"], g["sum"]["quantity"]) for g in answer["groups"]
    ] == [(g["warehouse"], g["count"], g["sum"]["quantity"]) for g in rest]
    assert answer["count"] >= sum(g["count"] for g in answer["groups"])


async def test_every_graphql_example_of_the_section_answers_groups(
    client: httpx.AsyncClient,
) -> None:
    blocks = re.findall(r"```graphql\n(.*?)```", SECTION, re.S)
    assert len(blocks) == 3
    for block in blocks:
        body = (await client.post("/graphql", json={"query": block})).json()
        assert "errors" not in body, (block, body)
    filtered = (await client.post("/graphql", json={"query": blocks[2]})).json()
    groups = filtered["data"]["productStocksAggregate"]["groups"]
    assert groups, filtered
    assert all(group["count"] > 0 for group in groups)


async def test_the_guide_s_graphql_example_runs_on_the_demo(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": _graphql_example(GUIDE)})
    body = response.json()
    assert "errors" not in body, body
    answer = body["data"]["productsAggregate"]
    groups = answer["groups"]
    assert 0 < len(groups) <= 10
    assert all(g["count"] >= 2 for g in groups)
    sums = [float(g["sum"]["price"]) for g in groups]
    assert sums == sorted(sums, reverse=True)
    assert answer["count"] >= sum(g["count"] for g in groups)


def _related_example(text: str) -> str:
    blocks = re.findall(r"```graphql\n(.*?)```", text, re.S)
    related = [block for block in blocks if "stocksAggregate" in block]
    assert len(related) == 1
    return str(related[0])


async def test_the_related_aggregate_examples_answer_each_product_s_stocks(
    client: httpx.AsyncClient,
) -> None:
    listed = await client.post(
        "/graphql",
        json={"query": "{ products(limit: 10) { items { sku stocks { quantity warehouse } } } }"},
    )
    stocks = {item["sku"]: item["stocks"] for item in listed.json()["data"]["products"]["items"]}
    for text in (SECTION, GUIDE):
        response = await client.post("/graphql", json={"query": _related_example(text)})
        body = response.json()
        assert "errors" not in body, body
        items = body["data"]["products"]["items"]
        assert [item["sku"] for item in items] == list(stocks)
        for item in items:
            quantities = [stock["quantity"] for stock in stocks[item["sku"]]]
            aggregate = item["stocksAggregate"]
            assert aggregate["count"] == len(quantities)
            assert aggregate["sum"] == {"quantity": sum(quantities)}
            assert aggregate["avg"] == {"quantity": sum(quantities) / len(quantities)}
            if "warehouse1" in item:
                in_one = [s for s in stocks[item["sku"]] if s["warehouse"] == "Warehouse1"]
                assert item["warehouse1"] == {"count": len(in_one)}
