"""A row's aggregates of its hasMany relationship over GraphQL (``stores { items {
salesAggregate { count sum { price } } } }``), on every database: the values Python computes
over each store's sales, a store without sales, a filter, exact decimal sums, one statement,
and the related entity's ``read`` grant."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from app.gateway import Gateway
from auth import store
from tests.aggregates.oracle import STORES, Row, create_sales, measure_value, random_rows
from tests.conftest import StatementLog

ROWS = 160
# A store without sales: its aggregate counts 0 and its sums are null.
EMPTY_STORE = 7
STORE_IDS = [*(s["id"] for s in STORES), EMPTY_STORE]
# Measures the database writes itself (the JSON statement): integers, decimals, dates.
MEASURES: tuple[tuple[str, str | None], ...] = (
    ("count", None),
    ("countDistinct", "category"),
    ("sum", "price"),
    ("sum", "qty"),
    ("avg", "price"),
    ("avg", "qty"),
    ("min", "price"),
    ("min", "sold_on"),
    ("max", "qty"),
    ("max", "sold_at"),
    ("max", "category"),
)
SELECTION = (
    "count countDistinct { category } sum { price qty } avg { price qty } "
    "min { price sold_on } max { qty sold_at category }"
)


@pytest.fixture
async def sales(gateway: Gateway, backend: str) -> list[Row]:
    rows = random_rows(random.Random(4), ROWS)  # noqa: S311 - test data
    await create_sales(gateway, backend, rows)
    async with gateway.engine.begin() as connection:
        await connection.exec_driver_sql(
            f"INSERT INTO store (id, city) VALUES ({EMPTY_STORE}, 'oslo')"
        )
    return rows


def expected(
    rows: Sequence[Row], measures: Sequence[tuple[str, str | None]], **where: Any
) -> dict[int, dict[str, Any]]:
    """Each store's aggregate as the API writes it, computed over its sales in Python."""
    out: dict[int, dict[str, Any]] = {}
    for store_id in STORE_IDS:
        members = [
            r
            for r in rows
            if r["store_id"] == store_id and all(r[k] == v for k, v in where.items())
        ]
        values: dict[str, Any] = {}
        for function, field in measures:
            value = measure_value(members, function, field)
            if field is None:
                values["count"] = value
            else:
                values.setdefault(function, {})[field] = value
        out[store_id] = values
    return out


async def _data(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


def _by_store(data: dict[str, Any], field: str = "salesAggregate") -> dict[int, Any]:
    return {item["id"]: item[field] for item in data["stores"]["items"]}


async def test_each_row_answers_what_python_computes_in_one_statement(
    client: httpx.AsyncClient, sales: list[Row], statements: StatementLog
) -> None:
    statements.start()
    data = await _data(
        client, f"{{ stores {{ items {{ id salesAggregate {{ {SELECTION} }} }} }} }}"
    )
    assert len(statements.data_statements) == 1, statements.data_statements
    answered = _by_store(data)
    assert answered == expected(sales, MEASURES)
    assert answered[EMPTY_STORE] == {
        "count": 0,
        "countDistinct": {"category": 0},
        "sum": {"price": None, "qty": None},
        "avg": {"price": None, "qty": None},
        "min": {"price": None, "sold_on": None},
        "max": {"qty": None, "sold_at": None, "category": None},
    }


async def test_a_filter_on_the_aggregate(
    client: httpx.AsyncClient, sales: list[Row], statements: StatementLog
) -> None:
    statements.start()
    data = await _data(
        client,
        '{ stores { items { id salesAggregate(filter: { category: { eq: "apple" } }) '
        f"{{ {SELECTION} }} all: salesAggregate {{ count }} }} }} }}",
    )
    assert len(statements.data_statements) == 1, statements.data_statements
    assert _by_store(data) == expected(sales, MEASURES, category="apple")
    totals = expected(sales, (("count", None),))
    assert _by_store(data, "all") == totals


async def test_decimal_sums_are_exact(
    client: httpx.AsyncClient, gateway: Gateway, sales: list[Row]
) -> None:
    # 0.1 + 0.2, and values whose sum has more digits than a double keeps.
    async with gateway.engine.begin() as connection:
        await connection.exec_driver_sql("INSERT INTO store (id, city) VALUES (8, 'lima')")
        for index, price in enumerate(["0.10", "0.20", "9999999999.99", "0.01"], start=1000):
            await connection.exec_driver_sql(
                f"INSERT INTO sale (id, price, qty, store_id) VALUES ({index}, {price}, 1, 8)"
            )
    data = await _data(
        client,
        "{ stores(filter: { id: { eq: 8 } }) { items { id "
        "salesAggregate { sum { price } avg { price } } "
        'small: salesAggregate(filter: { price: { lt: "1" } }) { sum { price } } } } }',
    )
    (item,) = data["stores"]["items"]
    assert item["salesAggregate"] == {
        "sum": {"price": "10000000000.30"},
        "avg": {"price": "2500000000.08"},
    }
    assert item["small"] == {"sum": {"price": "0.31"}}


async def test_nested_under_relationships_and_aliased(
    client: httpx.AsyncClient, sales: list[Row], statements: StatementLog
) -> None:
    statements.start()
    data = await _data(
        client,
        "{ sales(limit: 40) { items { id store { id __typename "
        "n: salesAggregate { __typename total: count s: sum { p: price } } } } } }",
    )
    assert len(statements.data_statements) == 1, statements.data_statements
    totals = expected(sales, (("count", None), ("sum", "price")))
    for item in data["sales"]["items"]:
        related = item["store"]
        if related is None:
            continue
        values = totals[related["id"]]
        assert related["n"] == {
            "__typename": "SaleRelatedAggregate",
            "total": values["count"],
            "s": {"p": values["sum"]["price"]},
        }


async def test_floats_and_the_rows_path(
    client: httpx.AsyncClient, sales: list[Row], statements: StatementLog
) -> None:
    """A float's sum is not written by the database (its text may not be Python's): the read
    takes the row path (the page, then the aggregates of its rows grouped by store), whose
    values are the same. The weights are eighths: exact sums."""
    measures = (*MEASURES, ("sum", "weight"), ("avg", "weight"))
    statements.start()
    data = await _data(
        client,
        f"{{ stores {{ items {{ id salesAggregate {{ {SELECTION} "
        "sum { weight } avg { weight } } } } }",
    )
    assert len(statements.data_statements) == 2, statements.data_statements
    assert _by_store(data) == expected(sales, measures)


async def test_graphql_core_answers_the_same(client: httpx.AsyncClient, sales: list[Row]) -> None:
    """A query with a field other than entity reads goes to graphql-core's executor."""
    data = await _data(
        client,
        '{ __type(name: "Query") { name } stores { items { id '
        "salesAggregate { __typename count s: sum { price } avg { qty } } } } }",
    )
    totals = expected(sales, (("count", None), ("sum", "price"), ("avg", "qty")))
    for item in data["stores"]["items"]:
        values = totals[item["id"]]
        assert item["salesAggregate"] == {
            "__typename": "SaleRelatedAggregate",
            "count": values["count"],
            "s": {"price": values["sum"]["price"]},
            "avg": values["avg"],
        }


async def test_the_related_read_grant_is_needed(
    gateway: Gateway, gateway_app: Any, sales: list[Row]
) -> None:
    await store.set_role(gateway.engine, "stores-only", ["stores:read"])
    key = await store.create_api_key(gateway.engine, "stores-only", ["stores-only"])
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": key}
    ) as limited:
        own = await limited.post("/graphql", json={"query": "{ stores { items { id } } }"})
        assert "errors" not in own.json(), own.json()
        query = "{ stores { items { id salesAggregate { count } } } }"
        refused = (await limited.post("/graphql", json={"query": query})).json()
        assert refused["data"] is None, refused
        error = refused["errors"][0]
        assert error["extensions"]["code"] == "DX122", refused
        assert "sales" in error["message"]


async def test_by_id_and_in_a_mutation_s_answer(
    client: httpx.AsyncClient, sales: list[Row], statements: StatementLog
) -> None:
    totals = expected(sales, (("count", None), ("sum", "price")))
    statements.start()
    data = await _data(client, "{ store(id: 2) { id salesAggregate { count sum { price } } } }")
    assert len(statements.data_statements) == 1, statements.data_statements
    assert data["store"]["salesAggregate"] == totals[2]
    response = await client.post(
        "/graphql",
        json={
            "query": 'mutation { updateStores(items: [{id: 3, city: "bonn"}]) { items { city '
            "salesAggregate { count sum { price } } } } }"
        },
    )
    body = response.json()
    assert "errors" not in body, body
    (item,) = body["data"]["updateStores"]["items"]
    assert item == {"city": "bonn", "salesAggregate": totals[3]}
