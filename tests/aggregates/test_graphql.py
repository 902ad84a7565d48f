"""Aggregates over GraphQL on every database: the same random requests as over REST against
the oracle, totals beside groups in one statement, and refusals with their codes."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.gateway import Gateway
from app.settings import Settings
from schema_builder.graphql.names import upper_snake
from tests.aggregates.oracle import Question, create_sales, random_question, random_rows
from tests.conftest import StatementLog, settings_with

ROWS = 160
QUESTIONS = 80
MAX_GROUPS = 100
GRAPHQL_FILTER_OPERATORS = {"eq", "ne", "gt", "lte", "in", "isNull"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings_with(settings, max_page_size=MAX_GROUPS)


@pytest.fixture
async def sales(gateway: Gateway, backend: str) -> list[dict[str, Any]]:
    rows = random_rows(random.Random(16), ROWS)  # noqa: S311 - test data
    await create_sales(gateway, backend, rows)
    return rows


def _joined(first: str, second: str) -> str:
    if "_" in first or "_" in second:
        return f"{first}_{second}"
    return first + second[:1].upper() + second[1:]


def key_field(key: str) -> str:
    """The GroupKey field of an oracle key: ``month(sold_at)`` is ``sold_at_month``,
    ``day(stamp)`` ``stampDay``, ``year(store.opened)`` ``store_opened_year``."""
    bucket = None
    if "(" in key:
        bucket, key = key[:-1].split("(")
    relation, _dot, field = key.rpartition(".")
    name = f"{relation}_{field}" if relation else field  # the sales' names are snake case
    return _joined(name, bucket) if bucket else name


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f'"{value}"'
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return str(value)


def _measure_selection(measures: tuple[tuple[str, str | None], ...]) -> str:
    parts: list[str] = []
    by_function: dict[str, list[str]] = {}
    for function, field in measures:
        if field is None:
            parts.append("count")
        else:
            by_function.setdefault(function, []).append(field)
    parts += [f"{function} {{ {' '.join(fields)} }}" for function, fields in by_function.items()]
    return " ".join(parts)


def _sort_value(target: Any, descending: bool) -> str:
    order = "true" if descending else "false"
    if not isinstance(target, tuple):
        return f"{{ key: {upper_snake(key_field(target))}, descending: {order} }}"
    function, field = target
    if field is None:
        return f"{{ aggregate: COUNT, descending: {order} }}"
    return (
        f"{{ aggregate: {upper_snake(function)}, field: {upper_snake(field)}, "
        f"descending: {order} }}"
    )


def _condition(field: str, operator: str, value: Any) -> str:
    """A filter condition; a related field's (``store.city``) inside its relationship's."""
    condition = f"{{ {operator}: {_literal(value)} }}"
    for name in reversed(field.split(".")):
        condition = f"{{ {name}: {condition} }}"
    return condition


def graphql_query(question: Question, *, totals: bool = False) -> str:
    arguments: list[str] = []
    if question.filters:
        conditions = ", ".join(_condition(field, op, v) for field, op, v in question.filters)
        arguments.append(f"filter: {{ and: [{conditions}] }}")
    if question.groups:
        arguments.append(
            "groupBy: [" + ", ".join(upper_snake(key_field(k)) for k in question.groups) + "]"
        )
    if question.having:
        parts = []
        for (function, field), op, value in question.having:
            condition = f"{{ {op}: {_literal(value)} }}"
            parts.append(
                f"count: {condition}"
                if field is None
                else f"{function}: {{ {field}: {condition} }}"
            )
        arguments.append("having: { " + ", ".join(parts) + " }")
    if question.sort:
        arguments.append("sort: [" + ", ".join(_sort_value(t, d) for t, d in question.sort) + "]")
    if question.limit is not None:
        arguments.append(f"limit: {question.limit}, offset: {question.offset}")
    args = f"({', '.join(arguments)})" if arguments else ""
    keys = " ".join(key_field(k) for k in question.groups)
    key = f"key {{ {keys} }}" if keys else ""
    measures = _measure_selection(question.measures)
    top = measures if totals else ""
    return f"{{ salesAggregate{args} {{ {top} groups {{ {key} {measures} }} }} }}"


def graphql_groups(question: Question, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for group in groups:
        item: dict[str, Any] = {}
        if question.groups:
            item["key"] = {key_field(k): v for k, v in group["keys"].items()}
        for (function, field), value in group["values"].items():
            if field is None:
                item["count"] = value
            else:
                item.setdefault(function, {})[field] = value
        out.append(item)
    return out


def _own(name: str | None) -> bool:
    return name is None or "." not in name


def _graphql_question(rng: random.Random) -> Question:
    """A random question GraphQL can ask: no count of a field's values (REST's
    ``aggregate[count]=field``; GraphQL has ``countDistinct``), no function of a field of a
    related entity (REST's ``countDistinct.store.city``); filters may name them."""
    question = random_question(rng)
    measures = tuple(m for m in question.measures if m != ("count", "price") and _own(m[1]))
    sort = tuple(
        s
        for s in question.sort
        if (_own(s[0][1]) and s[0] != ("count", "price") if isinstance(s[0], tuple) else True)
    )
    return Question(
        question.filters,
        question.groups,
        measures or (("count", None),),
        question.having,
        sort,
        question.offset,
        question.limit,
    )


async def test_random_requests_answer_what_python_computes(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    rng = random.Random(1617)  # noqa: S311 - test data
    for _ in range(QUESTIONS):
        question = _graphql_question(rng)
        query = graphql_query(question)
        response = await client.post("/graphql", json={"query": query})
        body = response.json()
        groups = question.answer(sales)
        if question.groups and question.limit is None and len(groups) > MAX_GROUPS:
            assert body["errors"][0]["extensions"]["code"] == "DX153", (query, body)
            continue
        assert "errors" not in body, (query, body)
        if question.limit is not None and question.groups:
            groups = groups[question.offset : question.offset + question.limit]
        assert body["data"]["salesAggregate"]["groups"] == graphql_groups(question, groups), query


async def test_totals_beside_groups_in_one_statement(
    client: httpx.AsyncClient, sales: list[dict[str, Any]], statements: StatementLog
) -> None:
    question = Question(
        filters=(("region", "ne", 2),),
        groups=("category", "month(sold_at)"),
        measures=(("count", None), ("sum", "price"), ("avg", "qty"), ("max", "sold_on")),
        having=((("count", None), "gt", 1),),
        sort=((("sum", "price"), True),),
        offset=1,
        limit=4,
    )
    statements.start()
    response = await client.post("/graphql", json={"query": graphql_query(question, totals=True)})
    body = response.json()
    assert "errors" not in body, body
    assert len(statements.data_statements) == 1, statements.data_statements
    answer = body["data"]["salesAggregate"]
    groups = question.answer(sales)
    assert answer["groups"] == graphql_groups(question, groups[1:5])
    whole = Question(question.filters, (), question.measures, (), ())
    (totals,) = graphql_groups(whole, whole.answer(sales))
    assert {k: v for k, v in answer.items() if k != "groups"} == totals


async def test_refusals_carry_their_codes(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    cases = {
        "{ salesAggregate(groupBy: [ID]) { groups { count } } }": "DX153",
        "{ salesAggregate(limit: 1000) { groups { count } } }": "DX103",
        '{ salesAggregate(having: { count: { gt: "x" } }) { count } }': "DX111",
        "{ salesAggregate(filter: { region: { gt: null } }) { count } }": "DX101",
        "{ salesAggregate { sum { category } } }": "DX111",
        "{ salesAggregate(sort: [{ aggregate: SUM }]) { count } }": "DX151",
        "{ salesAggregate(sort: [{ key: REGION, aggregate: COUNT }]) { count } }": "DX151",
        "{ salesAggregate(sort: [{ aggregate: SUM, field: SOLD_AT_MONTH }]) { count } }": "DX151",
        "{ salesAggregate(sort: [{ aggregate: SUM, field: CATEGORY }]) { count } }": "DX152",
    }
    for query, code in cases.items():
        response = await client.post("/graphql", json={"query": query})
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == code, (query, body)


async def test_the_schema_types_the_values(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": '{ __type(name: "SaleSums") { fields { name type { name } } } '
            'k: __type(name: "SaleGroupKey") { fields { name type { name } } } }'
        },
    )
    data = response.json()["data"]
    sums = {f["name"]: f["type"]["name"] for f in data["__type"]["fields"]}
    assert sums == {
        "id": "BigInt",
        "region": "BigInt",
        "price": "Decimal",
        "qty": "BigInt",
        "weight": "Float",
        "store_id": "BigInt",
    }
    keys = {f["name"]: f["type"]["name"] for f in data["k"]["fields"]}
    assert keys["sold_at_year"] == "Int"
    assert keys["sold_at_week"] == "String"
    assert keys["stampMonth"] == "String"
    assert keys["sold_on"] == "Date"
    assert "category_month" not in keys
