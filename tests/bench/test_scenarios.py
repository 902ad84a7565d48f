"""What a scenario's answer must hold before it is measured."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.scenarios import ALL_SCENARIOS, Scenario, ScenarioCheckError, check

BY_NAME = {s.name: s for s in ALL_SCENARIOS}


def product(number: int, nested: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {"id": number, "sku": f"SKU-{number:06d}"}
    if nested:
        row["category"] = {"id": 1, "name": "Category 01"}
        row["stocks"] = [{"id": 1, "warehouse": "WH-A", "quantity": 3}]
    return row


def body(document: object) -> bytes:
    return json.dumps(document).encode()


def test_each_scenario_is_defined_once_per_api_and_configuration() -> None:
    assert len(BY_NAME) == len(ALL_SCENARIOS)
    assert sorted(BY_NAME) == [
        "graphql A",
        "graphql B",
        "graphql C",
        "rest A",
        "rest B",
        "rest C",
        "spryker graphql A",
        "spryker graphql B",
        "spryker graphql C",
        "spryker rest A",
        "spryker rest B",
        "spryker rest C",
    ]
    assert BY_NAME["graphql C"].body == json.dumps(
        {
            "query": "query ($id: Int!) { product(id: $id) "
            "{ id sku name price is_active category_id created_at } }",
            "variables": {"id": 4242},
        }
    )
    assert BY_NAME["rest B"].path.endswith("&include=category,stocks")


def test_full_rest_page_and_graphql_item_pass() -> None:
    check(BY_NAME["rest A"], 200, body({"data": [product(i) for i in range(100)]}))
    check(BY_NAME["graphql C"], 200, body({"data": {"product": product(4242)}}))
    nested = [product(i, nested=True) for i in range(100)]
    check(BY_NAME["graphql B"], 200, body({"data": {"products": {"items": nested}}}))


@pytest.mark.parametrize(
    ("name", "status", "document", "message"),
    [
        ("rest A", 403, {"errors": ["denied"]}, "HTTP 403"),
        ("rest A", 200, {"data": [product(1)]}, "1 rows, expected 100"),
        ("graphql C", 200, {"data": {"product": None}}, "no rows"),
        ("graphql A", 200, {"data": None, "errors": [{"message": "DX122"}]}, "errors"),
        ("rest B", 200, {"data": [product(i) for i in range(100)]}, "lacks its category"),
    ],
)
def test_wrong_answers_are_refused(name: str, status: int, document: object, message: str) -> None:
    scenario: Scenario = BY_NAME[name]
    with pytest.raises(ScenarioCheckError, match=message):
        check(scenario, status, body(document))


def spryker_product(number: int, nested: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {"idProduct": number, "sku": f"SKU-{number:06d}"}
    if nested:
        row["category"] = {"idCategory": 1, "name": "Category 01"}
        row["stocks"] = [{"idStock": 1, "warehouse": "WH-A", "quantity": 3}]
    return row


def test_spryker_style_scenarios_address_its_aliases_and_visible_names() -> None:
    assert BY_NAME["spryker rest A"].path == (
        "/dynamic-entity/spryker-products?page%5Boffset%5D=0&page%5Blimit%5D=100"
    )
    assert BY_NAME["spryker rest B"].path.endswith("&include=category,stocks")
    assert BY_NAME["spryker rest C"].path == "/dynamic-entity/spryker-products/4242"
    assert BY_NAME["spryker graphql B"].graphql == (
        "{ sprykerProducts(limit: 100) { items { idProduct sku name price isActive fkCategory "
        "createdAt category { idCategory name } stocks { idStock warehouse quantity } } } }"
    )
    assert BY_NAME["spryker graphql C"].body == json.dumps(
        {
            "query": "query ($id: Int!) { sprykerProduct(id: $id) "
            "{ idProduct sku name price isActive fkCategory createdAt } }",
            "variables": {"id": 4242},
        }
    )


def test_spryker_style_answers_are_checked_by_its_visible_names() -> None:
    nested = [spryker_product(i, nested=True) for i in range(100)]
    check(BY_NAME["spryker rest B"], 200, body({"data": nested}))
    check(BY_NAME["spryker graphql C"], 200, body({"data": {"sprykerProduct": spryker_product(1)}}))
    # entities.json's names are not the Spryker-style configuration's
    with pytest.raises(ScenarioCheckError, match="a row without `idProduct`"):
        check(BY_NAME["spryker rest C"], 200, body({"data": product(4242)}))
    with pytest.raises(ScenarioCheckError, match="a row without `id`"):
        check(BY_NAME["rest C"], 200, body({"data": spryker_product(4242)}))
