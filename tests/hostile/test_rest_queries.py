"""Hostile REST query strings: filter values (JSON bombs, huge numbers, duplicate operators,
SQL, LIKE patterns), too many conditions or sort keys, and ``include`` chains that loop
(products → category → products → …). All are refused with a 4xx and a code, or answered
correctly where the input is valid; none reaches SQL as text, none writes."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from schema_builder.operations.filters import MAX_CONDITIONS, MAX_LIKE_LENGTH
from schema_builder.operations.ir import MAX_RESPONSE_ROWS
from tests.hostile.support import SQL_LOOKING, like_escape, rest_error, unchanged

PRODUCTS = "/dynamic-entity/products"
PRODUCT_COUNT = len(demo.CATEGORIES) * demo.PRODUCTS_PER_CATEGORY


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text[:500]
    return [row["id_product"] for row in response.json()["data"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_product", '{"gt": 1e999999}'),
        ("id_product", '{"gt": -1e999999}'),
        ("id_product", '{"in": [1, 1e400]}'),
        ("id_product", '{"gt": ' + "9" * 5000 + "}"),
        ("id_product", '{"in": ' + "[" * 9_000 + "]" * 9_000 + "}"),
        ("id_product", '{"in": [' + "[" * 900 + "1" + "]" * 900 + "]}"),
        ("id_product", '{"eq": {"eq": 1}}'),
        ("id_product", '{"gt": 1, "gt": 200}'),
        ("price", '{"gt": 1e999999}'),
        ("price", '{"lt": "NaN"}'),
        ("price", '{"lt": "Infinity"}'),
        ("price", '{"gte": "0.' + "0" * 20_000 + '1"}'),
        ("price", "0." + "0" * 20_000 + "1"),
        ("price", '{"gte": "1", "gte": "2"}'),
        ("sku", '{"eq": ["CAM-00001"]}'),
        ("sku", '{"eq": {"like": "%"}}'),
        ("sku", '{"in": [["CAM-00001"]]}'),
        ("sku", '{"like": "CAM-00001\\\\"}'),
        ("sku", '{"like": "%\\\\"}'),
        ("sku", '{"like": "' + "%" * (MAX_LIKE_LENGTH + 1) + '"}'),
        ("sku", '{"like": "' + "a" * 55_000 + '"}'),
        ("sku", '{"eq": "a", "eq": "b"}'),
        ("is_active", '{"in": [true, "maybe"]}'),
    ],
    ids=[
        "int-1e999999",
        "int-minus-1e999999",
        "int-in-1e400",
        "int-5000-digits",
        "int-9000-brackets",
        "int-900-deep-list",
        "int-object",
        "int-duplicate-operator",
        "decimal-1e999999",
        "decimal-nan",
        "decimal-infinity",
        "decimal-20000-fraction-digits",
        "decimal-20000-fraction-digits-literal",
        "decimal-duplicate-operator",
        "string-list",
        "string-object",
        "string-nested-list",
        "like-trailing-escape",
        "like-only-escape",
        "like-too-long",
        "like-55000",
        "string-duplicate-operator",
        "boolean-in",
    ],
)
async def test_hostile_filter_value_is_refused_with_dx101(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, field: str, value: str
) -> None:
    key = f"filter[products.{field}]"
    rest_error(await shared_client.get(PRODUCTS, params={key: value}), 400, "DX101")
    async with unchanged(shared_engine):
        response = await shared_client.delete(PRODUCTS, params={key: value})
        rest_error(response, 400, "DX101")


@pytest.mark.parametrize("operator", ["eq", "ne", "gt", "in", "like", "isNull"])
async def test_a_null_operand_is_refused_with_dx101(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, operator: str
) -> None:
    params = {"filter[products.sku]": json.dumps({operator: None})}
    rest_error(await shared_client.get(PRODUCTS, params=params), 400, "DX101")
    async with unchanged(shared_engine):
        rest_error(await shared_client.delete(PRODUCTS, params=params), 400, "DX101")


@pytest.mark.parametrize(
    "params",
    [{}, {"filter": "{}"}, {"sort": "sku"}, {"page[limit]": "1"}],
    ids=["none", "bare-filter", "sort-only", "page-only"],
)
async def test_delete_without_a_condition_is_refused_with_dx104(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, params: dict[str, str]
) -> None:
    async with unchanged(shared_engine):
        rest_error(await shared_client.delete(PRODUCTS, params=params), 400, "DX104")


@pytest.mark.parametrize("value", SQL_LOOKING)
async def test_sql_looking_filter_value_is_compared_as_text(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, value: str
) -> None:
    async with unchanged(shared_engine):
        for operand in (
            {"eq": value},
            {"in": [value, value]},
            {"like": like_escape(value)},
            {"like": f"%{like_escape(value)}%"},
        ):
            response = await shared_client.get(
                PRODUCTS, params={"filter[products.name]": json.dumps(operand)}
            )
            assert ids(response) == []
        response = await shared_client.get(
            PRODUCTS, params={"filter[products.name]": json.dumps({"ne": value}), "count": "1"}
        )
        assert response.json()["meta"]["totalCount"] == PRODUCT_COUNT
        if not value.startswith("{"):  # a JSON object of operators is a filter of its own
            response = await shared_client.get(
                PRODUCTS, params={"filter[products.id_product]": value}
            )
            rest_error(response, 400, "DX101")
        response = await shared_client.delete(
            PRODUCTS, params={"filter[products.sku]": json.dumps({"eq": value})}
        )
        rest_error(response, 404, "1303")


async def test_like_escapes_wildcards_with_a_backslash_on_every_back_end(
    client: httpx.AsyncClient,
) -> None:
    names = {1: "50% off", 2: "50x off", 3: "a_b", 4: "axb", 5: "back\\slash", 6: "back\\\\slash"}
    for id_product, name in names.items():
        response = await client.patch(f"{PRODUCTS}/{id_product}", json={"data": {"name": name}})
        assert response.status_code == 200, response.text
    for pattern, expected in (
        ("50\\% off", [1]),
        ("50% off", [1, 2]),
        ("a\\_b", [3]),
        ("a_b", [3, 4]),
        ("back\\\\slash", [5]),
        ("back\\\\\\\\slash", [6]),
        ("back%slash", [5, 6]),
        ("\\5\\0%", [1, 2]),  # an escaped ordinary character is that character
    ):
        response = await client.get(
            PRODUCTS, params={"filter[products.name]": json.dumps({"like": pattern})}
        )
        assert ids(response) == expected, pattern


async def test_filter_with_at_most_the_maximum_of_conditions_runs(
    shared_client: httpx.AsyncClient,
) -> None:
    params = [("filter[id_product]", json.dumps({"ne": n})) for n in range(MAX_CONDITIONS)]
    response = await shared_client.get(PRODUCTS, params=tuple([*params, ("count", "1")]))
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["totalCount"] == PRODUCT_COUNT - (MAX_CONDITIONS - 1)


@pytest.mark.parametrize("conditions", [MAX_CONDITIONS + 1, 1200])
async def test_filter_with_too_many_conditions_is_refused_with_dx101(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, conditions: int
) -> None:
    params = [("filter[id_product]", json.dumps({"ne": n})) for n in range(conditions)]
    error = rest_error(await shared_client.get(PRODUCTS, params=tuple(params)), 400, "DX101")
    assert error["message"] == (
        f"The filter has {conditions} conditions; at most {MAX_CONDITIONS} are allowed."
    )
    several = [("filter[id_product]", json.dumps({"gte": 0, "lte": 10**6, "ne": -1}))] * (
        conditions // 3 + 1
    )
    rest_error(await shared_client.get(PRODUCTS, params=tuple(several)), 400, "DX101")
    async with unchanged(shared_engine):
        response = await shared_client.delete(PRODUCTS, params=tuple(params))
        rest_error(response, 400, "DX101")


async def test_sort_naming_a_field_many_times_sorts_by_it_once(
    shared_client: httpx.AsyncClient,
) -> None:
    plain = await shared_client.get(PRODUCTS, params={"sort": "-price,name"})
    repeated = await shared_client.get(
        PRODUCTS, params={"sort": ",".join(["-price", *["name", "-name", "price"] * 1000])}
    )
    assert ids(repeated) == ids(plain)
    prices = [float(row["price"]) for row in repeated.json()["data"]]
    assert prices == sorted(prices, reverse=True)


async def test_include_back_to_the_same_entity_within_the_row_bound_is_answered(
    shared_client: httpx.AsyncClient,
) -> None:
    response = await shared_client.get(
        PRODUCTS, params={"include": "category.products", "page[offset]": "0", "page[limit]": "20"}
    )
    assert response.status_code == 200, response.text[:500]
    rows = response.json()["data"]
    assert len(rows) == 20
    for row in rows:
        siblings = row["category"]["products"]
        assert len(siblings) == demo.PRODUCTS_PER_CATEGORY
        assert row["id_product"] in [s["id_product"] for s in siblings]
        assert all(s["category_id"] == row["category_id"] for s in siblings)
    # Fan-out 2 per level: ten levels stay small.
    chain = ".".join(["stocks", "product"] * 5)
    response = await shared_client.get(f"{PRODUCTS}/1", params={"include": chain})
    assert response.status_code == 200, response.text[:500]
    node = response.json()["data"]
    for _ in range(5):
        assert len(node["stocks"]) == 2
        node = node["stocks"][0]["product"]
    assert node["id_product"] == 1


@pytest.mark.parametrize(
    ("url", "include"),
    [
        # Each about a million rows when written out (products-10 would be 10**13).
        (PRODUCTS, "category.products.category.products.category.products"),
        (f"{PRODUCTS}/1", ".".join(["category", "products"] * 5)),
        ("/dynamic-entity/categories", "products.category.products.category.products.category"),
        (PRODUCTS, "stocks,category.products.category.products.category.products"),
    ],
    ids=["products-6", "by-id-10", "categories-6", "beside-another"],
)
async def test_include_loop_beyond_the_row_bound_is_refused_with_dx137(
    shared_client: httpx.AsyncClient, url: str, include: str
) -> None:
    response = await shared_client.get(url, params={"include": include})
    error = rest_error(response, 400, "DX137")
    assert error["message"].startswith("`include` would return more than ")
    assert f"{MAX_RESPONSE_ROWS} rows" in error["message"]


async def test_include_listed_many_times_is_read_once(shared_client: httpx.AsyncClient) -> None:
    params = {"include": ",".join(["stocks", "category", "stocks.country"] * 1000)}
    response = await shared_client.get(f"{PRODUCTS}/1", params=params)
    assert response.status_code == 200, response.text[:500]
    row = response.json()["data"]
    assert row["category"]["id_category"] == 1
    assert [s["country"]["id_country"] for s in row["stocks"]] == [
        s["country_id"] for s in row["stocks"]
    ]
