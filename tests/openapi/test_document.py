"""``GET /dynamic-entity/openapi.json``: the committed snapshot of the demo configuration, a
valid OpenAPI 3.1 document, per-principal content, the configuration as of this request, and a
document that describes what the API really accepts and answers."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from app.application import create_app
from app.gateway import Gateway
from app.openapi import DocumentCache, api_version
from app.settings import Settings
from auth import store
from schema_builder.catalog import Relation
from schema_builder.definition import parse_entries
from schema_builder.openapi.document import OpenAPIOptions, build_document, render
from schema_builder.operations.filters import OPERATORS
from tests.conftest import Templates, settings_with
from tests.lifespan import lifespan
from tests.openapi.support import DOCUMENT, Document, operations, resolve
from tests.test_cli import run

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = (
    "rm -f /tmp/d.db; DEXGATE_DATABASE_URL=sqlite+aiosqlite:////tmp/d.db dexgate demo && "
    "DEXGATE_DATABASE_URL=sqlite+aiosqlite:////tmp/d.db dexgate openapi print > docs/openapi.json"
)


async def fetch(client: httpx.AsyncClient, **headers: str) -> Document:
    response = await client.get(DOCUMENT, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    document: Document = response.json()
    return document


async def key_for(engine: AsyncEngine, role: str, grants: list[str]) -> str:
    await store.set_role(engine, role, grants)
    return await store.create_api_key(engine, f"{role}-key", [role])


def validator(document: Document, schema: Any) -> Any:
    """An OpenAPI 3.1 schema validator for ``schema``, its ``$ref``s resolved in the document."""
    return OAS31Validator({**schema, "components": document["components"]})


def assert_valid(document: Document, schema: Any, instance: Any) -> None:
    errors = [e.message for e in validator(document, schema).iter_errors(instance)]
    assert errors == [], instance


def body_schema(document: Document, method: str, path: str) -> Any:
    operation = operations(document)[(method, path)]
    return operation["requestBody"]["content"]["application/json"]["schema"]


def response_schema(document: Document, method: str, path: str, status: int) -> Any:
    response = resolve(document, operations(document)[(method, path)]["responses"][str(status)])
    return response["content"]["application/json"]["schema"]


# --- the snapshot and the standard ----------------------------------------------------------


async def test_demo_document_matches_the_committed_snapshot(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    served = await fetch(client)
    catalog = await gateway.registry.current()
    printed = render(build_document(catalog, OpenAPIOptions(version=api_version())))
    message = f"docs/openapi.json is out of date. If the change is intended: {REGENERATE}"
    assert printed == SNAPSHOT.read_text(), message
    assert served == json.loads(SNAPSHOT.read_text()), message


async def test_document_validates_as_openapi_3_1(client: httpx.AsyncClient) -> None:
    document = await fetch(client)
    assert document["openapi"] == "3.1.0"
    validate(document)


# --- who sees what ----------------------------------------------------------------------------


async def test_reader_sees_only_the_entities_it_may_read(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    key = await key_for(gateway.engine, "r", ["products:read"])
    document = await fetch(client, **{"X-Api-Key": key})

    validate(document)
    assert list(document["paths"]) == ["/dynamic-entity/products", "/dynamic-entity/products/{id}"]
    text = json.dumps(document)
    for hidden in ("categories", "countries", "product-stocks", "Category", "ProductStock"):
        assert hidden not in text
    # Relationships to entities it may not read are left out, like the entities.
    product = document["components"]["schemas"]["Product"]["properties"]
    assert "stocks" not in product
    assert "category" not in product
    parameters = operations(document)[("GET", "/dynamic-entity/products")]["parameters"]
    assert "include" not in [p.get("name") for p in parameters]


async def test_admin_sees_every_active_entity(client: httpx.AsyncClient) -> None:
    document = await fetch(client)
    aliases = sorted(e["tableAlias"] for e in demo.demo_entries())
    assert list(document["paths"]) == [
        path
        for alias in aliases
        for path in (f"/dynamic-entity/{alias}", f"/dynamic-entity/{alias}/{{id}}")
    ]


async def test_document_without_credentials_is_refused_with_dx120(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get(DOCUMENT)
    assert response.status_code == 403
    assert response.json() == [{"status": 403, "code": "DX120", "message": "Unauthorized request."}]


async def test_configuration_change_shows_on_the_next_request(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await fetch(client)
    assert "/dynamic-entity/countries" in before["paths"]
    assert "country" in before["components"]["schemas"]["ProductStock"]["properties"]

    entry = next(e for e in demo.demo_entries() if e["tableAlias"] == "countries")
    entry["isActive"] = False
    await gateway.registry.apply(parse_entries([entry]))

    after = await fetch(client)
    assert "/dynamic-entity/countries" not in after["paths"]
    assert "Country" not in after["components"]["schemas"]
    assert "country" not in after["components"]["schemas"]["ProductStock"]["properties"]
    validate(after)


async def test_documents_are_cached_per_catalog_version_and_readable_set(
    gateway: Gateway,
) -> None:
    catalog = await gateway.registry.current()
    cache = DocumentCache()
    admin = OpenAPIOptions()
    reader = OpenAPIOptions(readable=frozenset({"products"}))

    first = await cache.document(catalog, admin)
    assert await cache.document(catalog, admin) is first
    assert await cache.document(catalog, reader) != first
    assert cache.builds == 2
    newer = replace(catalog, version=catalog.version + 1)
    assert await cache.document(newer, admin) == first
    assert cache.builds == 3
    await cache.document(catalog, admin)  # the older version's entries were dropped
    assert cache.builds == 4


async def test_document_cache_keeps_the_most_recently_used_sets(gateway: Gateway) -> None:
    catalog = await gateway.registry.current()
    cache = DocumentCache(max_entries=2)
    sets = [OpenAPIOptions(readable=frozenset({alias})) for alias in ("products", "stocks", "x")]

    await cache.document(catalog, sets[0])
    await cache.document(catalog, sets[1])
    await cache.document(catalog, sets[0])  # used again: now the most recent
    await cache.document(catalog, sets[2])  # evicts sets[1], the least recently used
    assert cache.builds == 3
    await cache.document(catalog, sets[0])
    assert cache.builds == 3
    await cache.document(catalog, sets[1])
    assert cache.builds == 4


async def test_page_limit_maximum_is_the_configured_page_size(
    settings: Settings, engine: AsyncEngine, admin_key: str
) -> None:
    app = create_app(settings_with(settings, max_page_size=50, default_page_size=50), engine=engine)
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dexgate.test") as http:
            document = await fetch(http, **{"X-Api-Key": admin_key})
            limit = document["components"]["parameters"]["pageLimit"]
            assert limit["name"] == "page[limit]"
            assert limit["schema"]["maximum"] == 50
            over = await http.get(
                "/dynamic-entity/products",
                params={"page[offset]": "0", "page[limit]": "51"},
                headers={"X-Api-Key": admin_key},
            )
            assert over.json()[0]["code"] == "DX103"


# --- the paths and what they take -----------------------------------------------------------


async def test_every_verb_is_documented_and_delete_only_for_deletable_entities(
    client: httpx.AsyncClient,
) -> None:
    document = await fetch(client)
    paths = document["paths"]
    for alias in ("products", "categories", "product-stocks"):
        assert set(paths[f"/dynamic-entity/{alias}"]) == {"get", "post", "patch", "put", "delete"}
        assert set(paths[f"/dynamic-entity/{alias}/{{id}}"]) == {
            "parameters",
            "get",
            "patch",
            "put",
            "delete",
        }
    # countries is not deletable (DELETE answers 405 1318)
    assert set(paths["/dynamic-entity/countries"]) == {"get", "post", "patch", "put"}
    assert set(paths["/dynamic-entity/countries/{id}"]) == {"parameters", "get", "patch", "put"}
    for (method, _path), operation in operations(document).items():
        names = [resolve(document, p)["name"] for p in operation.get("parameters", [])]
        assert ("X-Is-Transactional" in names) == (method in ("POST", "PATCH", "PUT"))
    ids = [operation["operationId"] for operation in operations(document).values()]
    assert len(ids) == len(set(ids))


async def test_filter_parameters_name_every_operator_that_applies(
    client: httpx.AsyncClient,
) -> None:
    document = await fetch(client)
    listing = operations(document)[("GET", "/dynamic-entity/products")]
    filters = {p["name"]: p for p in listing["parameters"] if "name" in p}
    assert {name for name in filters if name.startswith("filter[")} == {
        f"filter[products.{field}]"
        for field in (
            "id_product",
            "sku",
            "name",
            "description",
            "price",
            "is_active",
            "category_id",
        )
    }
    text = filters["filter[products.sku]"]["description"]
    assert all(f"`{operator}`" in text for operator in OPERATORS)
    boolean = filters["filter[products.is_active]"]["description"]
    assert "`gt`" not in boolean
    assert "`like`" not in boolean
    assert filters["filter[products.sku]"]["schema"] == {"type": "string"}
    assert all(f"`{operator}`" in document["info"]["description"] for operator in OPERATORS)


async def test_every_documented_filter_sort_and_include_value_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    document = await fetch(client)
    for (method, path), operation in operations(document).items():
        if method != "GET" or "{id}" in path:
            continue
        for parameter in operation["parameters"]:
            parameter = resolve(document, parameter)
            name = parameter["name"]
            if name.startswith("filter["):
                values = [example["value"] for example in parameter["examples"].values()]
            elif name in ("sort", "include"):
                values = parameter["schema"]["items"]["enum"]
            else:
                continue
            for value in values:
                response = await client.get(path, params={name: value})
                assert response.status_code == 200, (path, name, value, response.text)


async def test_include_lists_relationships_and_nested_chains(client: httpx.AsyncClient) -> None:
    document = await fetch(client)
    listing = operations(document)[("GET", "/dynamic-entity/products")]
    include = next(p for p in listing["parameters"] if p.get("name") == "include")
    assert include["schema"]["items"]["enum"] == [
        "stocks",
        "stocks.product",
        "stocks.country",
        "category",
        "category.products",
    ]
    assert (include["style"], include["explode"]) == ("form", False)


# --- the document describes what the API accepts and answers -----------------------------------


async def test_bodies_follow_the_field_rules(client: httpx.AsyncClient) -> None:
    document = await fetch(client)
    schemas = document["components"]["schemas"]
    create = schemas["ProductCreate"]
    assert create["required"] == ["sku", "name", "price"]
    assert "id_product" not in create["properties"]
    assert create["properties"]["price"]["type"] == "string"
    assert create["properties"]["price"]["pattern"] == r"^-?\d+(\.\d+)?$"
    assert create["properties"]["sku"]["maxLength"] == 64
    assert create["properties"]["is_active"]["default"] is True
    assert "required" not in schemas["ProductUpdate"]
    # PUT replaces: a field not sent becomes null, so NOT NULL columns are required too.
    assert schemas["ProductUpsert"]["required"] == ["sku", "name", "price", "is_active"]
    country = schemas["CountryCreate"]["properties"]["iso2_code"]
    assert (country["minLength"], country["maxLength"], country["pattern"]) == (1, 2, "^[A-Z]{2}$")
    assert schemas["ProductStockCreate"]["properties"]["quantity"]["minimum"] == 0
    # Nested stocks are linked to their product by the parent: product_id is not required there.
    nested = resolve(document, create["properties"]["stocks"]["items"])
    assert "product_id" in schemas["ProductStockCreate"]["required"]
    assert "product_id" not in nested["required"]


WRITES: list[tuple[str, str, dict[str, Any], int]] = [
    (
        "POST",
        "/dynamic-entity/products",
        {
            "data": [
                {
                    "sku": "oa-1",
                    "name": "N",
                    "price": "9.50",
                    "stocks": [{"warehouse": "W1", "quantity": 3}],
                }
            ]
        },
        201,
    ),
    ("PATCH", "/dynamic-entity/products", {"data": [{"identifier": 1, "name": "Renamed"}]}, 200),
    ("PATCH", "/dynamic-entity/products/{id}", {"data": {"price": "1.25"}}, 200),
    (
        "PUT",
        "/dynamic-entity/products/{id}",
        {"data": {"sku": "OA-2", "name": "Put", "price": "2.00", "is_active": True}},
        200,
    ),
    (
        "PUT",
        "/dynamic-entity/categories",
        {"data": [{"name": "New", "url": "/new", "is_active": True}]},
        200,
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), WRITES)
async def test_accepted_bodies_and_their_answers_match_the_document(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any], status: int
) -> None:
    document = await fetch(client)
    assert_valid(document, body_schema(document, method, path), body)
    response = await client.request(method, path.replace("{id}", "1"), json=body)
    assert response.status_code == status, response.text
    assert_valid(document, response_schema(document, method, path, status), response.json())


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("POST", {"data": [{"name": "no sku", "price": "1.00"}]}, "1307"),
    ("POST", {"data": [{"sku": "X", "name": "N", "price": "1.00", "id_product": 7}]}, "1304"),
    ("POST", {"data": [{"sku": "X", "name": "N", "price": "1.00", "colour": "red"}]}, "1311"),
    ("POST", {"data": [{"sku": "X", "name": "N", "price": True}]}, "1305"),
    ("POST", {"data": []}, "1301"),
    ("PATCH", {"data": [{"name": "no identifier"}]}, "1310"),
]


@pytest.mark.parametrize(("method", "body", "code"), REFUSED)
async def test_bodies_the_document_rejects_are_refused(
    client: httpx.AsyncClient, method: str, body: dict[str, Any], code: str
) -> None:
    document = await fetch(client)
    path = "/dynamic-entity/products"
    assert not validator(document, body_schema(document, method, path)).is_valid(body)
    response = await client.request(method, path, json=body)
    assert response.json()[0]["code"] == code
    assert_valid(document, response_schema(document, method, path, 400), response.json())


async def test_reads_match_the_document(client: httpx.AsyncClient) -> None:
    document = await fetch(client)
    cases = [
        (
            "/dynamic-entity/products",
            "/dynamic-entity/products",
            {
                "include": "stocks.country,category",
                "count": "true",
                "page[offset]": "0",
                "page[limit]": "5",
            },
        ),
        (
            "/dynamic-entity/product-stocks",
            "/dynamic-entity/product-stocks",
            {"include": "product"},
        ),
        ("/dynamic-entity/products/{id}", "/dynamic-entity/products/1", {"include": "stocks"}),
        ("/dynamic-entity/categories/{id}", "/dynamic-entity/categories/1", {}),
        ("/dynamic-entity/countries", "/dynamic-entity/countries", {}),
    ]
    for path, url, params in cases:
        response = await client.get(url, params=params)
        assert response.status_code == 200, response.text
        assert_valid(document, response_schema(document, "GET", path, 200), response.json())


async def test_names_stay_unique_and_cyclic_nested_writes_end(gateway: Gateway) -> None:
    catalog = await gateway.registry.current()
    products = catalog.entities["products"]
    stocks = catalog.entities["product-stocks"]
    # An editable way back from stocks to products closes a cycle of nested writes.
    back = Relation(
        "items", "hasMany", "product-stocks", "products", "product_id", "id_product", True
    )
    entities = {
        **catalog.entities,
        "product-stocks": replace(stocks, relations={**stocks.relations, "items": back}),
        "product": replace(products, alias="product"),  # also named `Product`
    }
    document = build_document(replace(catalog, entities=entities))

    validate(document)
    schemas = document["components"]["schemas"]
    assert {"Product", "Product2", "ProductCreate", "Product2Create"} <= set(schemas)
    assert schemas["ProductStockItemsUpsert"]["properties"]["stocks"]["items"] == {
        "$ref": "#/components/schemas/Product2StocksUpsert"
    }
    ids = [operation["operationId"] for operation in operations(document).values()]
    assert len(ids) == len(set(ids))


def test_openapi_print_writes_the_snapshot_for_the_demo_database(
    templates: Templates, tmp_path: Path
) -> None:
    database = tmp_path / "demo.db"
    shutil.copyfile(templates.sqlite, database)
    result = run(database, "openapi", "print")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SNAPSHOT.read_text()
