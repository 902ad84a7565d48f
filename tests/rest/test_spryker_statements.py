"""Spryker compatibility: the testable statements of ``spryker-dea.md`` (1-27 and 30).

Each test carries ``@pytest.mark.spryker(n)`` for the statement it covers. Errors are checked in
full: HTTP status, code and Spryker's message text with its error path. Failed transactional
writes are followed by a read-back of the tables to show that nothing changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app import demo
from app.database import create_engine
from app.gateway import Gateway
from app.settings import Settings
from schema_builder.definition import parse_entries
from schema_builder.registry import CatalogRegistry

Entry = dict[str, Any]
ErrorSpec = tuple[int, str, str]

INVALID_DATA_FORMAT = (
    "Invalid or missing data format. Please ensure that the data is provided in the correct "
    "format. Example request body: {'data':[{...},{...},..]}"
)
COUNTRY_FIELDS = ["id_country", "iso2_code", "iso3_code", "name"]
PRODUCT_FIELDS = [
    "id_product",
    "sku",
    "name",
    "description",
    "price",
    "is_active",
    "category_id",
]
STOCK_FIELDS = [
    "id_product_stock",
    "product_id",
    "warehouse",
    "country_id",
    "quantity",
    "is_never_out_of_stock",
]
SWEDEN = {"iso2_code": "SE", "iso3_code": "SWE", "name": "Sweden"}

tags_metadata = sa.MetaData()
tag = sa.Table(
    "tag",
    tags_metadata,
    sa.Column("id_tag", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("label", sa.String(32), nullable=False),
)
TAGS_ENTRY: Entry = {
    "tableName": "tag",
    "tableAlias": "tags",
    "isActive": True,
    "definition": {
        "identifier": "id_tag",
        "isDeletable": True,
        "fields": [
            {
                "fieldName": "id_tag",
                "fieldVisibleName": "id_tag",
                "type": "integer",
                "isCreatable": True,
                "isEditable": False,
                "validation": {"isRequired": False},
            },
            {
                "fieldName": "label",
                "fieldVisibleName": "label",
                "type": "string",
                "isCreatable": True,
                "isEditable": True,
                "validation": {"isRequired": True, "maxLength": 32},
            },
        ],
    },
}


# --- helpers -------------------------------------------------------------------------------


def url(alias: str, identifier: object | None = None) -> str:
    base = f"/dynamic-entity/{alias}"
    return base if identifier is None else f"{base}/{identifier}"


def demo_entry(alias: str, change: Callable[[Entry], None] | None = None) -> Entry:
    """The demo catalog's entry for ``alias`` (a fresh copy), optionally changed."""
    entry = next(e for e in demo.demo_entries() if e["tableAlias"] == alias)
    assert isinstance(entry, dict)
    if change is not None:
        change(entry)
    return entry


def field_of(entry: Entry, visible_name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        f for f in entry["definition"]["fields"] if f["fieldVisibleName"] == visible_name
    )
    return found


async def apply(gateway: Gateway, *entries: Entry) -> None:
    await gateway.registry.apply(parse_entries(list(entries)))


async def register_tags(gateway: Gateway) -> None:
    """A small entity whose identifier is creatable (the demo identifiers are not)."""
    async with gateway.engine.begin() as connection:
        await connection.run_sync(tags_metadata.create_all)
    await apply(gateway, TAGS_ENTRY)


async def table_rows(gateway: Gateway, table: sa.Table) -> list[tuple[Any, ...]]:
    """Every row of ``table`` in primary-key order, read directly from the database."""
    key = next(iter(table.primary_key.columns))
    async with gateway.engine.connect() as connection:
        result = await connection.execute(sa.select(table).order_by(key))
        return [tuple(row) for row in result.all()]


async def scalar(gateway: Gateway, statement: sa.Select[Any]) -> Any:
    async with gateway.engine.connect() as connection:
        return await connection.scalar(statement)


def assert_errors(
    response: httpx.Response, *expected: ErrorSpec, status: int | None = None
) -> None:
    """Spryker's bare error array; the HTTP status is the last error's unless given."""
    assert response.json() == [
        {"status": s, "code": code, "message": message} for s, code, message in expected
    ]
    assert response.status_code == (expected[-1][0] if status is None else status)


def ids(rows: list[dict[str, Any]], key: str) -> list[int]:
    return [row[key] for row in rows]


# --- 1. list shape ---------------------------------------------------------------------------


@pytest.mark.spryker(1)
async def test_s1_list_returns_data_with_exactly_the_configured_fields(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(url("products"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["data"]
    assert len(body["data"]) == 12 * demo.PRODUCTS_PER_CATEGORY
    assert all(list(row) == PRODUCT_FIELDS for row in body["data"])


@pytest.mark.spryker(1)
async def test_s1_list_keys_follow_visible_names_and_omit_unconfigured_columns(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    def change(entry: Entry) -> None:
        fields = entry["definition"]["fields"]
        entry["definition"]["fields"] = [f for f in fields if f["fieldName"] != "iso3_code"]
        field_of(entry, "name")["fieldVisibleName"] = "countryName"

    await apply(gateway, demo_entry("countries", change))
    response = await client.get(url("countries"))
    assert response.status_code == 200
    rows = response.json()["data"]
    assert rows[0] == {"id_country": 1, "iso2_code": "DE", "countryName": "Germany"}
    assert all(list(row) == ["id_country", "iso2_code", "countryName"] for row in rows)


# --- 2. pagination ---------------------------------------------------------------------------


@pytest.mark.spryker(2)
async def test_s2_page_offset_and_limit_bound_the_page(client: httpx.AsyncClient) -> None:
    first = await client.get(url("products"), params={"page[offset]": "0", "page[limit]": "10"})
    assert first.status_code == 200
    assert ids(first.json()["data"], "id_product") == list(range(1, 11))
    second = await client.get(url("products"), params={"page[offset]": "10", "page[limit]": "10"})
    assert ids(second.json()["data"], "id_product") == list(range(11, 21))
    tail = await client.get(url("countries"), params={"page[offset]": "7", "page[limit]": "10"})
    assert ids(tail.json()["data"], "id_country") == [8, 9, 10]


@pytest.mark.spryker(2)
async def test_s2_without_both_page_params_up_to_1000_rows_from_offset_0_are_returned(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    async with gateway.engine.begin() as connection:
        await connection.execute(
            sa.insert(demo.category),
            [{"name": f"Extra {n}", "url": f"/extra-{n}", "is_active": True} for n in range(1000)],
        )
    assert await scalar(gateway, sa.select(sa.func.count()).select_from(demo.category)) == 1012
    for params in ({}, {"page[limit]": "5"}, {"page[offset]": "5"}):
        response = await client.get(url("categories"), params=params)
        assert response.status_code == 200, params
        assert ids(response.json()["data"], "id_category") == list(range(1, 1001)), params


# --- 3. no count/links/meta, identifier order -----------------------------------------------


@pytest.mark.spryker(3)
async def test_s3_list_has_no_count_links_or_meta(client: httpx.AsyncClient) -> None:
    response = await client.get(url("countries"), params={"page[offset]": "0", "page[limit]": "3"})
    assert response.status_code == 200
    assert list(response.json()) == ["data"]
    assert "x-total-count" not in response.headers
    assert "link" not in response.headers


@pytest.mark.spryker(3)
async def test_s3_rows_come_in_identifier_order_whatever_the_storage_order(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    # An update moves a PostgreSQL row to the end of the heap; rows inserted with descending
    # ids are stored in descending order. Neither may change the order of the list.
    patched = await client.patch(url("categories", 1), json={"data": {"name": "Photo"}})
    assert patched.status_code == 200
    async with gateway.engine.begin() as connection:
        for key in (500, 400, 450):
            await connection.execute(
                sa.insert(demo.category).values(
                    id_category=key, name=f"Late {key}", url=f"/late-{key}", is_active=True
                )
            )
    response = await client.get(url("categories"))
    assert ids(response.json()["data"], "id_category") == [*range(1, 13), 400, 450, 500]
    assert response.json()["data"][0]["name"] == "Photo"


# --- 4. unknown or inactive alias ------------------------------------------------------------


NOT_FOUND: ErrorSpec = (404, "007", "Not found")


@pytest.mark.spryker(4)
async def test_s4_unknown_alias_is_not_found_with_007_on_every_verb(
    client: httpx.AsyncClient,
) -> None:
    body = {"data": [{"name": "x"}]}
    for response in (
        await client.get(url("planets")),
        await client.get(url("planets", 1)),
        await client.post(url("planets"), json=body),
        await client.patch(url("planets"), json=body),
        await client.put(url("planets"), json=body),
        await client.delete(url("planets", 1)),
    ):
        assert_errors(response, NOT_FOUND)


@pytest.mark.spryker(4)
async def test_s4_inactive_alias_is_not_found_with_007(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    def deactivate(entry: Entry) -> None:
        entry["isActive"] = False

    await apply(gateway, demo_entry("countries", deactivate))
    assert_errors(await client.get(url("countries")), NOT_FOUND)
    assert_errors(await client.get(url("countries", 1)), NOT_FOUND)
    assert_errors(await client.post(url("countries"), json={"data": [SWEDEN]}), NOT_FOUND)
    assert_errors(await client.patch(url("countries", 1), json={"data": {"name": "x"}}), NOT_FOUND)
    assert len(await table_rows(gateway, demo.country)) == 10
    assert (await client.get(url("categories"))).status_code == 200


# --- 5-7. filters ---------------------------------------------------------------------------


@pytest.mark.spryker(5)
async def test_s5_filter_by_visible_name_is_equality_whatever_the_prefix(
    client: httpx.AsyncClient,
) -> None:
    for key in ("filter[countries.iso2_code]", "filter[country.iso2_code]", "filter[x.iso2_code]"):
        response = await client.get(url("countries"), params={key: "AT"})
        assert response.status_code == 200
        assert response.json() == {
            "data": [{"id_country": 2, "iso2_code": "AT", "iso3_code": "AUT", "name": "Austria"}]
        }
    nothing = await client.get(url("countries"), params={"filter[countries.iso2_code]": "A"})
    assert nothing.status_code == 200
    assert nothing.json() == {"data": []}


@pytest.mark.spryker(5)
async def test_s5_in_filter_matches_any_listed_value(client: httpx.AsyncClient) -> None:
    response = await client.get(
        url("countries"), params={"filter[countries.iso2_code]": '{"in": ["FR", "DE", "XX"]}'}
    )
    assert response.status_code == 200
    assert ids(response.json()["data"], "id_country") == [1, 4]
    upper = await client.get(
        url("countries"), params={"filter[countries.name]": '{"IN": ["Spain"]}'}
    )
    assert ids(upper.json()["data"], "id_country") == [9]


@pytest.mark.spryker(5)
async def test_s5_several_filters_are_anded(client: httpx.AsyncClient) -> None:
    response = await client.get(
        url("products"),
        params={"filter[products.category_id]": "1", "filter[products.is_active]": "false"},
    )
    assert response.status_code == 200
    assert ids(response.json()["data"], "id_product") == [11]
    countries = await client.get(
        url("countries"),
        params={
            "filter[countries.iso2_code]": '{"in": ["DE", "AT", "CH"]}',
            "filter[countries.name]": "Austria",
        },
    )
    assert ids(countries.json()["data"], "id_country") == [2]


@pytest.mark.spryker(6)
async def test_s6_filter_on_a_field_not_in_the_definition_is_rejected_with_1315(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.get(url("countries"), params={"filter[countries.capital]": "Berlin"})
    assert_errors(
        response, (400, "1315", "Filter field `capital` for table alias `countries` not found.")
    )

    # A real column left out of the definition is not filterable either.
    def drop_iso3(entry: Entry) -> None:
        fields = entry["definition"]["fields"]
        entry["definition"]["fields"] = [f for f in fields if f["fieldName"] != "iso3_code"]

    await apply(gateway, demo_entry("countries", drop_iso3))
    hidden = await client.get(url("countries"), params={"filter[countries.iso3_code]": "DEU"})
    assert_errors(
        hidden, (400, "1315", "Filter field `iso3_code` for table alias `countries` not found.")
    )


@pytest.mark.spryker(7)
async def test_s7_identifier_filter_targets_the_identifier_field(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.get(url("countries"), params={"filter[countries.identifier]": "3"})
    assert response.status_code == 200
    assert response.json() == {
        "data": [{"id_country": 3, "iso2_code": "CH", "iso3_code": "CHE", "name": "Switzerland"}]
    }
    listed = await client.get(url("products"), params={"filter[p.identifier]": '{"in": [5, 7]}'})
    assert ids(listed.json()["data"], "id_product") == [5, 7]

    # With a renamed identifier, `identifier` still finds it.
    def rename(entry: Entry) -> None:
        field_of(entry, "id_country")["fieldVisibleName"] = "countryId"

    await apply(gateway, demo_entry("countries", rename))
    renamed = await client.get(url("countries"), params={"filter[c.identifier]": "9"})
    assert renamed.json()["data"] == [
        {"countryId": 9, "iso2_code": "ES", "iso3_code": "ESP", "name": "Spain"}
    ]


# --- 8. get by id ----------------------------------------------------------------------------


@pytest.mark.spryker(8)
async def test_s8_get_by_id_returns_the_entity_as_an_object(client: httpx.AsyncClient) -> None:
    response = await client.get(url("countries", 4))
    assert response.status_code == 200
    assert response.json() == {
        "data": {"id_country": 4, "iso2_code": "FR", "iso3_code": "FRA", "name": "France"}
    }


@pytest.mark.spryker(8)
async def test_s8_get_by_missing_id_is_not_found_with_1303(client: httpx.AsyncClient) -> None:
    expected = (404, "1303", "The entity `countries` could not be found in the database.")
    assert_errors(await client.get(url("countries", 999)), expected)
    assert_errors(await client.get(url("countries", "abc")), expected)


# --- 9-10. include ---------------------------------------------------------------------------


@pytest.mark.spryker(9)
async def test_s9_include_nests_children_as_an_array(client: httpx.AsyncClient) -> None:
    response = await client.get(url("products", 1), params={"include": "stocks"})
    assert response.status_code == 200
    product = response.json()["data"]
    assert list(product) == [*PRODUCT_FIELDS, "stocks"]
    stocks = product["stocks"]
    assert isinstance(stocks, list)
    assert len(stocks) == 2
    assert all(list(s) == STOCK_FIELDS and s["product_id"] == 1 for s in stocks)


@pytest.mark.spryker(9)
async def test_s9_include_key_is_absent_when_there_are_no_children(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.get(url("countries"), params={"include": "stocks"})
    assert response.status_code == 200
    per_country = sa.select(demo.product_stock.c.country_id, sa.func.count()).group_by(
        demo.product_stock.c.country_id
    )
    async with gateway.engine.connect() as connection:
        counts: dict[int, int] = {
            key: count for key, count in (await connection.execute(per_country)).all()
        }
    assert set(counts) == {1, 2, 7}
    for country in response.json()["data"]:
        key = country["id_country"]
        if key in counts:
            assert len(country["stocks"]) == counts[key]
            assert all(s["country_id"] == key for s in country["stocks"])
        else:
            assert "stocks" not in country


@pytest.mark.spryker(9)
async def test_s9_belongs_to_relation_nests_an_object(client: httpx.AsyncClient) -> None:
    response = await client.get(url("products", 18), params={"include": "category"})
    assert response.status_code == 200
    assert response.json()["data"]["category"] == {
        "id_category": 2,
        "name": "Laptops",
        "url": "/laptops",
        "is_active": True,
    }
    created = await client.post(
        url("products"), json={"data": [{"sku": "LOOSE-1", "name": "Loose", "price": "1.00"}]}
    )
    loose = created.json()["data"][0]["id_product"]
    alone = await client.get(url("products", loose), params={"include": "category"})
    assert "category" not in alone.json()["data"]


@pytest.mark.spryker(10)
async def test_s10_include_chain_nests_two_levels(client: httpx.AsyncClient) -> None:
    response = await client.get(url("categories", 1), params={"include": "products.stocks"})
    assert response.status_code == 200
    category = response.json()["data"]
    assert ids(category["products"], "id_product") == list(range(1, 18))
    for product in category["products"]:
        assert product["category_id"] == 1
        assert len(product["stocks"]) == 2
        assert all(s["product_id"] == product["id_product"] for s in product["stocks"])
    listed = await client.get(
        url("categories"),
        params={"include": "products.stocks", "page[offset]": "1", "page[limit]": "1"},
    )
    (laptops,) = listed.json()["data"]
    assert ids(laptops["products"], "id_product") == list(range(18, 35))
    assert all(len(p["stocks"]) == 2 for p in laptops["products"])


@pytest.mark.spryker(10)
async def test_s10_unknown_or_misplaced_relation_in_include_is_rejected_with_1313(
    client: httpx.AsyncClient,
) -> None:
    def relation_not_found(name: str) -> ErrorSpec:
        return (
            400,
            "1313",
            f"Relation `{name}` not found. Please check the requested relation name and try again.",
        )

    assert_errors(
        await client.get(url("countries"), params={"include": "planets"}),
        relation_not_found("planets"),
    )
    # `stocks` exists on products, but not directly under categories.
    assert_errors(
        await client.get(url("categories"), params={"include": "stocks.products"}),
        relation_not_found("stocks"),
    )
    assert_errors(
        await client.get(url("products", 1), params={"include": "category.stocks"}),
        relation_not_found("stocks"),
    )


# --- 11. value types -------------------------------------------------------------------------


@pytest.mark.spryker(11)
async def test_s11_integers_are_numbers_decimals_are_strings_nulls_stay_null(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(url("products"))
    for product in response.json()["data"]:
        assert type(product["id_product"]) is int
        assert type(product["category_id"]) is int
        assert type(product["is_active"]) is bool
        assert isinstance(product["price"], str)
        assert re.fullmatch(r"\d+\.\d{2}", product["price"])
    created = await client.post(
        url("products"), json={"data": [{"sku": "NUL-1", "name": "Bare", "price": 20}]}
    )
    assert created.status_code == 201
    row = created.json()["data"][0]
    assert row["price"] == "20.00"
    assert row["description"] is None
    assert row["category_id"] is None
    fetched = await client.get(url("products", row["id_product"]))
    assert fetched.json()["data"] == row


# --- 12. create ------------------------------------------------------------------------------


@pytest.mark.spryker(12)
async def test_s12_post_returns_201_with_saved_rows_and_generated_ids(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(
        url("countries"),
        json={"data": [SWEDEN, {"iso2_code": "NO", "iso3_code": "NOR", "name": "Norway"}]},
    )
    assert response.status_code == 201
    assert response.json() == {
        "data": [
            {"id_country": 11, **SWEDEN},
            {"id_country": 12, "iso2_code": "NO", "iso3_code": "NOR", "name": "Norway"},
        ]
    }
    assert (await table_rows(gateway, demo.country))[-2:] == [
        (11, "SE", "SWE", "Sweden"),
        (12, "NO", "NOR", "Norway"),
    ]


@pytest.mark.spryker(12)
async def test_s12_post_response_carries_every_configured_field_including_defaults(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        url("categories"), json={"data": [{"name": "Drones", "url": "/drones"}]}
    )
    assert response.status_code == 201
    assert response.json() == {
        "data": [{"id_category": 13, "name": "Drones", "url": "/drones", "is_active": True}]
    }


# --- 13. data format -------------------------------------------------------------------------


@pytest.mark.spryker(13)
async def test_s13_missing_empty_or_malformed_data_is_rejected_with_1301(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.country)
    bodies: list[bytes] = [
        b"",
        b"not json",
        b"{}",
        b'{"items": [{"name": "x"}]}',
        b'{"data": []}',
        b'{"data": null}',
        b'{"data": "Sweden"}',
        b'{"data": {"iso2_code": "SE", "iso3_code": "SWE", "name": "Sweden"}}',
        b'{"data": [1, 2]}',
        b'[{"data": []}]',
    ]
    for body in bodies:
        for method in ("POST", "PATCH", "PUT"):
            response = await client.request(method, url("countries"), content=body)
            assert_errors(response, (400, "1301", INVALID_DATA_FORMAT))
    assert await table_rows(gateway, demo.country) == before


@pytest.mark.spryker(13)
async def test_s13_id_routes_require_data_to_be_an_object(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.country)
    bodies: list[dict[str, Any]] = [
        {"data": [{"name": "Deutschland"}]},
        {"data": {}},
        {"data": "Deutschland"},
        {"name": "Deutschland"},
    ]
    for body in bodies:
        for method in ("PATCH", "PUT"):
            response = await client.request(method, url("countries", 1), json=body)
            assert_errors(response, (400, "1301", INVALID_DATA_FORMAT))
    assert await table_rows(gateway, demo.country) == before


# --- 14-16. field validation -----------------------------------------------------------------


@pytest.mark.spryker(14)
async def test_s14_unknown_scalar_key_is_rejected_with_1311(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(
        url("countries"), json={"data": [{**SWEDEN, "capital": "Stockholm"}]}
    )
    assert_errors(
        response, (400, "1311", "The provided `countries[0].capital` is incorrect or invalid.")
    )
    patched = await client.patch(url("countries", 1), json={"data": {"nickname": "DE"}})
    assert_errors(
        patched, (400, "1311", "The provided `countries[0].nickname` is incorrect or invalid.")
    )
    assert len(await table_rows(gateway, demo.country)) == 10
    assert (await table_rows(gateway, demo.country))[0] == (1, "DE", "DEU", "Germany")


@pytest.mark.spryker(15)
async def test_s15_wrong_json_types_are_rejected_with_1305(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("product-stocks", {"quantity": "5"}, "quantity"),
        ("product-stocks", {"quantity": 5.0}, "quantity"),
        ("product-stocks", {"warehouse": 7}, "warehouse"),
        ("products", {"price": "12,50"}, "price"),
        ("products", {"price": "abc"}, "price"),
        ("products", {"price": True}, "price"),
        ("products", {"name": {"text": "Pro"}}, "name"),
    ]
    stock_valid = {"product_id": 1, "warehouse": "Warehouse9", "quantity": 1}
    product_valid = {"sku": "TYPE-1", "name": "Typed", "price": "1.00"}
    before = await table_rows(gateway, demo.product)
    for alias, bad, field in cases:
        valid = stock_valid if alias == "product-stocks" else product_valid
        response = await client.post(url(alias), json={"data": [{**valid, **bad}]})
        assert_errors(
            response, (400, "1305", f"Invalid data type `{alias}[0]` for field `{field}`")
        )
    flag = await client.post(url("products"), json={"data": [{**product_valid, "is_active": 1}]})
    assert flag.status_code == 400
    assert {
        "status": 400,
        "code": "1305",
        "message": "Invalid data type `products[0]` for field `is_active`",
    } in flag.json()
    # An array value is read as a relation (as in Spryker): the field then counts as missing.
    listed = await client.post(url("products"), json={"data": [{**product_valid, "name": ["P"]}]})
    assert_errors(
        listed,
        (
            400,
            "1313",
            "Relation `name` not found. Please check the requested relation name and try again.",
        ),
        required("products[0]", "name"),
    )
    assert await table_rows(gateway, demo.product) == before


@pytest.mark.spryker(15)
async def test_s15_decimals_accept_numbers_and_numeric_strings(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        url("products"),
        json={
            "data": [
                {"sku": "DEC-1", "name": "A", "price": 12.5},
                {"sku": "DEC-2", "name": "B", "price": "-0.00"},
                {"sku": "DEC-3", "name": "C", "price": "7"},
            ]
        },
    )
    assert response.status_code == 201
    assert [p["price"] for p in response.json()["data"]] == ["12.50", "0.00", "7.00"]


@pytest.mark.spryker(16)
async def test_s16_rule_violations_are_rejected_with_1306(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before_stock = await table_rows(gateway, demo.product_stock)
    below_min = await client.post(
        url("product-stocks"),
        json={"data": [{"product_id": 1, "warehouse": "Warehouse9", "quantity": -1}]},
    )
    assert_errors(
        below_min,
        (
            400,
            "1306",
            "Invalid data value `product-stocks[0]` for field: `quantity`. "
            "Field rules: min: 0, is_required: 1",
        ),
    )
    too_long = await client.patch(url("countries", 1), json={"data": {"iso3_code": "DEUT"}})
    too_short = await client.patch(url("countries", 1), json={"data": {"iso3_code": "D"}})
    for response in (too_long, too_short):
        assert_errors(
            response,
            (
                400,
                "1306",
                "Invalid data value `countries[0]` for field: `iso3_code`. "
                "Field rules: min_length: 2, max_length: 3, is_required: 1",
            ),
        )
    price_rules = (
        400,
        "1306",
        "Invalid data value `products[0]` for field: `price`. "
        "Field rules: min: 0, precision: 12, scale: 2, is_required: 1",
    )
    for price in ("1.234", "12345678901.00", "-1"):
        response = await client.patch(url("products", 1), json={"data": {"price": price}})
        assert_errors(response, price_rules)
    # trailing zeros do not count against the scale
    fine = await client.patch(url("products", 1), json={"data": {"price": "1.2500"}})
    assert fine.status_code == 200
    assert fine.json()["data"]["price"] == "1.25"
    assert await table_rows(gateway, demo.product_stock) == before_stock
    assert (await table_rows(gateway, demo.country))[0] == (1, "DE", "DEU", "Germany")


@pytest.mark.spryker(16)
async def test_s16_integer_max_is_inclusive(client: httpx.AsyncClient, gateway: Gateway) -> None:
    def cap(entry: Entry) -> None:
        field_of(entry, "quantity")["validation"] = {"isRequired": True, "min": 0, "max": 100}

    await apply(gateway, demo_entry("product-stocks", cap))
    at_max = await client.patch(url("product-stocks", 1), json={"data": {"quantity": 100}})
    assert at_max.status_code == 200
    above = await client.patch(url("product-stocks", 1), json={"data": {"quantity": 101}})
    assert_errors(
        above,
        (
            400,
            "1306",
            "Invalid data value `product-stocks[0]` for field: `quantity`. "
            "Field rules: min: 0, max: 100, is_required: 1",
        ),
    )
    assert (
        await scalar(
            gateway,
            sa.select(demo.product_stock.c.quantity).where(
                demo.product_stock.c.id_product_stock == 1
            ),
        )
        == 100
    )


# --- 17. required fields ---------------------------------------------------------------------


def required(path: str, field: str) -> ErrorSpec:
    return (400, "1307", f"The required field must not be empty. Field: `{path}.{field}`")


@pytest.mark.spryker(17)
async def test_s17_post_missing_or_null_required_field_is_rejected_with_1307(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(
        url("countries"),
        json={"data": [{"iso2_code": "SE", "iso3_code": None}, {"iso3_code": "NOR", "name": "N"}]},
    )
    assert_errors(
        response,
        required("countries[0]", "iso3_code"),
        required("countries[0]", "name"),
        required("countries[1]", "iso2_code"),
    )
    assert len(await table_rows(gateway, demo.country)) == 10


@pytest.mark.spryker(17)
async def test_s17_put_requires_every_required_field_even_on_update(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.put(url("countries", 1), json={"data": {"name": "Deutschland"}})
    assert_errors(
        response, required("countries[0]", "iso2_code"), required("countries[0]", "iso3_code")
    )
    assert (await table_rows(gateway, demo.country))[0] == (1, "DE", "DEU", "Germany")


@pytest.mark.spryker(17)
async def test_s17_patch_does_not_check_required_fields(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.patch(url("countries", 1), json={"data": {"name": "Deutschland"}})
    assert response.status_code == 200
    assert response.json() == {
        "data": {"id_country": 1, "iso2_code": "DE", "iso3_code": "DEU", "name": "Deutschland"}
    }
    assert (await table_rows(gateway, demo.country))[0] == (1, "DE", "DEU", "Deutschland")


# --- 18. immutable fields --------------------------------------------------------------------


@pytest.mark.spryker(18)
async def test_s18_post_with_non_creatable_field_is_rejected_with_1304(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(url("countries"), json={"data": [{"id_country": 50, **SWEDEN}]})
    assert_errors(
        response,
        (400, "1304", "Modification of immutable field `countries[0].id_country` is prohibited"),
    )
    assert len(await table_rows(gateway, demo.country)) == 10


@pytest.mark.spryker(18)
async def test_s18_patch_and_put_with_non_editable_field_are_rejected_with_1304(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    def freeze_iso3(entry: Entry) -> None:
        field_of(entry, "iso3_code")["isEditable"] = False

    await apply(gateway, demo_entry("countries", freeze_iso3))
    immutable = (
        400,
        "1304",
        "Modification of immutable field `countries[0].iso3_code` is prohibited",
    )
    assert_errors(
        await client.patch(url("countries", 1), json={"data": {"iso3_code": "DEX"}}), immutable
    )
    assert_errors(
        await client.put(
            url("countries"),
            json={"data": [{"id_country": 1, "iso2_code": "DE", "iso3_code": "DEX", "name": "D"}]},
        ),
        immutable,
    )
    # Changing the identifier through the body is changing a non-editable field.
    assert_errors(
        await client.patch(url("countries", 1), json={"data": {"id_country": 2}}),
        (400, "1304", "Modification of immutable field `countries[0].id_country` is prohibited"),
    )
    assert (await table_rows(gateway, demo.country))[:2] == [
        (1, "DE", "DEU", "Germany"),
        (2, "AT", "AUT", "Austria"),
    ]
    # Creatable but not editable: POST may still set it.
    created = await client.post(url("countries"), json={"data": [SWEDEN]})
    assert created.status_code == 201


@pytest.mark.spryker(18)
async def test_s18_identifier_used_only_as_the_key_is_allowed(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.patch(
        url("countries"), json={"data": [{"id_country": 3, "name": "Schweiz"}]}
    )
    assert response.status_code == 200
    assert response.json()["data"] == [
        {"id_country": 3, "iso2_code": "CH", "iso3_code": "CHE", "name": "Schweiz"}
    ]
    same = await client.patch(url("countries", 3), json={"data": {"id_country": 3, "name": "S"}})
    assert same.status_code == 200
    assert (await table_rows(gateway, demo.country))[2] == (3, "CH", "CHE", "S")


# --- 19. PATCH identifier --------------------------------------------------------------------


@pytest.mark.spryker(19)
async def test_s19_patch_without_identifier_is_rejected_with_1310(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.patch(
        url("countries"), json={"data": [{"id_country": 1, "name": "D"}, {"name": "Nowhere"}]}
    )
    assert_errors(
        response, (400, "1310", "Incomplete Request - missing identifier for `countries[1]`")
    )
    assert (await table_rows(gateway, demo.country))[0] == (1, "DE", "DEU", "Germany")


@pytest.mark.spryker(19)
async def test_s19_patch_finds_the_row_by_url_id_identifier_key_or_visible_name(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    by_url = await client.patch(url("countries", 1), json={"data": {"name": "One"}})
    by_key = await client.patch(url("countries"), json={"data": [{"identifier": 2, "name": "Two"}]})
    by_name = await client.patch(
        url("countries"), json={"data": [{"id_country": 3, "name": "Three"}]}
    )
    assert [r.status_code for r in (by_url, by_key, by_name)] == [200, 200, 200]
    assert by_key.json()["data"][0]["id_country"] == 2
    names = [row[3] for row in await table_rows(gateway, demo.country)]
    assert names[:4] == ["One", "Two", "Three", "France"]


@pytest.mark.spryker(19)
async def test_s19_patch_of_a_missing_row_is_not_found_with_1303(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.country)
    assert_errors(
        await client.patch(url("countries", 999), json={"data": {"name": "Atlantis"}}),
        (404, "1303", "The entity `countries[0]` could not be found in the database."),
    )
    assert_errors(
        await client.patch(
            url("countries"),
            json={"data": [{"id_country": 1, "name": "X"}, {"id_country": 998, "name": "Y"}]},
        ),
        (404, "1303", "The entity `countries[1]` could not be found in the database."),
    )
    assert await table_rows(gateway, demo.country) == before


# --- 20-21. PUT ------------------------------------------------------------------------------


@pytest.mark.spryker(20)
async def test_s20_put_item_without_identifier_inserts(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.put(
        url("categories"), json={"data": [{"name": "Drones", "url": "/drones"}]}
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": [{"id_category": 13, "name": "Drones", "url": "/drones", "is_active": True}]
    }
    assert (await table_rows(gateway, demo.category))[-1] == (13, "Drones", "/drones", True)


@pytest.mark.spryker(20)
async def test_s20_put_with_found_identifier_resets_editable_fields_not_sent(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    original = (await client.get(url("products", 1))).json()["data"]
    assert original["description"] is not None
    assert original["category_id"] == 1
    response = await client.put(
        url("products", 1),
        json={"data": {"sku": original["sku"], "name": "Replaced", "price": 10, "is_active": True}},
    )
    assert response.status_code == 200
    expected = {
        "id_product": 1,
        "sku": original["sku"],
        "name": "Replaced",
        "description": None,
        "price": "10.00",
        "is_active": True,
        "category_id": None,
    }
    assert response.json() == {"data": expected}
    assert (await client.get(url("products", 1))).json()["data"] == expected
    # The collection route with the identifier in the body replaces the same way.
    again = await client.put(
        url("products"),
        json={
            "data": [
                {
                    "id_product": 2,
                    "sku": "CAM-00002",
                    "name": "Two",
                    "price": "2.00",
                    "is_active": False,
                }
            ]
        },
    )
    assert again.json()["data"][0]["description"] is None
    assert again.json()["data"][0]["category_id"] is None


@pytest.mark.spryker(20)
async def test_s20_put_leaves_non_editable_fields_alone(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    def freeze_iso3(entry: Entry) -> None:
        field = field_of(entry, "iso3_code")
        field["isEditable"] = False
        field["validation"]["isRequired"] = False

    await apply(gateway, demo_entry("countries", freeze_iso3))
    response = await client.put(
        url("countries", 1), json={"data": {"iso2_code": "DE", "name": "Deutschland"}}
    )
    assert response.status_code == 200
    assert response.json()["data"] == {
        "id_country": 1,
        "iso2_code": "DE",
        "iso3_code": "DEU",
        "name": "Deutschland",
    }
    assert (await table_rows(gateway, demo.country))[0] == (1, "DE", "DEU", "Deutschland")


@pytest.mark.spryker(21)
async def test_s21_put_with_unknown_identifier_that_is_not_creatable_is_rejected_with_1308(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.country)
    message = (
        "Entity `countries[0].id_country: 99` not found by identifier, and new identifier can "
        "not be persisted. Please update the request."
    )
    assert_errors(
        await client.put(url("countries", 99), json={"data": SWEDEN}), (400, "1308", message)
    )
    assert_errors(
        await client.put(url("countries"), json={"data": [{"id_country": 99, **SWEDEN}]}),
        (400, "1308", message),
    )
    assert await table_rows(gateway, demo.country) == before


@pytest.mark.spryker(21)
async def test_s21_put_with_unknown_identifier_that_is_creatable_inserts(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await register_tags(gateway)
    by_url = await client.put(url("tags", 5), json={"data": {"label": "five"}})
    assert by_url.status_code == 200
    assert by_url.json() == {"data": {"id_tag": 5, "label": "five"}}
    by_body = await client.put(url("tags"), json={"data": [{"id_tag": 7, "label": "seven"}]})
    assert by_body.status_code == 200
    assert by_body.json() == {"data": [{"id_tag": 7, "label": "seven"}]}
    replaced = await client.put(url("tags", 5), json={"data": {"label": "FIVE"}})
    assert replaced.json() == {"data": {"id_tag": 5, "label": "FIVE"}}
    assert await table_rows(gateway, tag) == [(5, "FIVE"), (7, "seven")]


# --- 22. duplicates --------------------------------------------------------------------------


def duplicated(path: str) -> ErrorSpec:
    return (
        400,
        "1309",
        f"Failed to persist the data for `{path}`. Please verify the provided data and try "
        "again. Entry is duplicated.",
    )


@pytest.mark.spryker(22)
async def test_s22_duplicate_unique_key_is_rejected_with_1309_naming_the_key(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.country)
    assert_errors(
        await client.post(
            url("countries"), json={"data": [{"iso2_code": "DE", "iso3_code": "DEX", "name": "X"}]}
        ),
        duplicated("countries[0].iso2_code"),
    )
    assert_errors(
        await client.patch(url("countries", 2), json={"data": {"iso3_code": "DEU"}}),
        duplicated("countries[0].iso3_code"),
    )
    assert_errors(
        await client.post(
            url("countries"),
            json={"data": [SWEDEN, {"iso2_code": "SE", "iso3_code": "SWX", "name": "Sweden 2"}]},
        ),
        duplicated("countries[1].iso2_code"),
    )
    assert await table_rows(gateway, demo.country) == before


@pytest.mark.spryker(22)
async def test_s22_duplicate_in_a_child_row_names_the_child_path_and_key(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before_products = await table_rows(gateway, demo.product)
    before_stock = await table_rows(gateway, demo.product_stock)
    single = await client.post(
        url("categories"),
        json={
            "data": [
                {
                    "name": "Drones",
                    "url": "/drones",
                    "products": [
                        {"sku": "DRN-1", "name": "Drone", "price": "1.00"},
                        {"sku": "CAM-00001", "name": "Copy", "price": "1.00"},
                    ],
                }
            ]
        },
    )
    assert_errors(single, duplicated("categories[0].products[1].sku"))
    composite = await client.post(
        url("products"),
        json={
            "data": [
                {
                    "sku": "DUP-1",
                    "name": "Twice stocked",
                    "price": "1.00",
                    "stocks": [
                        {"warehouse": "Warehouse1", "quantity": 1},
                        {"warehouse": "Warehouse1", "quantity": 2},
                    ],
                }
            ]
        },
    )
    assert_errors(composite, duplicated("products[0].product-stocks[1].product_id, warehouse"))
    assert len(await table_rows(gateway, demo.category)) == 12
    assert await table_rows(gateway, demo.product) == before_products
    assert await table_rows(gateway, demo.product_stock) == before_stock


# --- 23-24. transactional and non-transactional ---------------------------------------------


@pytest.mark.spryker(23)
async def test_s23_transactional_error_rolls_back_every_item(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.country)
    response = await client.post(
        url("countries"),
        json={
            "data": [
                SWEDEN,
                {"iso2_code": "NO", "iso3_code": "NOR", "name": "Norway"},
                {"iso2_code": "FR", "iso3_code": "FRX", "name": "Duplicate"},
            ]
        },
    )
    assert_errors(response, duplicated("countries[2].iso2_code"))
    updates = await client.patch(
        url("countries"),
        json={"data": [{"id_country": 998}, {"id_country": 1, "name": "X"}, {"id_country": 999}]},
    )
    assert_errors(
        updates,
        (404, "1303", "The entity `countries[0]` could not be found in the database."),
        (404, "1303", "The entity `countries[2]` could not be found in the database."),
    )
    assert await table_rows(gateway, demo.country) == before


@pytest.mark.spryker(23)
async def test_s23_errors_of_all_items_are_listed_and_the_last_one_sets_the_status(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.country)
    not_editable = (422, "1314", "The relationship `stocks` is not editable by configuration.")
    missing_name = required("countries[0]", "name")
    unknown = (400, "1311", "The provided `countries[2].capital` is incorrect or invalid.")
    norway = {"iso2_code": "NO", "iso3_code": "NOR", "name": "Norway"}
    stocks = [{"product_id": 1, "warehouse": "W", "quantity": 1}]
    last_422 = await client.post(
        url("countries"),
        json={
            "data": [
                {"iso2_code": "SE", "iso3_code": "SWE"},
                {**norway, "stocks": stocks},
            ]
        },
    )
    assert_errors(last_422, missing_name, not_editable)
    assert last_422.status_code == 422
    last_400 = await client.post(
        url("countries"),
        json={
            "data": [
                {"iso2_code": "SE", "iso3_code": "SWE"},
                {**norway, "stocks": stocks},
                {**SWEDEN, "capital": "Stockholm"},
            ]
        },
    )
    assert_errors(last_400, missing_name, not_editable, unknown)
    assert last_400.status_code == 400
    assert await table_rows(gateway, demo.country) == before


@pytest.mark.spryker(24)
async def test_s24_non_transactional_saves_valid_items_and_reports_the_others(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(
        url("countries"),
        headers={"X-Is-Transactional": "false"},
        json={
            "data": [
                SWEDEN,
                {"iso2_code": "NO", "iso3_code": "NOR"},
                {"iso2_code": "DE", "iso3_code": "DEX", "name": "Duplicate"},
                {"iso2_code": "FI", "iso3_code": "FIN", "name": "Finland"},
            ]
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["data", "errors"]
    assert [row["iso2_code"] for row in body["data"]] == ["SE", "FI"]
    assert body["errors"] == [
        {
            "status": 400,
            "code": "1307",
            "message": "The required field must not be empty. Field: `countries[1].name`",
        },
        {
            "status": 400,
            "code": "1309",
            "message": "Failed to persist the data for `countries[2].iso2_code`. Please verify "
            "the provided data and try again. Entry is duplicated.",
        },
    ]
    codes = [row[1] for row in await table_rows(gateway, demo.country)]
    assert codes[10:] == ["SE", "FI"]
    assert "NO" not in codes


@pytest.mark.spryker(24)
async def test_s24_non_transactional_without_errors_has_an_empty_error_list(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(
        url("countries"),
        headers={"X-Is-Transactional": "0"},
        json={"data": [{"id_country": 1, "name": "Deutschland"}]},
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": [{"id_country": 1, "iso2_code": "DE", "iso3_code": "DEU", "name": "Deutschland"}],
        "errors": [],
    }


@pytest.mark.spryker(24)
async def test_s24_non_transactional_with_every_item_failed_takes_the_first_error_status(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.country)
    not_found = {
        "status": 404,
        "code": "1303",
        "message": "The entity `countries[0]` could not be found in the database.",
    }
    missing = {
        "status": 400,
        "code": "1310",
        "message": "Incomplete Request - missing identifier for `countries[1]`",
    }
    first_404 = await client.patch(
        url("countries"),
        headers={"X-Is-Transactional": "false"},
        json={"data": [{"id_country": 999, "name": "A"}, {"name": "B"}]},
    )
    assert first_404.status_code == 404
    assert first_404.json() == {"data": [], "errors": [not_found, missing]}
    first_400 = await client.patch(
        url("countries"),
        headers={"X-Is-Transactional": "0"},
        json={"data": [{"name": "B"}, {"id_country": 999, "name": "A"}]},
    )
    assert first_400.status_code == 400
    assert [e["code"] for e in first_400.json()["errors"]] == ["1310", "1303"]
    assert await table_rows(gateway, demo.country) == before


@pytest.mark.spryker(24)
async def test_s24_non_transactional_saves_each_item_whole_with_its_children_or_not_at_all(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    stock_before = len(await table_rows(gateway, demo.product_stock))
    response = await client.post(
        url("products"),
        headers={"X-Is-Transactional": "false"},
        json={
            "data": [
                {
                    "sku": "DUP-A",
                    "name": "Twice stocked",
                    "price": "1.00",
                    "stocks": [
                        {"warehouse": "Warehouse1", "quantity": 1},
                        {"warehouse": "Warehouse1", "quantity": 2},
                    ],
                },
                {
                    "sku": "OK-B",
                    "name": "Once stocked",
                    "price": "2.00",
                    "stocks": [{"warehouse": "Warehouse2", "quantity": 3}],
                },
            ]
        },
    )
    assert response.status_code == 201
    body = response.json()
    (saved,) = body["data"]
    assert saved["sku"] == "OK-B"
    assert [(s["product_id"], s["quantity"]) for s in saved["stocks"]] == [(saved["id_product"], 3)]
    assert body["errors"] == [
        dict(
            zip(
                ("status", "code", "message"),
                duplicated("products[0].product-stocks[1].product_id, warehouse"),
                strict=True,
            )
        )
    ]
    skus = [row[1] for row in await table_rows(gateway, demo.product)]
    assert "OK-B" in skus
    assert "DUP-A" not in skus
    assert len(await table_rows(gateway, demo.product_stock)) == stock_before + 1


# --- 25-26. nested writes --------------------------------------------------------------------


@pytest.mark.spryker(25)
async def test_s25_nested_post_sets_child_foreign_keys_from_the_parent(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await client.post(
        url("categories"),
        json={
            "data": [
                {
                    "name": "Drones",
                    "url": "/drones",
                    "products": [
                        {
                            "sku": "drn-1",
                            "name": "Drone",
                            "price": "99.90",
                            "stocks": [{"warehouse": "Warehouse1", "quantity": 5}],
                        },
                        {"sku": "drn-2", "name": "Drone Two", "price": "149.00"},
                    ],
                }
            ]
        },
    )
    assert response.status_code == 201
    (category,) = response.json()["data"]
    assert category["id_category"] == 13
    first, second = category["products"]
    assert (first["category_id"], second["category_id"]) == (13, 13)
    assert first["sku"] == "DRN-1"
    (stock,) = first["stocks"]
    assert stock["product_id"] == first["id_product"]
    assert "stocks" not in second
    stored = await client.get(url("categories", 13), params={"include": "products.stocks"})
    assert stored.json()["data"] == category


@pytest.mark.spryker(25)
async def test_s25_required_check_skips_the_foreign_key_of_child_rows(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.product)
    response = await client.post(
        url("products"),
        json={
            "data": [
                {
                    "sku": "KID-1",
                    "name": "Kid",
                    "price": "1.00",
                    "stocks": [{"warehouse": "Warehouse1"}],
                }
            ]
        },
    )
    # product_id (the relation's FK) is required but exempt; quantity is not.
    assert_errors(response, required("products[0].product-stocks[0]", "quantity"))
    assert await table_rows(gateway, demo.product) == before


@pytest.mark.spryker(25)
async def test_s25_nested_patch_and_put_update_or_insert_children(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    patched = await client.patch(
        url("categories", 1),
        json={"data": {"name": "Cams", "products": [{"id_product": 2, "name": "Renamed"}]}},
    )
    assert patched.status_code == 200
    data = patched.json()["data"]
    assert data["name"] == "Cams"
    assert [(p["id_product"], p["name"], p["category_id"]) for p in data["products"]] == [
        (2, "Renamed", 1)
    ]
    put = await client.put(
        url("products", 3),
        json={
            "data": {
                "sku": "CAM-00003",
                "name": "Three",
                "price": "3.00",
                "is_active": True,
                "stocks": [{"warehouse": "Warehouse9", "quantity": 9}],
            }
        },
    )
    assert put.status_code == 200
    (new_stock,) = put.json()["data"]["stocks"]
    assert new_stock["product_id"] == 3
    assert new_stock["warehouse"] == "Warehouse9"
    stocks = await client.get(url("products", 3), params={"include": "stocks"})
    assert len(stocks.json()["data"]["stocks"]) == 3


@pytest.mark.spryker(25)
async def test_s25_nested_patch_child_needs_the_identifier_of_a_row_of_that_parent(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.product)
    assert_errors(
        await client.patch(url("categories", 1), json={"data": {"products": [{"name": "X"}]}}),
        (400, "1310", "Incomplete Request - missing identifier for `categories[0].products[0]`"),
    )
    # product 18 exists, but belongs to category 2
    assert_errors(
        await client.patch(
            url("categories", 1), json={"data": {"products": [{"id_product": 18, "name": "X"}]}}
        ),
        (404, "1303", "The entity `categories[0].products[0]` could not be found in the database."),
    )
    assert await table_rows(gateway, demo.product) == before


@pytest.mark.spryker(26)
async def test_s26_write_through_a_non_editable_relation_is_rejected_with_1314(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before_countries = await table_rows(gateway, demo.country)
    before_stock = await table_rows(gateway, demo.product_stock)
    response = await client.post(
        url("countries"),
        json={"data": [{**SWEDEN, "stocks": [{"product_id": 1, "warehouse": "W", "quantity": 1}]}]},
    )
    assert_errors(
        response, (422, "1314", "The relationship `stocks` is not editable by configuration.")
    )
    assert await table_rows(gateway, demo.country) == before_countries
    assert await table_rows(gateway, demo.product_stock) == before_stock


@pytest.mark.spryker(26)
async def test_s26_write_with_an_unknown_relation_is_rejected_with_1313(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await table_rows(gateway, demo.category)
    response = await client.post(
        url("categories"),
        json={"data": [{"name": "Drones", "url": "/drones", "gadgets": [{"name": "x"}]}]},
    )
    assert_errors(
        response,
        (
            400,
            "1313",
            "Relation `gadgets` not found. Please check the requested relation name and try again.",
        ),
    )
    assert await table_rows(gateway, demo.category) == before


# --- 27. delete ------------------------------------------------------------------------------


@pytest.mark.spryker(27)
async def test_s27_delete_on_a_non_deletable_entity_is_rejected_with_1318(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    expected = (405, "1318", "Method not allowed for the entity `countries`.")
    assert_errors(await client.delete(url("countries", 10)), expected)
    assert_errors(
        await client.delete(url("countries"), params={"filter[countries.iso2_code]": "IT"}),
        expected,
    )
    assert len(await table_rows(gateway, demo.country)) == 10


@pytest.mark.spryker(27)
async def test_s27_delete_matching_nothing_is_not_found_with_1303(
    client: httpx.AsyncClient,
) -> None:
    expected = (404, "1303", "The entity `categories` could not be found in the database.")
    assert_errors(await client.delete(url("categories", 999)), expected)
    assert_errors(
        await client.delete(url("categories"), params={"filter[categories.name]": "Nothing"}),
        expected,
    )


@pytest.mark.spryker(27)
async def test_s27_successful_delete_answers_204_with_an_empty_body(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    created = await client.post(
        url("categories"),
        json={
            "data": [
                {"name": "A", "url": "/a"},
                {"name": "B", "url": "/b"},
                {"name": "C", "url": "/c"},
            ]
        },
    )
    assert ids(created.json()["data"], "id_category") == [13, 14, 15]
    by_id = await client.delete(url("categories", 13))
    assert by_id.status_code == 204
    assert by_id.content == b""
    by_filter = await client.delete(
        url("categories"), params={"filter[categories.url]": '{"in": ["/b", "/c"]}'}
    )
    assert by_filter.status_code == 204
    assert by_filter.content == b""
    assert [row[0] for row in await table_rows(gateway, demo.category)] == list(range(1, 13))
    assert (await client.get(url("categories", 13))).status_code == 404


@pytest.mark.spryker(27)
async def test_s27_row_blocked_by_children_is_reported_with_1317_while_others_are_deleted(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    created = await client.post(url("categories"), json={"data": [{"name": "E", "url": "/e"}]})
    assert created.json()["data"][0]["id_category"] == 13
    products_before = await table_rows(gateway, demo.product)
    response = await client.delete(
        url("categories"), params={"filter[categories.identifier]": '{"in": [1, 13]}'}
    )
    assert_errors(
        response,
        (
            400,
            "1317",
            "Failed to delete the data for `categories.id_category = 1`. The entity has a child "
            "entity and can not be deleted. Child entity: `products`.",
        ),
    )
    remaining = [row[0] for row in await table_rows(gateway, demo.category)]
    assert remaining == list(range(1, 13))
    assert await table_rows(gateway, demo.product) == products_before


# --- 30. live configuration changes ----------------------------------------------------------


@pytest.mark.spryker(30)
async def test_s30_deactivation_and_reactivation_apply_on_the_next_request(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    assert (await client.get(url("countries"))).status_code == 200

    def deactivate(entry: Entry) -> None:
        entry["isActive"] = False

    await apply(gateway, demo_entry("countries", deactivate))
    assert_errors(await client.get(url("countries")), NOT_FOUND)
    # Relations to the inactive entity are gone with it.
    assert_errors(
        await client.get(url("product-stocks"), params={"include": "country"}),
        (
            400,
            "1313",
            "Relation `country` not found. Please check the requested relation name and try again.",
        ),
    )
    await apply(gateway, demo_entry("countries"))
    assert (await client.get(url("countries", 1))).json()["data"]["iso2_code"] == "DE"


@pytest.mark.spryker(30)
async def test_s30_field_edits_apply_on_the_next_request(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    def edit(entry: Entry) -> None:
        field_of(entry, "name")["fieldVisibleName"] = "countryName"
        field_of(entry, "iso3_code")["validation"].update(minLength=1, maxLength=2)

    await apply(gateway, demo_entry("countries", edit))
    response = await client.get(url("countries", 1))
    assert response.json() == {
        "data": {"id_country": 1, "iso2_code": "DE", "iso3_code": "DEU", "countryName": "Germany"}
    }
    filtered = await client.get(url("countries"), params={"filter[c.countryName]": "Austria"})
    assert ids(filtered.json()["data"], "id_country") == [2]
    assert_errors(
        await client.get(url("countries"), params={"filter[c.name]": "Austria"}),
        (400, "1315", "Filter field `name` for table alias `countries` not found."),
    )
    assert_errors(
        await client.patch(url("countries", 1), json={"data": {"iso3_code": "DEU"}}),
        (
            400,
            "1306",
            "Invalid data value `countries[0]` for field: `iso3_code`. "
            "Field rules: min_length: 1, max_length: 2, is_required: 1",
        ),
    )


@pytest.mark.spryker(30)
async def test_s30_added_entity_is_served_on_the_next_request(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    assert_errors(await client.get(url("tags")), NOT_FOUND)
    await register_tags(gateway)
    created = await client.post(url("tags"), json={"data": [{"id_tag": 1, "label": "new"}]})
    assert created.status_code == 201
    assert (await client.get(url("tags"))).json() == {"data": [{"id_tag": 1, "label": "new"}]}


@pytest.mark.spryker(30)
async def test_s30_change_saved_by_another_registry_is_seen_on_the_next_request(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await client.get(url("countries"))).status_code == 200
    engine = create_engine(settings)
    try:
        other = CatalogRegistry(engine, denied_tables=settings.denied_tables)

        def deactivate(entry: Entry) -> None:
            entry["isActive"] = False

        await other.apply(parse_entries([demo_entry("countries", deactivate)]))
        assert_errors(await client.get(url("countries")), NOT_FOUND)

        def rename(entry: Entry) -> None:
            field_of(entry, "name")["fieldVisibleName"] = "label"

        await other.apply(parse_entries([demo_entry("countries", rename)]))
    finally:
        await engine.dispose()
    response = await client.get(url("countries", 2))
    assert response.status_code == 200
    assert response.json()["data"] == {
        "id_country": 2,
        "iso2_code": "AT",
        "iso3_code": "AUT",
        "label": "Austria",
    }
