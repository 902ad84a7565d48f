"""Reads whose JSON PostgreSQL writes (schema_builder.operations.read_json, graphql_json) answer
byte for byte what the row-by-row path answers, for every field type it writes, NULLs, unicode,
control characters, big and tiny decimals, dates and timestamps (infinity included); and they
step aside (the row-by-row path answers) where they cannot promise that."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

import app.graphql.endpoint as endpoint
import app.rest.endpoints as rest_endpoint
from app import demo
from app.gateway import Gateway
from auth import store
from schema_builder.catalog import build_catalog
from schema_builder.definition import parse_entries
from schema_builder.graphql import json_plans as graphql_json
from schema_builder.operations import read_json
from schema_builder.operations.ir import Condition, Include, RelationOut
from schema_builder.operations.read_json_sql import (
    ListTemplate,
    RelationTemplate,
    Slot,
    list_statement,
)
from tests.entries import plain_entry
from tests.graphql.support import QUERIES

COLUMNS = {  # column: (SQL type, field type)
    "id_value": ("integer PRIMARY KEY", "integer"),
    "small": ("smallint", "integer"),
    "big": ("bigint", "integer"),
    "code": ("varchar(64)", "string"),
    "note": ("text", "string"),
    "price": ("numeric(12,2)", "decimal"),
    "whole": ("numeric(24,0)", "decimal"),
    "free": ("numeric", "decimal"),
    "fine": ("numeric(30,10)", "decimal"),
    "flag": ("boolean", "boolean"),
    "day": ("date", "date"),
    "moment": ("timestamp", "datetime"),
    "stamp": ("timestamptz", "datetime"),
    "parent_id": ("integer REFERENCES json_value(id_value)", "integer"),
}
ROWS = [  # SQL literals, in the order of COLUMNS
    "1, 1, 1, 'A-1', 'plain', 20.00, 5, 1.50, 0.1, true, '2024-02-29',"
    " '2024-02-29 13:45:30.123456', '2024-02-29 13:45:30+00', NULL",
    "2, -32768, -9223372036854775808, 'Zürich ✓ 日本 😀', E'quote \" backslash \\\\ slash /',"
    " -0.01, 120000, '1e20', '0.0000000', false, '0005-03-04', '0005-03-04 01:02:03.000001',"
    " '1999-12-31 23:59:59.5+02', 1",
    "3, 32767, 9223372036854775807, E'\\x01\\x1f\\x7f tab\\t nl\\n cr\\r ff\\f bs\\b',"
    " E'\\u2028 \\u2029 \\u00e9', 9999999999.99, -100000000, '-0.00000012300',"
    " '0.0000000000', NULL, 'infinity', 'infinity', 'infinity', 1",
    "4, 0, 0, '', '', 0.00, 0, '0.000001', '12345678901234567890.0123456789', true,"
    " '-infinity', '-infinity', '-infinity', 3",
    "5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
    "6, 7, 10000, 'x', 'y', 0.10, 1230000000000, 'NaN', '-0.0000000001', false, '9999-12-31',"
    " '2000-01-01 00:00:00', '2000-01-01 00:00:00.000001+00', 2",
    "7, 8, 100, 'z', 'w', 1.00, 10, '100', '-1.5', true, '2024-01-01', '2024-01-01 12:00:00',"
    " '2024-01-01 12:00:00-05:30', 6",
]


def entry(alias: str, columns: dict[str, tuple[str, str]]) -> dict[str, Any]:
    fields = {name: kind for name, (_sql, kind) in columns.items()}
    return {
        **plain_entry("json_value", alias, "id_value", fields, deletable=True),
        "childRelations": [
            {
                "name": "children",
                "isEditable": False,
                "childDynamicEntityConfiguration": {"tableAlias": alias},
                "relationFieldMappings": [
                    {"childFieldName": "parent_id", "parentFieldName": "id_value"}
                ],
            }
        ],
        "parentRelations": [
            {
                "name": "parent",
                "isEditable": False,
                "parentDynamicEntityConfiguration": {"tableAlias": alias},
                "relationFieldMappings": [
                    {"childFieldName": "parent_id", "parentFieldName": "id_value"}
                ],
            }
        ],
    }


@pytest.fixture
def backend() -> str:
    """PostgreSQL writes the JSON; SQLite always reads row by row (the other suites cover it)."""
    return "postgresql"


@pytest.fixture
async def values(gateway: Gateway) -> None:
    """The ``json-values`` entity (every type written in SQL) on PostgreSQL."""
    columns = ", ".join(f"{name} {sql}" for name, (sql, _kind) in COLUMNS.items())
    async with gateway.engine.begin() as connection:
        await connection.exec_driver_sql(f"CREATE TABLE json_value ({columns})")
        for row in ROWS:
            await connection.exec_driver_sql(f"INSERT INTO json_value VALUES ({row})")
    await gateway.registry.apply(parse_entries([entry("json-values", COLUMNS)]))


@dataclass
class Paths:
    """Sends a request with the database writing the JSON, then row by row."""

    client: httpx.AsyncClient
    monkeypatch: pytest.MonkeyPatch
    written: int = 0

    async def compare(
        self, method: str, url: str, *, database: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """The answer, after checking that both paths give the same status, headers and
        bytes, and that the database wrote it (or, ``database=False``, did not)."""
        real = read_json._fetch
        calls: list[int] = []

        async def counting(*args: Any) -> Any:
            calls.append(1)
            return await real(*args)

        with self.monkeypatch.context() as patch:
            patch.setattr(read_json, "_fetch", counting)
            written = await self.client.request(method, url, **kwargs)
        assert bool(calls) is database, (url, kwargs)
        with self.monkeypatch.context() as patch:
            patch.setattr(read_json, "serves", lambda _engine: False)
            rows = await self.client.request(method, url, **kwargs)
        assert written.status_code == rows.status_code, written.text
        assert written.content == rows.content
        for header in ("content-type", "content-length", "x-total-count"):
            assert written.headers.get(header) == rows.headers.get(header)
        return written

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, database: bool = True
    ) -> Any:
        """The ``data`` of a query, the same bytes from every executor."""
        body = {"query": query, "variables": variables or {}}
        written = await self.compare("POST", "/graphql", json=body, database=database)

        async def declined(*_args: Any) -> None:
            return None

        with self.monkeypatch.context() as patch:
            patch.setattr(endpoint, "execute_text", declined)
            patch.setattr(endpoint, "execute_query", declined)
            general = await self.client.post("/graphql", json=body)
        assert written.content == general.content
        answer = written.json()
        assert "errors" not in answer, answer
        return answer["data"]


@pytest.fixture
def paths(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> Paths:
    return Paths(client, monkeypatch)


async def test_every_type_is_written_as_the_rows_are(values: None, paths: Paths) -> None:
    response = await paths.compare("GET", "/dynamic-entity/json-values")
    rows = response.json()["data"]
    assert len(rows) == len(ROWS)
    assert rows[1]["code"] == "Zürich ✓ 日本 😀"
    assert rows[1]["whole"] == "1.2E+5"  # asyncpg decodes 120000 with a positive exponent
    assert rows[2]["day"] == "9999-12-31"
    assert rows[4] == dict.fromkeys(COLUMNS, None) | {"id_value": 5}


def random_rows(count: int, seed: int) -> list[str]:
    """Rows of numbers and instants of every magnitude: trailing zeros, tiny fractions, big
    integers, microseconds or none."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security

    def number(whole_digits: int, scale: int | None) -> str:
        """Up to ``whole_digits`` before the point, ``scale`` (any when None) after it."""
        zeros = "0" * rng.choice([0, 0, 1, 3, 4, 5, 8, 12])
        whole = (str(rng.randrange(10**whole_digits)) + zeros)[-whole_digits:].lstrip("0")
        places = rng.randrange(0, 31) if scale is None else scale
        fraction = (zeros + str(rng.randrange(10**places)) + zeros)[:places] if places else ""
        if rng.random() < 0.2:
            whole = ""  # below one, tiny ones included
        text = (whole or "0") + ("." + fraction if fraction else "")
        return ("-" if rng.random() < 0.3 else "") + text

    rows = []
    for offset in range(count):
        moment = (
            f"{rng.randrange(1, 9999):04d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        )
        clock = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
        fraction = rng.choice(["", f".{rng.randrange(10**6):06d}", ".5"])
        zone = rng.choice(["+00", "-03:30", "+14"])
        rows.append(
            f"{100 + offset}, NULL, NULL, NULL, NULL, {number(10, 2)}, {number(24, 0)},"
            f" '{number(40, None)}', {number(20, 10)}, NULL, '{moment}',"
            f" '{moment} {clock}{fraction}', '{moment} {clock}{fraction}{zone}', NULL"
        )
    return rows


async def test_numbers_and_instants_of_every_magnitude_are_written_as_the_rows_are(
    values: None, paths: Paths, gateway: Gateway
) -> None:
    async with gateway.engine.begin() as connection:
        for row in random_rows(400, seed=20261127):
            await connection.exec_driver_sql(f"INSERT INTO json_value VALUES ({row})")
    response = await paths.compare(
        "GET", "/dynamic-entity/json-values?page[offset]=0&page[limit]=500"
    )
    assert len(response.json()["data"]) == len(ROWS) + 400


@pytest.mark.parametrize("identifier", [str(n) for n in range(1, 8)])
async def test_each_row_by_id_is_written_as_the_row_is(
    values: None, paths: Paths, identifier: str
) -> None:
    await paths.compare("GET", f"/dynamic-entity/json-values/{identifier}")
    await paths.compare("GET", f"/dynamic-entity/json-values/{identifier}?include=children")
    await paths.compare("GET", f"/dynamic-entity/json-values/{identifier}?include=parent")


@pytest.mark.parametrize(
    "query",
    [
        "sort=-price",
        "sort=whole,-id_value",
        "sort=-moment&page[offset]=1&page[limit]=3",
        "sort=stamp&count=true",
        "filter[v.free]=1.50",
        "filter[v.code]=Zürich ✓ 日本 😀",
        'filter[v.price]={"gte": "0", "lt": "100"}&count=true',
        'filter[v.id_value]={"in": [1, 3, 5, 99]}',
        'filter[v.whole]={"in": ["120000", "5"]}',
        'filter[v.note]={"like": "%back%"}',
        'filter[v.flag]={"isNull": true}',
        'filter[v.day]={"gt": "2000-01-01"}',
        'filter[v.moment]={"lte": "2024-02-29T13:45:30.123456"}',
        "filter[v.flag]=false&include=children,parent",
        "include=children&page[offset]=0&page[limit]=2",
        "page[offset]=100&page[limit]=5&count=true",
    ],
)
async def test_filtered_sorted_and_paged_lists_are_written_as_the_rows_are(
    values: None, paths: Paths, query: str
) -> None:
    await paths.compare("GET", f"/dynamic-entity/json-values?{query}")


@pytest.mark.parametrize(
    "path",
    [
        "/dynamic-entity/products?page[offset]=0&page[limit]=100&include=category,stocks",
        "/dynamic-entity/products?page[offset]=190&page[limit]=100&include=stocks&count=true",
        "/dynamic-entity/categories?include=products",
        "/dynamic-entity/countries?include=stocks&sort=-name",
        "/dynamic-entity/product-stocks?include=product,country&page[offset]=5&page[limit]=7",
        "/dynamic-entity/products/17?include=stocks,category",
        '/dynamic-entity/products?filter[p.sku]={"like": "CAM%"}&include=category',
    ],
)
async def test_demo_reads_with_includes_are_written_as_the_rows_are(
    paths: Paths, path: str
) -> None:
    await paths.compare("GET", path)


async def test_related_rows_missing_leave_the_key_out_as_rest_does(
    paths: Paths, client: httpx.AsyncClient
) -> None:
    created = await client.post(
        "/dynamic-entity/products",
        json={"data": [{"sku": "LONE-1", "name": "Alone", "price": "1.00"}]},
    )
    assert created.status_code == 201, created.text
    identifier = created.json()["data"][0]["id_product"]
    response = await paths.compare(
        "GET", f"/dynamic-entity/products/{identifier}?include=category,stocks"
    )
    assert "category" not in response.json()["data"]
    assert "stocks" not in response.json()["data"]


async def test_errors_are_the_row_by_row_paths(paths: Paths) -> None:
    for path in (
        "/dynamic-entity/products?include=nothing",
        "/dynamic-entity/products?sort=nothing",
        "/dynamic-entity/products?filter[p.price]=cheap",
        "/dynamic-entity/products/abc",
        "/dynamic-entity/nothing",
    ):
        response = await paths.compare("GET", path, database=False)
        assert response.status_code >= 400
    missing = await paths.compare("GET", "/dynamic-entity/products/999999")
    assert missing.status_code == 404


async def test_deeper_includes_and_other_field_types_are_read_row_by_row(
    paths: Paths, gateway: Gateway
) -> None:
    await paths.compare("GET", "/dynamic-entity/products?include=stocks.country", database=False)
    async with gateway.engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE json_other (id_other integer PRIMARY KEY, ratio float8, payload jsonb)"
        )
        await connection.exec_driver_sql(
            'INSERT INTO json_other VALUES (1, 1e20, \'{"b": 1, "a": [1.5]}\'), (2, NULL, NULL)'
        )
    fields = {"id_other": "integer", "ratio": "float", "payload": "json"}
    other = plain_entry("json_other", "others", "id_other", fields)
    await gateway.registry.apply(parse_entries([other]))
    await paths.compare("GET", "/dynamic-entity/others", database=False)
    await paths.graphql("{ others { items { id_other } } }")  # no float or json selected
    await paths.graphql("{ others { items { id_other ratio } } }", database=False)
    await paths.graphql("{ other(id: 1) { payload } }", database=False)


async def test_the_row_limit_of_includes_holds(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rest_endpoint, "MAX_RESPONSE_ROWS", 150)
    refused = await paths.compare(
        "GET", "/dynamic-entity/products?page[offset]=0&page[limit]=100&include=stocks"
    )
    assert refused.status_code == 400
    assert refused.json()[0]["code"] == "DX100"
    await paths.compare(
        "GET", "/dynamic-entity/products?page[offset]=0&page[limit]=50&include=stocks"
    )


@contextlib.asynccontextmanager
async def products_only(paths: Paths, gateway: Gateway, gateway_app: Any) -> AsyncIterator[Paths]:
    """Paths for a caller that may read products and nothing else."""
    await store.set_role(gateway.engine, "products-only", ["products:read"])
    key = await store.create_api_key(gateway.engine, "products-only", ["products-only"])
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": key}
    ) as restricted:
        yield Paths(restricted, paths.monkeypatch)


async def test_a_refused_include_is_refused_as_row_by_row(
    paths: Paths, gateway: Gateway, gateway_app: Any
) -> None:
    async with products_only(paths, gateway, gateway_app) as limited:
        await limited.compare("GET", "/dynamic-entity/products?page[offset]=0&page[limit]=5")
        refused = await limited.compare(
            "GET", "/dynamic-entity/products?include=stocks", database=False
        )
        assert refused.status_code == 403


GRAPHQL = [
    *QUERIES,  # the direct executor's, and more
    "{ products(limit: 100) { items { sku category { name } stocks { warehouse quantity } } } }",
    "{ products(offset: 200, limit: 10) { totalCount __typename items { sku } } }",
    "{ categories(limit: 2) { first: items { name } again: items { url products(offset: 3,"
    " limit: 2, sort: [sku_DESC]) { sku } } } }",
    "{ products(limit: 0) { totalCount items { sku } } }",
    "{ products(filter: {sku: {in: []}}) { items { sku } } }",
    "{ products(offset: 500) { totalCount } }",
    "{ products { __typename } }",
    "{ products(limit: 2) { items { __typename } } }",
    "{ product(id: 1) { __typename } missing: product(id: 0) { __typename } }",
    "{ categories(limit: 3) { items { products(limit: 2) { __typename } } } }",
]


@pytest.mark.parametrize("query", GRAPHQL)
async def test_graphql_queries_are_written_as_every_executor_writes_them(
    paths: Paths, query: str
) -> None:
    await paths.graphql(query, {"n": 3})


async def test_graphql_every_type_is_written_as_the_executors_write_it(
    values: None, paths: Paths
) -> None:
    fields = " ".join(COLUMNS)
    data = await paths.graphql(
        f"{{ jsonValues(sort: [id_value_ASC]) {{ items {{ {fields} parent {{ id_value code }}"
        f" children {{ id_value stamp }} }} }} }}"
    )
    assert len(data["jsonValues"]["items"]) == len(ROWS)
    for identifier in range(1, 9):
        await paths.graphql(f"{{ jsonValue(id: {identifier}) {{ {fields} }} }}")


async def test_graphql_errors_are_left_to_the_executors(paths: Paths) -> None:
    body = {"query": "{ products(limit: 5000) { items { sku } } }"}
    response = await paths.compare("POST", "/graphql", json=body, database=False)
    assert response.json()["errors"][0]["extensions"]["code"] == "DX103"


def test_the_statement_reads_each_relationship_per_page_row() -> None:
    tables = {table.name: table for table in demo.metadata.sorted_tables}
    catalog = build_catalog(1, parse_entries(demo.demo_entries()), tables)
    products = catalog.entities["products"]
    shape = read_json.rest_shape(catalog, products, (Include("category"), Include("stocks")))
    template = ListTemplate(
        products,
        where=(Condition("price", "in", Slot(2)),),
        sort=(),
        offset=Slot(0),
        limit=Slot(1),
        count=True,
        nested_count=True,
        shapes=(read_json_template(shape),),
    )
    statement = list_statement(catalog, template)
    sql = str(statement.compile(dialect=create_async_engine("postgresql+asyncpg://").dialect))
    assert sql.startswith("WITH page AS")
    # each relationship: the rows of each page row, read by a LATERAL subquery, in order
    assert sql.count("LEFT OUTER JOIN LATERAL (SELECT string_agg(") == 2
    assert sql.count("= page.c") == 2
    assert "row_number()" not in sql
    assert "product.price = ANY ($" in sql  # `in` is one array parameter, whatever its length
    assert sql.count("string_agg(") == 3
    assert "(SELECT count(*) AS count_1" in sql


def read_json_template(shape: Any) -> Any:
    """The template of a REST shape without filters on its includes."""
    return tuple(
        entry
        if not isinstance(entry, RelationOut)
        else RelationTemplate(
            entry.key,
            entry.include.name,
            (),
            (),
            None,
            None,
            read_json_template(entry.shape),
            entry.omit_empty,
        )
        for entry in shape
    )


async def test_a_plan_made_for_one_caller_grants_nothing_to_another(
    paths: Paths, gateway: Gateway, gateway_app: Any
) -> None:
    """Plans are kept per request shape, not per caller: each request's permissions are
    checked again, so a read planned for the admin is refused to a caller without the grant."""
    include = "/dynamic-entity/products?include=stocks"
    query = "{ products(limit: 2) { items { sku stocks { quantity } } } }"
    await paths.compare("GET", include)
    await paths.graphql(query)
    async with products_only(paths, gateway, gateway_app) as limited:
        refused = await limited.compare("GET", include, database=False)
        assert refused.status_code == 403
        answer = await limited.compare("POST", "/graphql", json={"query": query}, database=False)
        assert answer.json()["errors"][0]["extensions"]["code"] == "DX122"


async def test_a_graphql_plan_reads_its_identifier_variable_per_request(paths: Paths) -> None:
    """A by-id field's ``id`` variable is read per request from one plan; a variable the
    plan depends on (a list's ``limit``) makes a plan per value."""
    by_id = "query One($id: Int!) { product(id: $id) { id_product sku } }"
    answers = [await paths.graphql(by_id, {"id": identifier}) for identifier in (1, 2, 3)]
    assert [a["product"]["id_product"] for a in answers] == [1, 2, 3]
    assert (await paths.graphql(by_id, {"id": 99999}))["product"] is None
    document = endpoint._cache.document(by_id)
    plans = [e for e in graphql_json._plans._documents.values() if e.document is document]
    assert len(plans) == 1
    assert plans[0].free == {"id"}
    assert len(plans[0].plans) == 1  # one plan, whatever the identifier

    limited = "query Few($n: Int) { products(limit: $n) { items { sku } } }"
    assert len((await paths.graphql(limited, {"n": 1}))["products"]["items"]) == 1
    assert len((await paths.graphql(limited, {"n": 2}))["products"]["items"]) == 2

    both = (
        "query Both($id: Int!) { product(id: $id) { sku } again: product(id: $id) { id_product } }"
    )
    data = await paths.graphql(both, {"id": 2})
    assert data["again"]["id_product"] == 2
    for variables in ({"id": "x"}, {"id": None}, {}, {"id": 1.5}, {"id": True}):
        bad = await paths.compare(
            "POST", "/graphql", json={"query": by_id, "variables": variables}, database=False
        )
        assert bad.json()["errors"][0]["extensions"]["code"] == "DX112", variables
    assert (await paths.graphql(by_id, {"id": 3, "unused": [1]}))["product"]["id_product"] == 3


async def test_reads_borrow_the_drivers_own_connections(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    """The reads written by the database take their connections from the read pool, not
    from the engine's pool, and give them back."""
    pool = read_json._pools[gateway.reader]
    gateway.registry.check_interval = 3600  # no version check (a statement) per request
    await client.get("/dynamic-entity/products/1")  # the key is looked up (and kept) once
    checkouts: list[object] = []
    listener = (gateway.engine.sync_engine.pool, "checkout", lambda *_args: checkouts.append(1))
    sa.event.listen(*listener)
    try:
        answer = await client.get("/dynamic-entity/products?page[offset]=0&page[limit]=3")
        one = await client.get("/dynamic-entity/products/2")
    finally:
        sa.event.remove(*listener)
    assert answer.status_code == one.status_code == 200
    assert len(answer.json()["data"]) == 3
    assert checkouts == []
    assert pool.open >= 1
    assert pool.idle == pool.open


async def test_a_cancelled_read_closes_its_connection(gateway: Gateway) -> None:
    """A read cancelled while its statement runs (the request's deadline) does not hand
    that connection to the next read."""
    pool = read_json._pools[gateway.reader]
    slow = read_json._Prepared("SELECT pg_sleep(10)", (), ())
    await read_json._fetch(gateway.reader, read_json._Prepared("SELECT 1", (), ()), ())
    connected = pool.open
    task = asyncio.create_task(read_json._fetch(gateway.reader, slow, ()))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pool.open == connected - 1
    row = await read_json._fetch(gateway.reader, read_json._Prepared("SELECT 2", (), ()), ())
    assert row[0] == 2
