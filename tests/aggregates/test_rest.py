"""Aggregates over REST on every database: random requests against the oracle, the answer's
form, and every refusal with its code."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.gateway import Gateway
from app.settings import Settings
from auth import store
from tests.aggregates.oracle import ALIAS, Question, create_sales, random_question, random_rows
from tests.conftest import StatementLog, settings_with

ROWS = 160
QUESTIONS = 80
MAX_GROUPS = 100


def _operand(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_operand(v) for v in value]
    return value


def measure_name(measure: tuple[str, str | None]) -> str:
    function, field = measure
    return function if field is None else f"{function}.{field}"


def rest_params(question: Question) -> list[tuple[str, str | int | float | bool | None]]:
    params: list[tuple[str, str | int | float | bool | None]] = []
    for name, operator, operand in question.filters:
        params.append((f"filter[{ALIAS}.{name}]", json.dumps({operator: _operand(operand)})))
    for function, field in question.measures:
        params.append((f"aggregate[{function}]", "*" if field is None else field))
    params.extend(("groupBy[]", key) for key in question.groups)
    for measure, operator, operand in question.having:
        params.append((f"having[{measure_name(measure)}]", json.dumps({operator: operand})))
    if question.limit is not None:
        params += [("page[offset]", str(question.offset)), ("page[limit]", str(question.limit))]
    if question.sort:
        params.append(
            (
                "sort",
                ",".join(
                    ("-" if descending else "")
                    + (measure_name(target) if isinstance(target, tuple) else target)
                    for target, descending in question.sort
                ),
            )
        )
    return params


def rest_expected(question: Question, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for group in groups:
        item: dict[str, Any] = dict(group["keys"])
        for (function, field), value in group["values"].items():
            if field is None:
                if isinstance(item.get("count"), dict):
                    item["count"]["*"] = value
                else:
                    item["count"] = value
                continue
            existing = item.get(function)
            if not isinstance(existing, dict):
                item[function] = {} if existing is None else {"*": existing}
            item[function][field] = value
        out.append(item)
    return out


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A maximum page below the table's rows: grouping by the identifier is too many."""
    return settings_with(settings, max_page_size=MAX_GROUPS)


@pytest.fixture
async def sales(gateway: Gateway, backend: str) -> list[dict[str, Any]]:
    rows = random_rows(random.Random(16), ROWS)  # noqa: S311 - test data
    await create_sales(gateway, backend, rows)
    return rows


async def test_random_requests_answer_what_python_computes(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    rng = random.Random(1616)  # noqa: S311 - test data
    for _ in range(QUESTIONS):
        question = random_question(rng)
        response = await client.get(f"/dynamic-entity/{ALIAS}", params=rest_params(question))
        groups = question.answer(sales)
        if question.limit is None and len(groups) > MAX_GROUPS:
            assert response.status_code == 400, (question, response.text)
            assert response.json()[0]["code"] == "DX153"
            continue
        assert response.status_code == 200, (question, response.text)
        if question.limit is not None:
            groups = groups[question.offset : question.offset + question.limit]
        assert response.json()["data"] == rest_expected(question, groups), question


async def test_the_answer_of_the_issue_example_form(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    response = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&aggregate[sum]=price&aggregate[avg]=price"
        '&groupBy[]=region&groupBy[]=month(sold_at)&having[sum.price]={"gt":100}'
        "&sort=-sum.price&page[limit]=3"
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert len(data) == 3
    first = data[0]
    assert list(first) == ["region", "month(sold_at)", "count", "sum", "avg"]
    assert isinstance(first["count"], int)
    assert isinstance(first["sum"]["price"], str)
    assert "." in first["sum"]["price"]
    sums = [Decimal(item["sum"]["price"]) for item in data]
    assert sums == sorted(sums, reverse=True)
    assert sums[-1] > 100


async def test_without_group_by_one_object_for_the_whole_set(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    response = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&aggregate[sum]=qty,price&aggregate[max]=sold_at"
    )
    assert response.status_code == 200, response.text
    qty = sum(r["qty"] for r in sales if r["qty"] is not None)
    data = response.json()["data"]
    assert len(data) == 1
    assert data[0]["count"] == ROWS
    assert data[0]["sum"]["qty"] == qty
    empty = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&aggregate[sum]=price&aggregate[avg]=qty"
        '&filter[sales.region]={"gt":100}'
    )
    assert empty.json()["data"] == [{"count": 0, "sum": {"price": None}, "avg": {"qty": None}}]


async def test_a_list_without_aggregate_parameters_is_unchanged(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    response = await client.get(f"/dynamic-entity/{ALIAS}?page[offset]=0&page[limit]=2&sort=id")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["data"]] == [1, 2]


async def test_one_statement_per_aggregate_request(
    client: httpx.AsyncClient, sales: list[dict[str, Any]], statements: StatementLog
) -> None:
    statements.start()
    response = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&aggregate[avg]=price&groupBy[]=category"
        '&groupBy[]=week(sold_at)&having[count]={"gte":1}&sort=-count'
    )
    assert response.status_code == 200, response.text
    assert len(statements.data_statements) == 1, statements.data_statements
    assert "GROUP BY" in statements.data_statements[0].upper()


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("aggregate[sum]=nope", 400, "DX150"),
        ("aggregate[count]=*&groupBy[]=nope", 400, "DX150"),
        ("aggregate[median]=price", 400, "DX151"),
        ("aggregate[count]=*&groupBy[]=fortnight(sold_at)", 400, "DX151"),
        ("groupBy[]=category", 400, "DX151"),
        ("aggregate[sum]=*", 400, "DX151"),
        ('aggregate[count]=*&having[count]={"like":"x"}', 400, "DX101"),
        ("aggregate[count]=*&having[count]=many", 400, "DX101"),
        ("aggregate[count]=*&having[sum]=3", 400, "DX151"),
        ("aggregate[count]=*&include=things", 400, "DX151"),
        ("aggregate[sum]=category", 400, "DX152"),
        ("aggregate[avg]=sold_at", 400, "DX152"),
        ("aggregate[max]=active", 400, "DX152"),
        ("aggregate[count]=*&groupBy[]=month(price)", 400, "DX152"),
        ("aggregate[count]=*&groupBy[]=month(category)", 400, "DX152"),
        ("aggregate[count]=*&groupBy[]=id", 400, "DX153"),
        ("aggregate[count]=*&groupBy[]=id&page[limit]=5000", 400, "DX103"),
        ("aggregate[count]=*&filter[sales.nope]=1", 400, "1315"),
        ("aggregate[count]=*&filter[sales.store.nope]=1", 400, "1315"),
        ("aggregate[count]=*&groupBy[]=store.nope", 400, "DX150"),
        ("aggregate[count]=*&groupBy[]=nope.city", 400, "DX150"),
        ("aggregate[count]=*&groupBy[]=store.store.store.store.city", 400, "DX151"),
        ("aggregate[sum]=store.city", 400, "DX152"),
    ],
)
async def test_refusals(
    client: httpx.AsyncClient,
    sales: list[dict[str, Any]],
    query: str,
    status: int,
    code: str,
) -> None:
    response = await client.get(f"/dynamic-entity/{ALIAS}?{query}")
    assert response.status_code == status, response.text
    assert response.json()[0]["code"] == code, response.text


async def test_groups_are_paged_and_a_page_is_not_too_many(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    first = await client.get(
        f"/dynamic-entity/{ALIAS}?aggregate[count]=*&groupBy[]=id&page[limit]=5&page[offset]=10"
    )
    assert first.status_code == 200, first.text
    assert [item["id"] for item in first.json()["data"]] == list(range(11, 16))


async def test_aggregates_need_the_read_grant(
    gateway: Gateway, gateway_app: Any, sales: list[dict[str, Any]]
) -> None:
    await store.set_role(gateway.engine, "no-sales", ["products:read"])
    key = await store.create_api_key(gateway.engine, "no-sales", ["no-sales"])
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": key}
    ) as limited:
        refused = await limited.get(f"/dynamic-entity/{ALIAS}?aggregate[count]=*")
        assert refused.status_code == 403
        assert refused.json()[0]["code"] == "DX122"
        allowed = await limited.get("/dynamic-entity/products?aggregate[count]=*")
        assert allowed.status_code == 200
    await store.set_role(gateway.engine, "sales-only", ["sales:read"])
    key = await store.create_api_key(gateway.engine, "sales-only", ["sales-only"])
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": key}
    ) as sales_only:
        own = await sales_only.get(f"/dynamic-entity/{ALIAS}?aggregate[count]=*&groupBy[]=region")
        assert own.status_code == 200
        related = await sales_only.get(
            f"/dynamic-entity/{ALIAS}?aggregate[count]=*&groupBy[]=store.city"
        )
        assert related.status_code == 403
        assert "stores" in related.json()[0]["message"]


async def test_only_belongs_to_relationships_are_followed(
    client: httpx.AsyncClient, sales: list[dict[str, Any]]
) -> None:
    response = await client.get("/dynamic-entity/stores?aggregate[sum]=sales.qty")
    assert response.status_code == 400
    assert response.json()[0]["code"] == "DX152"
    assert "hasMany" in response.json()[0]["message"]
