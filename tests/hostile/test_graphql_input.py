"""Hostile GraphQL requests: batching, alias amplification, fragment cycles and fan-out,
relationship loops, hostile names, JSON bombs, wrong encodings and media types, SQL-looking
values. Each is refused with a code in ``extensions`` (400, or 200 with the field's error once
execution started) and writes nothing, or is answered correctly where it is valid."""

from __future__ import annotations

import gc
import json
import time
import warnings
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from app.graphql.limits import MAX_TOKENS
from app.graphql.request_errors import QueryTooCostlyError, TooManyAliasesError, TooManyFieldsError
from schema_builder.operations.filters import MAX_CONDITIONS, MAX_FILTER_VALUES, MAX_IN_VALUES
from tests.hostile.support import (
    HOSTILE_NAMES,
    SQL_LOOKING,
    Body,
    graphql_field_error,
    graphql_refused,
    like_escape,
    unchanged,
)

PRODUCT_COUNT = len(demo.CATEGORIES) * demo.PRODUCTS_PER_CATEGORY
ALIASES, FIELDS, COST = TooManyAliasesError.code, TooManyFieldsError.code, QueryTooCostlyError.code
COUNT = "query($f: ProductFilter) { products(filter: $f) { totalCount } }"
DELETE = 'mutation { deleteProducts(filter: {sku: {eq: "CAM-00001"}}) { deletedCount } }'


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    # json.dumps escapes what UTF-8 cannot carry (an unpaired surrogate) as \u escapes.
    content = json.dumps({"query": query, "variables": variables}).encode()
    return await client.post("/graphql", content=content)


async def total(client: httpx.AsyncClient, filter: Any) -> int:
    response = await post(client, COUNT, {"f": filter})
    body: Body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    count: int = body["data"]["products"]["totalCount"]
    return count


# --- batching and amplification ------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        json.dumps([{"query": "{ __typename }"}, {"query": "{ __typename }"}]),
        json.dumps([{"query": DELETE}]),
        json.dumps([{"query": "{ __typename }"}] * 1000),
        "[]",
    ],
    ids=["two-queries", "a-mutation", "a-thousand", "empty"],
)
async def test_batched_operations_are_refused_with_dx113(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, content: str
) -> None:
    # dexgate runs one operation per request: a JSON array of operations is not a request.
    async with unchanged(shared_engine):
        response = await shared_client.post("/graphql", content=content.encode())
        body = graphql_refused(response, "DX113")
    assert body["errors"][0]["message"] == (
        'The body must be an object: {"query": "...", "variables": {...}}.'
    )


def limit_codes(response: httpx.Response) -> set[str]:
    """The codes of a request refused by the GraphQL limits (400, no ``data``)."""
    body: Body = response.json()
    assert response.status_code == 400, body
    assert "data" not in body, body
    codes = {error["extensions"]["code"] for error in body["errors"]}
    assert all(error["extensions"]["status"] == 400 for error in body["errors"]), body
    return codes


async def test_a_thousand_aliases_of_a_full_page_are_refused_before_running(
    shared_client: httpx.AsyncClient,
) -> None:
    aliases = " ".join(f"a{i}: products(limit: 1000) {{ items {{ sku }} }}" for i in range(1000))
    codes = limit_codes(await post(shared_client, "{ " + aliases + " }"))
    assert codes & {ALIASES, FIELDS}
    assert codes <= {ALIASES, FIELDS, COST}
    # Few fields, many aliases: the alias limit alone.
    counts = " ".join(f"a{i}: products(limit: 1000) {{ totalCount }}" for i in range(100))
    assert limit_codes(await post(shared_client, "{ " + counts + " }")) == {ALIASES}


async def test_aliases_beyond_the_token_limit_are_refused_before_parsing_ends(
    shared_client: httpx.AsyncClient,
) -> None:
    aliases = " ".join(f"a{i}:x" for i in range(MAX_TOKENS // 3 + 1))
    body = graphql_refused(await post(shared_client, "{ " + aliases + " }"), "DX110")
    assert f"more than {MAX_TOKENS} tokens" in body["errors"][0]["message"]


# --- fragments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragments", "message"),
    [
        (
            "fragment A on Product { sku ...B } fragment B on Product { name ...A }",
            "Cannot spread fragment 'A' within itself via 'B'.",
        ),
        ("fragment A on Product { ...A }", "Cannot spread fragment 'A' within itself."),
        (
            "fragment A on Product { category { products { ...A } } }",
            "Cannot spread fragment 'A' within itself.",
        ),
        ("fragment B on Product { sku }", "Unknown fragment 'A'."),
        ("fragment A on Category { name }", "Fragment 'A' cannot be spread here"),
        ("fragment A on Planet { name }", "Unknown type 'Planet'."),
        (
            " ".join(f"fragment F{i} on Product {{ ...F{i + 1} }}" for i in range(1500))
            + " fragment F1500 on Product { sku } fragment A on Product { ...F0 }",
            "Validation aborted.",  # graphql-core's bound on fragments nested in fragments
        ),
    ],
    ids=["cycle", "self", "cycle-through-fields", "unknown", "wrong-type", "unknown-type", "chain"],
)
async def test_fragment_cycles_and_misuse_are_refused_with_dx111(
    shared_client: httpx.AsyncClient, fragments: str, message: str
) -> None:
    query = "{ products(limit: 1) { items { ...A } } } " + fragments
    body = graphql_refused(await post(shared_client, query), "DX111")
    assert message in body["errors"][0]["message"]


async def test_fragments_spreading_each_other_twice_are_refused_without_expanding_them(
    shared_client: httpx.AsyncClient,
) -> None:
    # 2**24 selections once expanded: refused by the field limit, in linear time.
    levels = 24
    fragments = " ".join(
        f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = (
        "{ products(limit: 1) { items { ...F0 } } } "
        + fragments
        + (f" fragment F{levels} on Product {{ sku }}")
    )
    started = time.monotonic()
    response = await post(shared_client, query)
    elapsed = time.monotonic() - started
    assert limit_codes(response) == {FIELDS}
    assert elapsed < 2.0, f"{levels} fragments took {elapsed:.1f} s"


async def test_mutations_after_a_failed_one_do_not_run_or_leave_a_coroutine_behind(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine
) -> None:
    # Mutation fields run one after the other; when one fails, the rest must not start, and
    # nothing of theirs may be left pending (graphql-core 3.2 creates every field's coroutine
    # up front and drops the later ones: "coroutine ... was never awaited").
    query = (
        "mutation { deleteProducts { deletedCount }"
        ' createCategories(items: [{name: "Drones", url: "/drones"}]) { items { id_category } }'
        ' updateProducts(items: [{id_product: 1, name: "Renamed"}]) { items { name } } }'
    )
    async with unchanged(shared_engine):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = await post(shared_client, query)
            gc.collect()
    body = graphql_field_error(response, "DX104")
    assert body["data"] is None
    assert [str(w.message) for w in caught] == []


# --- relationship loops ---------------------------------------------------------------------


async def test_a_relationship_loop_with_limits_is_answered(
    shared_client: httpx.AsyncClient,
) -> None:
    query = (
        "{ products(limit: 2) { items { id_product category { id_category"
        " products(limit: 3) { category { products(limit: 3, sort: [ID_PRODUCT_DESC])"
        " { id_product } } } } } } }"
    )
    response = await post(shared_client, query)
    assert response.status_code == 200, response.text[:500]
    items = response.json()["data"]["products"]["items"]
    assert [item["id_product"] for item in items] == [1, 2]
    for item in items:
        siblings = item["category"]["products"]
        assert len(siblings) == 3
        for sibling in siblings:
            assert [p["id_product"] for p in sibling["category"]["products"]] == [17, 16, 15]


async def test_a_relationship_loop_without_limits_is_refused_by_its_cost(
    shared_client: httpx.AsyncClient,
) -> None:
    query = (
        "{ products { items { category { products { category { products { category {"
        " products { sku } } } } } } } } }"
    )
    assert limit_codes(await post(shared_client, query)) == {COST}


# --- hostile names --------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
async def test_hostile_names_are_refused_with_a_code(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, name: str
) -> None:
    quoted = json.dumps(name)
    async with unchanged(shared_engine):
        # A name GraphQL cannot spell is a syntax error; "nnn…" is a name: unknown as a field
        # or an argument, harmless as an alias or an operation's name.
        spelled = name.isidentifier() and name.isascii()
        for query in (
            f"{{ products {{ items {{ {name} }} }} }}",
            f"{{ products({name}: 1) {{ totalCount }} }}",
            f"{{ products(filter: {{ {name}: {{ eq: 1 }} }}) {{ totalCount }} }}",
            f"mutation {{ {name}(items: []) {{ items {{ sku }} }} }}",
        ):
            graphql_refused(await post(shared_client, query), "DX111" if spelled else "DX110")
        for query, data in (
            (f"{{ {name}: products {{ totalCount }} }}", {name: {"totalCount": PRODUCT_COUNT}}),
            (f"query {name} {{ __typename }}", {"__typename": "Query"}),
        ):
            response = await post(shared_client, query)
            if spelled:
                assert response.json() == {"data": data}
            else:
                graphql_refused(response, "DX110")
        for variables in (
            {"f": {name: {"eq": "x"}}},
            {"f": {"sku": {name: "x"}}},
            {"f": {"or": [{"sku": {"eq": "x"}}, {name: {"eq": "x"}}]}},
        ):
            graphql_refused(await post(shared_client, COUNT, variables), "DX112")
        sort = "query($s: [ProductSort!]) { products(sort: $s) { totalCount } }"
        graphql_refused(await post(shared_client, sort, {"s": [name]}), "DX112")
        literal = f"{{ products(filter: {{sku: {{eq: {quoted}}}}}) {{ totalCount }} }}"
        response = await post(shared_client, literal)
        if "\x00" in name:
            assert graphql_field_error(response, "DX101")["data"] is None
        else:
            assert response.json() == {"data": {"products": {"totalCount": 0}}}


# --- filter values --------------------------------------------------------------------------


@pytest.mark.parametrize("value", SQL_LOOKING)
async def test_sql_looking_filter_values_are_compared_as_text(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, value: str
) -> None:
    async with unchanged(shared_engine):
        assert await total(shared_client, {"name": {"eq": value}}) == 0
        assert await total(shared_client, {"name": {"in": [value]}}) == 0
        assert await total(shared_client, {"name": {"like": like_escape(value)}}) == 0
        assert await total(shared_client, {"name": {"ne": value}}) == PRODUCT_COUNT
        assert await total(shared_client, {"not": {"name": {"eq": value}}}) == PRODUCT_COUNT
        response = await post(
            shared_client,
            "mutation($v: String) { deleteProducts(filter: {sku: {eq: $v}}) { deletedCount } }",
            {"v": value},
        )
        assert graphql_field_error(response, "1303", 404)["data"] is None


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"f": {"price": {"gt": "1e999999"}}}, "is not a number"),
        ({"f": {"price": {"gt": "NaN"}}}, "is not a number"),
        ({"f": {"price": {"gte": "0." + "0" * 20_000 + "1"}}}, "digits before the point"),
        ({"f": {"price": {"lte": "9" * 140_000}}}, "digits before the point"),
        ({"f": {"sku": {"like": "CAM-00001\\"}}}, "ends with the escape character"),
        ({"f": {"sku": {"like": "%" * 10_001}}}, "characters long"),
        ({"f": {"sku": {"eq": "CAM\x0000001"}}}, "NUL character"),
        ({"f": {"sku": {"eq": "\ud800"}}}, "unpaired surrogate"),
        ({"f": {"id_product": {"in": list(range(MAX_IN_VALUES + 1))}}}, "at most 1000"),
        (
            {"f": {"or": [{"id_product": {"eq": n}} for n in range(MAX_CONDITIONS + 1)]}},
            f"at most {MAX_CONDITIONS} are allowed",
        ),
        (
            {"f": {"and": [{"id_product": {"ne": n}} for n in range(1500)]}},
            f"at most {MAX_CONDITIONS} are allowed",
        ),
        (
            {"f": {"or": [{"id_product": {"in": list(range(1000))}} for _ in range(40)]}},
            f"at most {MAX_FILTER_VALUES} are allowed",
        ),
    ],
    ids=[
        "decimal-1e999999",
        "decimal-nan",
        "decimal-20000-fraction-digits",
        "decimal-140000-digits",
        "like-trailing-escape",
        "like-too-long",
        "nul",
        "surrogate",
        "in-too-long",
        "or-too-many",
        "and-too-many",
        "values-too-many",
    ],
)
async def test_hostile_filter_values_are_refused_with_dx101(
    shared_client: httpx.AsyncClient,
    shared_engine: AsyncEngine,
    variables: dict[str, Any],
    message: str,
) -> None:
    body = graphql_field_error(await post(shared_client, COUNT, variables), "DX101")
    assert message in body["errors"][0]["message"]
    delete = "mutation($f: ProductFilter) { deleteProducts(filter: $f) { deletedCount } }"
    async with unchanged(shared_engine):
        graphql_field_error(await post(shared_client, delete, variables), "DX101")


def literal(value: Any) -> str:
    """``value`` written as a GraphQL input literal."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    return json.dumps(value)


DELETE_WHERE = "mutation($f: ProductFilter) { deleteProducts(filter: $f) { deletedCount } }"
CAMERA = {"sku": {"eq": "CAM-00001"}}


@pytest.mark.parametrize(
    "filter",
    [
        {},
        {"and": []},
        {"and": [{}]},
        {"or": [{}]},
        {"not": {}},
        {"not": {"or": []}},
        {"sku": {}},
        {"and": [{"and": [{}]}, {"or": [{"and": []}]}]},
        {"not": {"and": [{"not": {"or": []}}]}},
        {"or": [{}, CAMERA]},
        {"not": {**CAMERA, "not": {}}},
        {"sku": None, "and": None, "or": None, "not": None},
    ],
    ids=[
        "empty",
        "empty-and",
        "and-of-empty",
        "or-of-empty",
        "not-empty",
        "not-empty-or",
        "field-without-operator",
        "nested-empties",
        "not-of-not-empty-or",
        "or-with-empty-part",
        "not-with-empty-part",
        "all-null",
    ],
)
async def test_delete_with_a_filter_without_a_condition_is_refused_with_dx104(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, filter: dict[str, Any]
) -> None:
    # A client building `and:` from an empty list of conditions sends exactly these shapes;
    # each would select every row (or none), so none is a filter to delete by.
    async with unchanged(shared_engine):
        response = await post(shared_client, DELETE_WHERE, {"f": filter})
        graphql_field_error(response, "DX104")
        query = f"mutation {{ deleteProducts(filter: {literal(filter)}) {{ deletedCount }} }}"
        graphql_field_error(await post(shared_client, query), "DX104")


@pytest.mark.parametrize("operator", ["eq", "ne", "gt", "lte", "in", "like", "isNull"])
async def test_a_null_operand_is_refused_with_dx101_not_ignored(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, operator: str
) -> None:
    # Ignored, a variable that happens to be null would widen a read or a delete to every row.
    filter = {"sku": {operator: None}}
    body = graphql_field_error(await post(shared_client, COUNT, {"f": filter}), "DX101")
    assert "sku" in body["errors"][0]["message"]
    if operator not in ("in", "like", "isNull"):
        assert "isNull" in body["errors"][0]["message"]
    by_variable = "query($v: String) { products(filter: {sku: {eq: $v}}) { totalCount } }"
    graphql_field_error(await post(shared_client, by_variable, {"v": None}), "DX101")
    async with unchanged(shared_engine):
        graphql_field_error(await post(shared_client, DELETE_WHERE, {"f": filter}), "DX101")
        with_camera = {"and": [CAMERA, filter]}
        graphql_field_error(await post(shared_client, DELETE_WHERE, {"f": with_camera}), "DX101")


async def test_filter_nested_deeper_than_python_recurses_is_refused(
    shared_client: httpx.AsyncClient,
) -> None:
    for levels, code in ((100, None), (150, None), (900, "DX112")):
        value: dict[str, Any] = {"sku": {"eq": "x"}}
        for _ in range(levels):
            value = {"not": value}
        response = await post(shared_client, COUNT, {"f": value})
        if code is None:
            expected = 0 if levels % 2 == 0 else PRODUCT_COUNT
            assert response.json() == {"data": {"products": {"totalCount": expected}}}, levels
        else:
            graphql_refused(response, code)


# --- JSON bombs, encodings, media types -----------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        ("[" * 100_000, "DX113", "not valid JSON"),
        ('{"query": "{ __typename }", "variables": ' + "[" * 100_000 + "}", "DX113", "JSON"),
        (
            '{"query": "{ __typename }", "extensions": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001,
            "DX113",
            "JSON",
        ),
        (
            COUNT.join(['{"query": "', '", "variables": {"f": {"id_product": {"gt": 1e999999}}}}']),
            "DX112",
            "$f",
        ),
        ('{"query": "{ products(limit: 1e999999) { totalCount } }"}', "DX111", "Int cannot"),
        (
            COUNT.join(
                [
                    '{"query": "',
                    '", "variables": {"f": {"id_product": {"gt": ' + "9" * 5000 + "}}}}",
                ]
            ),
            "DX113",
            "JSON",
        ),
        (
            COUNT.join(['{"query": "', '", "variables": {"f": {"id_product": {"gt": NaN}}}}']),
            "DX112",
            "$f",
        ),
        (
            '{"query": "{ __typename }", "query": "' + DELETE.replace('"', '\\"') + '"}',
            "DX113",
            "`query` twice",
        ),
        (
            COUNT.join(['{"query": "', '", "variables": {"f": {"sku": {"eq": "x"}}, "f": null}}']),
            "DX113",
            "`f` twice",
        ),
        (
            COUNT.join(['{"query": "', '", "variables": {"f": {"sku": {"eq": "x", "eq": "y"}}}}']),
            "DX113",
            "`eq` twice",
        ),
    ],
    ids=[
        "100k-brackets",
        "100k-brackets-in-variables",
        "50k-objects-in-extensions",
        "1e999999-variable",
        "1e999999-literal",
        "5000-digit-variable",
        "nan-variable",
        "duplicate-query",
        "duplicate-variable",
        "duplicate-operator",
    ],
)
async def test_json_bombs_are_refused_and_write_nothing(
    shared_client: httpx.AsyncClient,
    shared_engine: AsyncEngine,
    content: str,
    code: str,
    message: str,
) -> None:
    async with unchanged(shared_engine):
        response = await shared_client.post("/graphql", content=content.encode())
        body = graphql_refused(response, code)
    assert message in body["errors"][0]["message"]


NAMED = (
    'mutation { createCountries(items: [{iso2_code: "XZ", iso3_code: "XZZ", name: "Z\u00fcrich"}])'
    " { items { name } } }"
)


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (
            json.dumps({"query": NAMED}, ensure_ascii=False).encode("latin-1"),
            "application/json",
            400,
        ),
        (
            json.dumps({"query": NAMED}, ensure_ascii=False)
            .encode()
            .replace(b"\xc3\xbc", b"\xc3\x28"),
            "application/json",
            400,
        ),
        (NAMED.encode("latin-1"), "application/graphql", 400),
        (NAMED.encode().replace(b"\xc3\xbc", b"\xc0\xaf"), "application/graphql", 400),
        (NAMED.encode("utf-16"), "application/graphql", 400),
        (json.dumps({"query": NAMED}).encode(), "text/plain", 415),
        (json.dumps({"query": NAMED}).encode(), "application/x-www-form-urlencoded", 415),
        (json.dumps({"query": NAMED}).encode(), "multipart/form-data; boundary=x", 415),
        (json.dumps({"query": NAMED}).encode(), "application/xml", 415),
    ],
    ids=[
        "latin-1-json",
        "invalid-utf-8-json",
        "latin-1-graphql",
        "overlong-utf-8-graphql",
        "utf-16-graphql",
        "text-plain",
        "form",
        "multipart",
        "xml",
    ],
)
async def test_wrong_encoding_or_media_type_is_refused_with_dx113_and_writes_nothing(
    shared_client: httpx.AsyncClient,
    shared_engine: AsyncEngine,
    content: bytes,
    content_type: str,
    status: int,
) -> None:
    async with unchanged(shared_engine):
        response = await shared_client.post(
            "/graphql", content=content, headers={"Content-Type": content_type}
        )
        graphql_refused(response, "DX113", status)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (json.dumps({"query": NAMED}, ensure_ascii=False).encode(), None),
        (
            b"\xef\xbb\xbf" + json.dumps({"query": NAMED}, ensure_ascii=False).encode(),
            "application/json",
        ),
        (json.dumps({"query": NAMED}, ensure_ascii=False).encode("utf-16"), "application/json"),
        (json.dumps({"query": NAMED}, ensure_ascii=False).encode("utf-32"), "application/json"),
        (NAMED.encode(), "application/graphql; charset=utf-8"),
        (b"\xef\xbb\xbf" + NAMED.encode(), "application/graphql"),
    ],
    ids=["no-content-type", "json-bom", "json-utf-16", "json-utf-32", "graphql", "graphql-bom"],
)
async def test_utf8_utf16_and_a_bom_are_read_as_meant(
    client: httpx.AsyncClient, engine: AsyncEngine, content: bytes, content_type: str | None
) -> None:
    request = client.build_request("POST", "/graphql", content=content)
    if content_type is None:
        del request.headers["Content-Type"]
    else:
        request.headers["Content-Type"] = content_type
    response = await client.send(request)
    assert response.json() == {"data": {"createCountries": {"items": [{"name": "Z\u00fcrich"}]}}}
    async with engine.connect() as connection:
        stored = await connection.scalar(
            sa.select(demo.country.c.name).where(demo.country.c.iso2_code == "XZ")
        )
    assert stored == "Z\u00fcrich"


# --- SQL-looking values are data ------------------------------------------------------------


async def test_sql_looking_values_are_stored_and_read_back_verbatim(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    items = [
        {"iso2_code": f"Q{chr(65 + i)}", "iso3_code": f"Q{chr(65 + i)}Q", "name": value}
        for i, value in enumerate(SQL_LOOKING)
    ]
    created = await post(
        client,
        "mutation($items: [CountryCreateInput!]!) { createCountries(items: $items)"
        " { items { id_country name } } }",
        {"items": items},
    )
    assert created.status_code == 200, created.text
    saved = created.json()["data"]["createCountries"]["items"]
    assert [row["name"] for row in saved] == SQL_LOOKING
    query = "query($f: CountryFilter) { countries(filter: $f) { items { id_country name } } }"
    for row in saved:
        for condition in ({"eq": row["name"]}, {"like": like_escape(row["name"])}):
            response = await post(client, query, {"f": {"name": condition}})
            assert response.json() == {"data": {"countries": {"items": [row]}}}, condition
    async with engine.connect() as connection:
        stored = (
            await connection.execute(
                sa.select(demo.country.c.name)
                .where(demo.country.c.iso2_code.like("Q%"))
                .order_by(demo.country.c.iso2_code)
            )
        ).scalars()
        assert list(stored) == SQL_LOOKING
        assert await connection.scalar(sa.select(sa.func.count()).select_from(demo.product)) == (
            PRODUCT_COUNT
        )
