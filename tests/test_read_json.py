"""Reads whose JSON PostgreSQL writes (schema_builder.operations.reads) answer byte for byte
what reads as rows answer, for every field type it writes, NULLs, unicode,
control characters, big and tiny decimals, dates and timestamps (infinity included); and they
step aside (the row-by-row path answers) where they cannot promise that."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

import app.rest.endpoints as rest_endpoint
from app import demo
from app.gateway import Gateway
from auth import store
from schema_builder.catalog import build_catalog
from schema_builder.definition import parse_entries
from schema_builder.operations.ir import Condition, Include, RelationOut
from schema_builder.operations.reads.compile import JsonStatement
from schema_builder.operations.reads.plan import rest_shape
from schema_builder.operations.reads.pool import ReadPool
from schema_builder.operations.reads.reader import Reader
from schema_builder.operations.reads.sql.statement import (
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


class Paths:
    """Sends a request to the application as it is (the database writes the JSON where it
    can), then to the same application with a reader that reads every plan as rows, and,
    for GraphQL, with graphql-core executing every operation."""

    def __init__(self, client: httpx.AsyncClient, app: Any) -> None:
        self.client = client
        self.app = app
        self.gateway: Gateway = app.state.gateway
        self.sent: list[str] = []
        self.gateway.reads.listen(lambda sql, _parameters: self.sent.append(sql))
        self.rows = dataclasses.replace(self.gateway, reads=Reader(self.gateway.reader, json=False))
        self.general = dataclasses.replace(
            self.gateway, graphql=dataclasses.replace(self.gateway.graphql, plans=False)
        )

    def for_client(self, client: httpx.AsyncClient) -> Paths:
        other = Paths.__new__(Paths)
        other.client, other.app, other.gateway = client, self.app, self.gateway
        other.sent, other.rows, other.general = self.sent, self.rows, self.general
        return other

    async def _as(self, gateway: Gateway, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.app.state.gateway = gateway
        try:
            return await self.client.request(method, url, **kwargs)
        finally:
            self.app.state.gateway = self.gateway

    async def compare(
        self, method: str, url: str, *, database: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """The answer, after checking that both readers give the same status, headers and
        bytes, and that the database wrote it (or, ``database=False``, did not)."""
        self.sent.clear()
        written = await self.client.request(method, url, **kwargs)
        assert bool(self.sent) is database, (url, kwargs)
        rows = await self._as(self.rows, method, url, **kwargs)
        assert written.status_code == rows.status_code, written.text
        assert written.content == rows.content
        for header in ("content-type", "content-length", "x-total-count"):
            assert written.headers.get(header) == rows.headers.get(header)
        return written

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, database: bool = True
    ) -> Any:
        """The ``data`` of a query, the same bytes from the plans and from graphql-core."""
        body = {"query": query, "variables": variables or {}}
        written = await self.compare("POST", "/graphql", json=body, database=database)
        general = await self._as(self.general, "POST", "/graphql", json=body)
        assert written.content == general.content
        answer = written.json()
        assert "errors" not in answer, answer
        return answer["data"]


@pytest.fixture
def paths(client: httpx.AsyncClient, gateway_app: Any) -> Paths:
    return Paths(client, gateway_app)


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
    assert refused.json()[0]["code"] == "DX137"
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
        yield paths.for_client(restricted)


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
    # the direct executor's (but aggregate queries, which no reader statement answers), and more
    *(query for query in QUERIES if "Aggregate" not in query),
    "{ products(limit: 100) { items { sku category { name } stocks { warehouse quantity } } } }",
    "{ products(offset: 200, limit: 10) { totalCount __typename items { sku } } }",
    "{ categories(limit: 2) { first: items { name } again: items { url products(offset: 3,"
    " limit: 2, sort: [SKU_DESC]) { sku } } } }",
    # a window past every related row, and one of the middle rows in another order
    "{ categories(limit: 3) { items { name products(offset: 1000) { sku } few: products(limit: 1,"
    " offset: 1, sort: [PRICE_DESC]) { sku price } } } }",
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
        f"{{ jsonValues(sort: [ID_VALUE_ASC]) {{ items {{ {fields} parent {{ id_value code }}"
        f" children {{ id_value stamp }} }} }} }}"
    )
    assert len(data["jsonValues"]["items"]) == len(ROWS)
    for identifier in range(1, 9):
        await paths.graphql(f"{{ jsonValue(id: {identifier}) {{ {fields} }} }}")


async def test_graphql_errors_are_answered_without_a_statement(paths: Paths) -> None:
    body = {"query": "{ products(limit: 5000) { items { sku } } }"}
    response = await paths.compare("POST", "/graphql", json=body, database=False)
    assert response.json()["errors"][0]["extensions"]["code"] == "DX103"


def test_the_statement_reads_each_relationship_per_page_row() -> None:
    tables = {table.name: table for table in demo.metadata.sorted_tables}
    catalog = build_catalog(1, parse_entries(demo.demo_entries()), tables)
    products = catalog.entities["products"]
    shape = rest_shape(catalog, products, (Include("category"), Include("stocks")))
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
    # stocks: the rows of each page row, read by a LATERAL subquery, in order; category
    # (a belongsTo by the category's identifier): its table joined
    assert sql.count("LEFT OUTER JOIN LATERAL (SELECT string_agg(") == 1
    assert "LEFT OUTER JOIN category AS t1 ON t1.id_category = page.c" in sql
    assert sql.count("= page.c") == 2
    assert "row_number()" not in sql
    assert "product.price = ANY ($" in sql  # `in` is one array parameter, whatever its length
    assert sql.count("string_agg(") == 2  # the stocks of each row, the page's rows
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
    gateway = paths.gateway
    schema, _catalog = await gateway.schemas.serving(await gateway.registry.current())
    entry = gateway.graphql.queries.of(schema, gateway.graphql.documents.document(by_id), None)
    assert entry.free == {"id"}
    assert len(entry.plans) == 1  # one plan, whatever the identifier

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


async def test_a_cancelled_read_closes_its_connection(gateway: Gateway) -> None:
    """A read cancelled while its statement runs (the request's deadline) does not hand
    that connection to the next read."""
    reads = gateway.reads
    pool = reads.pool
    assert isinstance(pool, ReadPool)
    await reads.fetch(_statement("SELECT 1"), ())
    connected = pool.open
    task = asyncio.create_task(reads.fetch(_statement("SELECT pg_sleep(10)"), ()))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pool.open == connected - 1
    row = await reads.fetch(_statement("SELECT 2"), ())
    assert row[0] == 2


def _statement(sql: str) -> JsonStatement:
    return JsonStatement(sql, (), (), (), 1)
