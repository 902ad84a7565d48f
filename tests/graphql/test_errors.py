"""GraphQL errors: bad input is a 400 with a clear message and a code in ``extensions``, never
a 500 or a traceback; operation errors carry REST's codes; unexpected failures stay private.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app import demo
from app.gateway import Gateway
from app.graphql.limits import MAX_TOKENS
from app.settings import Settings
from schema_builder.operations import write
from schema_builder.operations.reads.reader import Reader
from tests.graphql.support import Body, post, rows

PRODUCTS_IN_DEMO = len(demo.CATEGORIES) * demo.PRODUCTS_PER_CATEGORY
MAX_DEPTH = Settings().graphql_max_depth
MAX_QUERY_LENGTH = Settings().graphql_max_query_length


def refused(response: httpx.Response, code: str, status: int = 400) -> Body:
    """A request error: the HTTP status, no ``data``, and each error's code and status."""
    body: Body = response.json()
    assert response.status_code == status, body
    assert "data" not in body
    assert body["errors"], body
    for error in body["errors"]:
        assert error["extensions"] == {"code": code, "status": status}
        assert error["message"]
        assert "Traceback" not in error["message"]
    return body


async def product_count(gateway: Gateway) -> int:
    [(count,)] = await rows(gateway, sa.select(sa.func.count()).select_from(demo.product))
    return int(count)


# --- request errors ------------------------------------------------------------------------------


async def test_syntax_error_is_dx110_with_its_location(client: httpx.AsyncClient) -> None:
    body = refused(await post(client, "{ products(limit: 1 { items { sku } } }"), "DX110")
    [error] = body["errors"]
    assert error["message"].startswith("Syntax Error:")
    assert error["locations"] == [{"line": 1, "column": 21}]


async def test_unknown_field_is_dx111_naming_it(client: httpx.AsyncClient) -> None:
    body = refused(await post(client, "{ products { items { sku colour } } }"), "DX111")
    assert body["errors"][0]["message"] == "Cannot query field 'colour' on type 'Product'."


async def test_unknown_entity_is_dx111(client: httpx.AsyncClient) -> None:
    body = refused(await post(client, "{ planets { items { name } } }"), "DX111")
    assert "planets" in body["errors"][0]["message"]


async def test_argument_of_the_wrong_type_is_dx111(client: httpx.AsyncClient) -> None:
    body = refused(await post(client, '{ products(limit: "ten") { totalCount } }'), "DX111")
    assert "Int cannot represent" in body["errors"][0]["message"]
    unknown_sort = await post(client, "{ products(sort: [COLOUR_ASC]) { totalCount } }")
    assert "COLOUR_ASC" in refused(unknown_sort, "DX111")["errors"][0]["message"]


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [
        ({"limit": "ten"}, "Int cannot represent"),
        ({}, "was not provided"),
        ({"limit": None}, "must not be null"),
    ],
)
async def test_variable_of_the_wrong_type_or_missing_is_dx112(
    client: httpx.AsyncClient, variables: dict[str, Any], fragment: str
) -> None:
    response = await post(
        client, "query($limit: Int!) { products(limit: $limit) { totalCount } }", variables
    )
    body = refused(response, "DX112")
    assert "$limit" in body["errors"][0]["message"]
    assert fragment in body["errors"][0]["message"]


async def test_variable_input_with_an_unknown_field_is_dx112(client: httpx.AsyncClient) -> None:
    response = await post(
        client,
        "query($f: ProductFilter) { products(filter: $f) { totalCount } }",
        {"f": {"colour": {"eq": "red"}}},
    )
    body = refused(response, "DX112")
    assert "colour" in body["errors"][0]["message"]


def deep_query(levels: int) -> str:
    """A valid selection exactly ``levels`` fields deep, alternating category and products
    (one of each, so that the estimated cost stays small)."""
    chain = ["products(limit: 1)", "items"]
    while len(chain) < levels - 1:
        chain.append(
            "category" if chain[-1] in ("items", "products(limit: 1)") else "products(limit: 1)"
        )
    text = "id_product" if chain[-1] in ("items", "products(limit: 1)") else "id_category"
    for name in reversed(chain):
        text = f"{name} {{ {text} }}"
    return f"{{ {text} }}"


async def test_query_at_the_depth_limit_runs(client: httpx.AsyncClient) -> None:
    response = await post(client, deep_query(MAX_DEPTH))
    assert response.status_code == 200, response.json()
    assert "errors" not in response.json()


async def test_query_deeper_than_the_limit_is_dx136(client: httpx.AsyncClient) -> None:
    body = refused(await post(client, deep_query(MAX_DEPTH + 1)), "DX136")
    assert body["errors"][0]["message"] == (
        f"The query is {MAX_DEPTH + 1} levels deep; at most {MAX_DEPTH} are allowed"
        " (DEXGATE_GRAPHQL_MAX_DEPTH)."
    )


async def test_depth_limit_follows_fragments(client: httpx.AsyncClient) -> None:
    query = (
        "{ products(limit: 1) { items { ...P } } }"
        " fragment P on Product { category { products { ...Q } } }"
        " fragment Q on Product { category { products { category { products { category {"
        " products { category { products { category { id_category } } } } } } } } } }"
    )
    assert MAX_DEPTH < 14
    body = refused(await post(client, query), "DX136")
    assert body["errors"][0]["message"].startswith("The query is 14 levels deep")


async def test_query_longer_than_the_maximum_is_refused_before_parsing(
    client: httpx.AsyncClient,
) -> None:
    query = "{ products { totalCount } }" + " " * MAX_QUERY_LENGTH
    body = refused(await post(client, query), "DX113", 413)
    assert str(MAX_QUERY_LENGTH) in body["errors"][0]["message"]


async def test_query_with_too_many_tokens_is_dx110(client: httpx.AsyncClient) -> None:
    query = "{ " + "sku " * (MAX_TOKENS + 10) + "}"
    assert len(query) < MAX_QUERY_LENGTH
    body = refused(await post(client, query), "DX110")
    assert f"more than {MAX_TOKENS} tokens" in body["errors"][0]["message"]


async def test_deeply_nested_document_is_dx110(client: httpx.AsyncClient) -> None:
    query = "{ products(filter: " + "{not: " * 2000 + "{}" + "}" * 2000 + ") { totalCount } }"
    assert len(query) < MAX_QUERY_LENGTH
    body = refused(await post(client, query), "DX110")
    assert "nested too deeply" in body["errors"][0]["message"]


async def test_deeply_nested_variables_are_dx112(client: httpx.AsyncClient) -> None:
    value: dict[str, Any] = {"sku": {"eq": "x"}}
    for _ in range(900):
        value = {"not": value}
    response = await post(
        client, "query($f: ProductFilter) { products(filter: $f) { totalCount } }", {"f": value}
    )
    body = refused(response, "DX112")
    assert "nested too deeply" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"query": "{ products { totalCount } }"', "not valid JSON"),
        (b'["{ products { totalCount } }"]', "must be an object"),
        (b'{"query": ""}', "No query"),
        (b'{"query": "{ products { totalCount } }", "variables": [1]}', "must be an object"),
        (b'{"query": "{ products { totalCount } }", "operationName": 5}', "must be a string"),
    ],
)
async def test_malformed_body_is_dx113(
    client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    response = await client.post("/graphql", content=content)
    body = refused(response, "DX113")
    assert message in body["errors"][0]["message"]


async def test_body_that_is_not_json_is_refused_with_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b"query=x", headers={"Content-Type": "text/plain"}
    )
    refused(response, "DX113", 415)


async def test_mutation_over_get_is_refused_with_405_and_changes_nothing(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { deleteProducts(id: 204) { deletedCount } }"}
    )
    refused(response, "DX113", 405)
    assert await product_count(gateway) == PRODUCTS_IN_DEMO


# --- operation errors ----------------------------------------------------------------------------


def field_error(response: httpx.Response, code: str, status: int, path: list[Any]) -> Body:
    """An error found while executing: 200, the field null, the code in ``extensions``."""
    body: Body = response.json()
    assert response.status_code == 200, body
    [error] = body["errors"]
    assert error["extensions"] == {"code": code, "status": status}
    assert error["path"] == path
    return body


@pytest.mark.parametrize(
    "query",
    [
        "{ products(limit: 1001) { totalCount } }",
        "{ products(limit: 5) { items { stocks(limit: 1001) { quantity } } } }",
    ],
)
async def test_limit_above_the_maximum_page_size_is_dx103(
    client: httpx.AsyncClient, query: str
) -> None:
    body = field_error(await post(client, query), "DX103", 400, ["products"])
    assert body["data"] is None
    assert "maximum page size of 1000" in body["errors"][0]["message"]


async def test_negative_limit_and_offset_are_dx100(client: httpx.AsyncClient) -> None:
    for argument in ("limit: -1", "offset: -1"):
        response = await post(client, f"{{ products({argument}) {{ totalCount }} }}")
        body = field_error(response, "DX100", 400, ["products"])
        assert "must not be negative" in body["errors"][0]["message"]


async def test_invalid_filter_value_is_dx101(client: httpx.AsyncClient) -> None:
    response = await post(client, '{ products(filter: {price: {gt: "cheap"}}) { totalCount } }')
    body = field_error(response, "DX101", 400, ["products"])
    assert "cheap" in body["errors"][0]["message"]


class _BrokenReader(Reader):
    async def list(self, *_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("connection string postgres://secret@db")


@pytest.mark.parametrize("plans", [True, False], ids=["plans", "graphql-core"])
async def test_unexpected_failure_in_a_query_is_dx500_without_details(
    client: httpx.AsyncClient, gateway_app: Any, gateway: Gateway, plans: bool
) -> None:
    gateway_app.state.gateway = dataclasses.replace(
        gateway,
        reads=_BrokenReader(gateway.reader),
        graphql=dataclasses.replace(gateway.graphql, plans=plans),
    )
    response = await post(client, "{ products(limit: 2) { items { sku } } }")
    body = field_error(response, "DX500", 500, ["products"])
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Internal server error. The incident has been logged."
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text


async def test_unexpected_failure_in_a_mutation_is_dx500_without_details(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError("internal_column_name")

    monkeypatch.setattr(write, "write", broken)
    response = await post(
        client,
        'mutation { createCountries(items: [{iso2_code: "SE", iso3_code: "SWE", name: "S"}])'
        " { items { name } } }",
    )
    body = field_error(response, "DX500", 500, ["createCountries"])
    assert body["data"] == {"createCountries": None}
    assert "internal_column_name" not in response.text
    assert "KeyError" not in response.text


CREATE = (
    "mutation($items: [ProductCreateInput!]!, $transactional: Boolean) {"
    " createProducts(items: $items, transactional: $transactional)"
    " { items { sku } errors { status code message } } }"
)


async def test_failed_transactional_mutation_lists_every_error_and_changes_nothing(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    items = [
        {"sku": "NEW-1", "name": "Fine", "price": "1.00"},
        {"name": "No sku", "price": "1.00"},
        {"sku": "NEW-3", "name": "Negative", "price": "-1"},
    ]
    response = await post(client, CREATE, {"items": items})
    body: Body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"createProducts": None}
    assert [(e["extensions"]["code"], e["extensions"]["status"]) for e in body["errors"]] == [
        ("1307", 400),
        ("1306", 400),
    ]
    assert all(e["path"] == ["createProducts"] for e in body["errors"])
    assert body["errors"][0]["message"] == (
        "The required field must not be empty. Field: `products[1].sku`"
    )
    assert await product_count(gateway) == PRODUCTS_IN_DEMO


async def test_failed_transactional_mutation_rolls_back_rows_already_written(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    items = [
        {"sku": "NEW-1", "name": "Fine", "price": "1.00"},
        {"sku": "CAM-00001", "name": "Duplicate", "price": "1.00"},
    ]
    response = await post(client, CREATE, {"items": items, "transactional": True})
    body = field_error(response, "1309", 400, ["createProducts"])
    assert body["data"] == {"createProducts": None}
    assert await product_count(gateway) == PRODUCTS_IN_DEMO
    assert (
        await rows(gateway, sa.select(demo.product.c.sku).where(demo.product.c.sku == "NEW-1"))
        == []
    )


async def test_partial_mutation_returns_the_saved_items_and_the_errors(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    items = [
        {"sku": "NEW-1", "name": "Fine", "price": "1.00"},
        {"sku": "CAM-00001", "name": "Duplicate", "price": "1.00"},
        {"sku": "NEW-3", "name": "Fine too", "price": "2.00"},
    ]
    response = await post(client, CREATE, {"items": items, "transactional": False})
    body: Body = response.json()
    assert response.status_code == 200
    assert "errors" not in body
    result = body["data"]["createProducts"]
    assert result["items"] == [{"sku": "NEW-1"}, {"sku": "NEW-3"}]
    assert [(e["code"], e["status"]) for e in result["errors"]] == [("1309", 400)]
    assert "products[1].sku" in result["errors"][0]["message"]
    assert await product_count(gateway) == PRODUCTS_IN_DEMO + 2
