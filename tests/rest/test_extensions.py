"""dexgate's extensions to the Spryker REST API (DESIGN.md section 4): filter operators, sort,
total count, default order, guarded DELETE, transformation rules, pattern and enum validation,
partial-success writes, nested writes and deep includes."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from app.gateway import Gateway
from schema_builder.definition import parse_entries
from tests.snapshots import snapshot

PRODUCTS_IN_DEMO = len(demo.CATEGORIES) * demo.PRODUCTS_PER_CATEGORY
product = demo.product
stock = demo.product_stock


async def ids_where(
    engine: AsyncEngine, table: sa.Table, *where: sa.ColumnElement[bool]
) -> list[int]:
    """The primary keys of the rows matching ``where``, ascending: the expected answer."""
    key = next(iter(table.primary_key.columns))
    async with engine.connect() as connection:
        return [
            int(k) for k in await connection.scalars(sa.select(key).where(*where).order_by(key))
        ]


async def fetch_rows(
    client: httpx.AsyncClient, alias: str, params: dict[str, str]
) -> list[dict[str, Any]]:
    response = await client.get(f"/dynamic-entity/{alias}", params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def ops(**operators: Any) -> str:
    return json.dumps(operators)


# --- filter operators --------------------------------------------------------------------------

FILTER_CASES: list[tuple[str, str, sa.ColumnElement[bool]]] = [
    ("filter[products.price]", ops(gt="100"), product.c.price > 100),
    ("filter[products.price]", ops(gte="100.50"), product.c.price >= Decimal("100.50")),
    ("filter[products.price]", ops(lt=50), product.c.price < 50),
    ("filter[products.price]", ops(lte="50.5"), product.c.price <= Decimal("50.5")),
    ("filter[products.category_id]", ops(ne=3), product.c.category_id != 3),
    ("filter[products.name]", ops(like="Pro %"), product.c.name.like("Pro %")),
    ("filter[products.name]", ops(like="%Laptop 1_0"), product.c.name.like("%Laptop 1_0")),
    (
        "filter[products.sku]",
        ops(gte="LAP", lt="MON"),
        sa.and_(product.c.sku >= "LAP", product.c.sku < "MON"),
    ),
    (
        "filter[products.id_product]",
        ops(**{"in": [5, 3, 1, 999]}),
        product.c.id_product.in_([1, 3, 5]),
    ),
    ("filter[products.id_product]", '{"IN": ["7", 8]}', product.c.id_product.in_([7, 8])),
    ("filter[products.identifier]", ops(lte=4), product.c.id_product <= 4),
    ("filter[products.is_active]", ops(ne=True), product.c.is_active.is_(False)),
    (
        "filter[products.category_id]",
        '{"gte": 2, "lte": 4, "ne": 3}',
        product.c.category_id.in_([2, 4]),
    ),
]


@pytest.mark.parametrize(("key", "value", "expected"), FILTER_CASES)
async def test_filter_operator_selects_the_matching_rows(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    key: str,
    value: str,
    expected: sa.ColumnElement[bool],
) -> None:
    rows = await fetch_rows(client, "products", {key: value})
    wanted = await ids_where(engine, product, expected)
    assert wanted, "the case must select something"
    assert len(wanted) < PRODUCTS_IN_DEMO, "the case must leave something out"
    assert [row["id_product"] for row in rows] == wanted


async def test_several_operators_on_one_field_are_anded(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    rows = await fetch_rows(
        client, "products", {"filter[products.price]": '{"gte": "100", "lt": "200"}'}
    )
    prices = [Decimal(row["price"]) for row in rows]
    assert prices
    assert all(Decimal(100) <= p < Decimal(200) for p in prices)
    assert [row["id_product"] for row in rows] == await ids_where(
        engine, product, product.c.price >= 100, product.c.price < 200
    )


async def test_filters_on_different_fields_are_anded(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    rows = await fetch_rows(
        client,
        "products",
        {
            "filter[products.category_id]": '{"in": [1, 2]}',
            "filter[products.price]": '{"gt": "1000"}',
            "filter[products.is_active]": "true",
        },
    )
    assert [row["id_product"] for row in rows] == await ids_where(
        engine,
        product,
        product.c.category_id.in_([1, 2]),
        product.c.price > 1000,
        product.c.is_active.is_(True),
    )
    assert all(row["category_id"] in (1, 2) and row["is_active"] for row in rows)


async def test_decimal_filter_compares_exactly_even_beyond_the_column_precision(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # price is numeric(12, 2); a bound with more digits must neither round nor overflow.
    rows = await fetch_rows(client, "products", {"filter[products.price]": ops(lt="99999999999")})
    assert len(rows) == PRODUCTS_IN_DEMO
    rows = await fetch_rows(
        client, "products", {"filter[products.price]": ops(gt="-99999999999.999")}
    )
    assert len(rows) == PRODUCTS_IN_DEMO
    [first] = await fetch_rows(client, "products", {"filter[products.identifier]": "1"})
    exact = first["price"]
    assert [
        r["id_product"]
        for r in await fetch_rows(client, "products", {"filter[products.price]": exact})
    ] == await ids_where(engine, product, product.c.price == Decimal(exact))
    assert await fetch_rows(client, "products", {"filter[products.price]": exact + "4"}) == []
    assert (
        await fetch_rows(
            client,
            "products",
            {"filter[products.price]": json.dumps({"in": [exact + "1", "99999999999"]})},
        )
        == []
    )


async def test_like_is_case_sensitive_on_every_back_end(client: httpx.AsyncClient) -> None:
    assert await fetch_rows(client, "products", {"filter[products.name]": ops(like="Pro %")})
    assert await fetch_rows(client, "products", {"filter[products.name]": ops(like="pro %")}) == []


async def test_is_null_matches_missing_values_and_its_negation_the_rest(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/dynamic-entity/products",
        json={
            "data": [
                {"sku": "NODESC-1", "name": "No description", "price": "1.00"},
                {"sku": "NODESC-2", "name": "No description", "price": "2.00"},
            ]
        },
    )
    assert response.status_code == 201
    new_ids = [row["id_product"] for row in response.json()["data"]]
    nulls = await fetch_rows(client, "products", {"filter[products.description]": ops(isNull=True)})
    assert [row["id_product"] for row in nulls] == new_ids
    assert all(row["description"] is None for row in nulls)
    others = await fetch_rows(
        client, "products", {"filter[products.description]": ops(isNull=False)}
    )
    assert len(others) == PRODUCTS_IN_DEMO
    assert all(row["description"] is not None for row in others)
    no_category = await fetch_rows(
        client, "products", {"filter[products.category_id]": '{"ISNULL": true}'}
    )
    assert [row["id_product"] for row in no_category] == new_ids


async def test_plain_filter_value_that_looks_like_json_is_compared_as_text(
    client: httpx.AsyncClient,
) -> None:
    # Only an object whose keys are all operators is an operator filter.
    response = await client.post(
        "/dynamic-entity/products",
        json={"data": [{"sku": "JSON-1", "name": '{"name": "x"}', "price": "1.00"}]},
    )
    assert response.status_code == 201
    rows = await fetch_rows(client, "products", {"filter[products.name]": '{"name": "x"}'})
    assert [row["sku"] for row in rows] == ["JSON-1"]


async def test_operator_filter_applies_to_collection_delete(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    doomed = await ids_where(engine, stock, stock.c.quantity < 5)
    assert doomed
    response = await client.delete(
        "/dynamic-entity/product-stocks", params={"filter[product-stocks.quantity]": ops(lt=5)}
    )
    assert response.status_code == 204
    assert await ids_where(engine, stock, stock.c.quantity < 5) == []
    assert await ids_where(engine, stock, stock.c.id_product_stock.in_(doomed)) == []
    assert len(await ids_where(engine, stock)) == len(demo.demo_rows()["product_stock"]) - len(
        doomed
    )


# --- sort, default order, total count --------------------------------------------------------


async def test_sort_by_several_keys_with_descending_marker(client: httpx.AsyncClient) -> None:
    rows = await fetch_rows(client, "products", {"sort": "category_id,-price"})
    assert len(rows) == PRODUCTS_IN_DEMO
    keys = [(row["category_id"], -Decimal(row["price"]), row["id_product"]) for row in rows]
    assert keys == sorted(keys)
    # Not the default order: the sort really happened.
    assert [row["id_product"] for row in rows] != sorted(row["id_product"] for row in rows)


async def test_sort_descending_with_a_page_returns_the_top_rows(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    rows = await fetch_rows(
        client, "products", {"sort": "-price", "page[offset]": "0", "page[limit]": "5"}
    )
    async with engine.connect() as connection:
        top = list(
            await connection.scalars(
                sa.select(product.c.id_product)
                .order_by(product.c.price.desc(), product.c.id_product)
                .limit(5)
            )
        )
    assert [row["id_product"] for row in rows] == top
    prices = [Decimal(row["price"]) for row in rows]
    assert prices == sorted(prices, reverse=True)


async def test_sort_on_a_string_field_and_on_identifier(client: httpx.AsyncClient) -> None:
    rows = await fetch_rows(client, "countries", {"sort": "-name"})
    names = [row["name"] for row in rows]
    assert names == sorted(names, reverse=True)
    rows = await fetch_rows(client, "countries", {"sort": "-identifier"})
    assert [row["id_country"] for row in rows] == list(range(len(demo.COUNTRIES), 0, -1))


async def test_rows_come_in_identifier_order_by_default(client: httpx.AsyncClient) -> None:
    # Updating rows moves them in PostgreSQL's heap; the default order must not care.
    for product_id in (1, 2, 50):
        response = await client.patch(
            f"/dynamic-entity/products/{product_id}", json={"data": {"name": "Moved"}}
        )
        assert response.status_code == 200
    rows = await fetch_rows(client, "products", {"include": "stocks"})
    assert [row["id_product"] for row in rows] == list(range(1, PRODUCTS_IN_DEMO + 1))
    for row in rows:
        stock_ids = [s["id_product_stock"] for s in row["stocks"]]
        assert stock_ids == sorted(stock_ids)
    page = await fetch_rows(client, "products", {"page[offset]": "0", "page[limit]": "3"})
    assert [row["id_product"] for row in page] == [1, 2, 3]


async def test_count_true_gives_total_in_meta_and_header_and_honours_filters(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    params = {
        "count": "true",
        "filter[products.category_id]": "2",
        "filter[products.price]": '{"gt": "50"}',
        "page[offset]": "0",
        "page[limit]": "5",
    }
    expected = await ids_where(engine, product, product.c.category_id == 2, product.c.price > 50)
    assert len(expected) > 5
    response = await client.get("/dynamic-entity/products", params=params)
    assert response.status_code == 200
    body = response.json()
    assert [row["id_product"] for row in body["data"]] == expected[:5]
    assert body["meta"] == {"totalCount": len(expected)}
    assert response.headers["X-Total-Count"] == str(len(expected))


async def test_count_of_no_matches_is_zero(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/dynamic-entity/countries", params={"count": "1", "filter[countries.name]": "Atlantis"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": [], "meta": {"totalCount": 0}}
    assert response.headers["X-Total-Count"] == "0"


@pytest.mark.parametrize("params", [{}, {"count": "false"}, {"count": "0"}])
async def test_without_count_the_body_is_spryker_shaped(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/dynamic-entity/countries", params=params)
    assert response.status_code == 200
    assert list(response.json()) == ["data"]
    assert "X-Total-Count" not in response.headers


# --- DELETE guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params", [{}, {"page[offset]": "0", "page[limit]": "10"}, {"include": "stocks"}]
)
async def test_filterless_collection_delete_is_refused_with_dx104_and_deletes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, params: dict[str, str]
) -> None:
    before = await snapshot(engine)
    response = await client.delete("/dynamic-entity/product-stocks", params=params)
    assert response.status_code == 400
    assert response.json() == [
        {
            "status": 400,
            "code": "DX104",
            "message": "Deleting every `product-stocks` at once is refused. Add a filter[...] "
            "parameter or delete by identifier.",
        }
    ]
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "match_all",
    [
        {"filter[product-stocks.warehouse]": '{"like":"%"}'},
        {"filter[product-stocks.warehouse]": '{"like":"%%%"}'},
        {
            "filter[product-stocks.warehouse]": '{"like":"%"}',
            "page[limit]": "10",
        },
    ],
)
async def test_a_delete_filter_that_matches_every_row_counts_as_none(
    client: httpx.AsyncClient, engine: AsyncEngine, match_all: dict[str, str]
) -> None:
    before = await snapshot(engine)
    response = await client.delete("/dynamic-entity/product-stocks", params=match_all)
    assert response.status_code == 400
    assert response.json()[0]["code"] == "DX104"
    assert await snapshot(engine) == before


async def test_a_like_pattern_that_selects_rows_still_deletes(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/dynamic-entity/categories", json={"data": [{"name": "Gone", "url": "/gone-x"}]}
    )
    assert created.status_code == 201
    response = await client.delete(
        "/dynamic-entity/categories", params={"filter[categories.url]": '{"like":"/gone-%"}'}
    )
    assert response.status_code == 204, response.text


async def test_an_empty_like_pattern_is_a_filter_not_a_match_of_every_row(
    client: httpx.AsyncClient,
) -> None:
    # `like ""` matches only the empty string: not refused as no filter, and here nothing.
    response = await client.delete(
        "/dynamic-entity/categories", params={"filter[categories.url]": '{"like":""}'}
    )
    assert response.status_code == 404, response.text
    assert response.json()[0]["code"] == "1303"


async def test_graphql_delete_with_a_match_all_filter_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    for filter_ in ('{ warehouse: { like: "%" } }', "{}"):
        response = await client.post(
            "/graphql",
            json={
                "query": f"mutation {{ deleteProductStocks(filter: {filter_}) {{ deletedCount }} }}"
            },
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "DX104", response.text
    assert await snapshot(engine) == before


@pytest.mark.parametrize("path", ["/dynamic-entity/warehouses", "/dynamic-entity/warehouses/1"])
async def test_delete_on_unknown_alias_is_404_007(client: httpx.AsyncClient, path: str) -> None:
    response = await client.delete(path)
    assert response.status_code == 404
    assert response.json() == [{"status": 404, "code": "007", "message": "Not found"}]


# --- transformation rules ----------------------------------------------------------------------


async def test_create_applies_trim_case_and_default_before_validation(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # "/Drones/Fast" breaks the url constraint until lowercased; the padded SKU is 64
    # characters once trimmed.
    sku = "ab-" + "x" * 61
    response = await client.post(
        "/dynamic-entity/categories",
        json={
            "data": [
                {
                    "name": "Drones",
                    "url": "  /Drones/Fast  ",
                    "products": [{"sku": f"  {sku}  ", "name": "  Drone  ", "price": "9.99"}],
                },
                {"name": "Hidden", "url": "/hidden", "is_active": False},
            ]
        },
    )
    assert response.status_code == 201, response.text
    drones, hidden = response.json()["data"]
    assert drones["url"] == "/drones/fast"
    assert drones["is_active"] is True
    assert hidden["is_active"] is False
    created = drones["products"][0]
    assert created["sku"] == sku.upper()
    assert created["name"] == "Drone"
    assert created["is_active"] is True
    assert created["description"] is None
    async with engine.connect() as connection:
        stored = (
            await connection.execute(
                sa.select(product.c.sku, product.c.name, product.c.is_active).where(
                    product.c.id_product == created["id_product"]
                )
            )
        ).one()
    assert tuple(stored) == (sku.upper(), "Drone", True)


async def test_default_fills_absent_boolean_on_child_rows(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/dynamic-entity/product-stocks",
        json={"data": [{"product_id": 1, "warehouse": "Warehouse9", "quantity": 3}]},
    )
    assert response.status_code == 201
    assert response.json()["data"][0]["is_never_out_of_stock"] is False


async def test_update_transforms_values_but_does_not_apply_defaults(
    client: httpx.AsyncClient,
) -> None:
    inactive = 11  # every eleventh demo product is inactive
    before = await client.get(f"/dynamic-entity/products/{inactive}")
    assert before.json()["data"]["is_active"] is False
    response = await client.patch(
        f"/dynamic-entity/products/{inactive}", json={"data": {"sku": "  new-sku  "}}
    )
    assert response.status_code == 200
    row = response.json()["data"]
    assert row["sku"] == "NEW-SKU"
    assert row["is_active"] is False
    response = await client.patch(
        "/dynamic-entity/categories/1", json={"data": {"url": " /Cameras/All "}}
    )
    assert response.status_code == 200
    assert response.json()["data"]["url"] == "/cameras/all"


async def test_whitespace_only_required_value_is_trimmed_to_empty_and_rejected(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.post(
        "/dynamic-entity/categories", json={"data": [{"name": "Empty url", "url": "   "}]}
    )
    assert response.status_code == 400
    assert response.json()[0]["code"] == "1316"
    assert await snapshot(engine) == before


# --- pattern and enum validation ---------------------------------------------------------------


@pytest.mark.parametrize("iso2", ["de", "D1", "D", "DEU"])
async def test_value_breaking_the_pattern_is_rejected_with_1306(
    client: httpx.AsyncClient, engine: AsyncEngine, iso2: str
) -> None:
    before = await snapshot(engine)
    response = await client.patch("/dynamic-entity/countries/1", json={"data": {"iso2_code": iso2}})
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == "1306"
    assert error["message"].startswith(
        "Invalid data value `countries[0]` for field: `iso2_code`. Field rules: "
    )
    assert "pattern: ^[A-Z]{2}$" in error["message"]
    assert await snapshot(engine) == before


async def test_value_matching_the_pattern_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.patch("/dynamic-entity/countries/1", json={"data": {"iso2_code": "DX"}})
    assert response.status_code == 200
    assert response.json()["data"]["iso2_code"] == "DX"


async def register_stock_enums(gateway: Gateway) -> None:
    """Re-register product-stocks with an enum on ``warehouse`` and on ``quantity``."""
    [entry] = [e for e in demo.demo_entries() if e["tableAlias"] == "product-stocks"]
    entry = copy.deepcopy(entry)
    for field in entry["definition"]["fields"]:
        if field["fieldName"] == "warehouse":
            field["validation"]["enum"] = ["Warehouse1", "Warehouse2", "Warehouse3"]
        if field["fieldName"] == "quantity":
            field["validation"]["enum"] = [0, 10, 100]
    await gateway.registry.apply(parse_entries([entry]))


@pytest.mark.parametrize(
    ("field", "value"), [("warehouse", "Warehouse9"), ("warehouse", "warehouse1"), ("quantity", 5)]
)
async def test_value_outside_the_enum_is_rejected_with_1306(
    client: httpx.AsyncClient, gateway: Gateway, engine: AsyncEngine, field: str, value: Any
) -> None:
    await register_stock_enums(gateway)
    before = await snapshot(engine)
    body = {"product_id": 1, "warehouse": "Warehouse1", "quantity": 10, field: value}
    response = await client.put("/dynamic-entity/product-stocks", json={"data": [body]})
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == "1306"
    assert f"for field: `{field}`" in error["message"]
    assert "enum: " in error["message"]
    assert await snapshot(engine) == before


async def test_value_inside_the_enum_is_accepted(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await register_stock_enums(gateway)
    created = await client.post(
        "/dynamic-entity/products",
        json={
            "data": [
                {
                    "sku": "ENUM-1",
                    "name": "Enum",
                    "price": "1.00",
                    "stocks": [{"warehouse": "Warehouse2", "quantity": 100}],
                }
            ]
        },
    )
    assert created.status_code == 201, created.text
    [row] = created.json()["data"][0]["stocks"]
    assert (row["warehouse"], row["quantity"]) == ("Warehouse2", 100)


# --- partial success (X-Is-Transactional: false) -----------------------------------------------

PARTIAL = {"X-Is-Transactional": "false"}


@pytest.mark.parametrize("flag", ["false", "0", "FALSE"])
async def test_partial_mode_saves_the_good_items_and_reports_the_bad(
    client: httpx.AsyncClient, engine: AsyncEngine, flag: str
) -> None:
    response = await client.post(
        "/dynamic-entity/countries",
        headers={"X-Is-Transactional": flag},
        json={
            "data": [
                {"iso2_code": "XA", "iso3_code": "XAA", "name": "Alpha"},
                {"iso2_code": "XB", "iso3_code": "XBB"},
                {"iso2_code": "XC", "iso3_code": "XCC", "name": "Gamma"},
                {"iso2_code": "DE", "iso3_code": "XDE", "name": "Duplicate"},
            ]
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert list(body) == ["data", "errors"]
    assert [row["name"] for row in body["data"]] == ["Alpha", "Gamma"]
    assert body["errors"] == [
        {
            "status": 400,
            "code": "1307",
            "message": "The required field must not be empty. Field: `countries[1].name`",
        },
        {
            "status": 400,
            "code": "1309",
            "message": "Failed to persist the data for `countries[3].iso2_code`. Please verify "
            "the provided data and try again. Entry is duplicated.",
        },
    ]
    async with engine.connect() as connection:
        codes = set(await connection.scalars(sa.select(demo.country.c.iso2_code)))
    assert {"XA", "XC"} <= codes
    assert "XB" not in codes
    assert len(codes) == len(demo.COUNTRIES) + 2


async def test_partial_mode_with_no_errors_reports_an_empty_error_list(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(
        "/dynamic-entity/products",
        headers=PARTIAL,
        json={"data": [{"id_product": 1, "name": "One"}, {"id_product": 2, "name": "Two"}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] == []
    assert [row["name"] for row in body["data"]] == ["One", "Two"]


async def test_partial_patch_with_some_saved_is_200(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        "/dynamic-entity/products",
        headers=PARTIAL,
        json={"data": [{"id_product": 99999, "name": "Ghost"}, {"id_product": 2, "name": "Two"}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert [row["id_product"] for row in body["data"]] == [2]
    assert [e["code"] for e in body["errors"]] == ["1303"]


@pytest.mark.parametrize(
    ("items", "status", "codes"),
    [
        ([{"id_product": 99999, "name": "Ghost"}, {"name": "No id"}], 404, ["1303", "1310"]),
        ([{"name": "No id"}, {"id_product": 99999, "name": "Ghost"}], 400, ["1310", "1303"]),
    ],
)
async def test_partial_mode_with_everything_failed_takes_the_first_errors_status(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    items: list[dict[str, Any]],
    status: int,
    codes: list[str],
) -> None:
    before = await snapshot(engine)
    response = await client.patch("/dynamic-entity/products", headers=PARTIAL, json={"data": items})
    assert response.status_code == status
    body = response.json()
    assert body["data"] == []
    assert [e["code"] for e in body["errors"]] == codes
    assert await snapshot(engine) == before


async def test_partial_mode_failure_with_422_first_is_422(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.post(
        "/dynamic-entity/countries",
        headers=PARTIAL,
        json={
            "data": [
                {
                    "iso2_code": "XA",
                    "iso3_code": "XAA",
                    "name": "Alpha",
                    "stocks": [{"warehouse": "W", "quantity": 1, "product_id": 1}],
                },
                {"iso2_code": 12, "iso3_code": "XBB", "name": "Beta"},
            ]
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["data"] == []
    assert [e["code"] for e in body["errors"]] == ["1314", "1305"]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("flag", [None, "true", "1", "no"])
async def test_transactional_mode_is_the_default_and_fails_as_a_whole(
    client: httpx.AsyncClient, engine: AsyncEngine, flag: str | None
) -> None:
    before = await snapshot(engine)
    headers = {} if flag is None else {"X-Is-Transactional": flag}
    response = await client.post(
        "/dynamic-entity/countries",
        headers=headers,
        json={
            "data": [
                {"iso2_code": "XA", "iso3_code": "XAA", "name": "Alpha"},
                {"iso2_code": "XB", "iso3_code": "XBB"},
            ]
        },
    )
    assert response.status_code == 400
    assert [e["code"] for e in response.json()] == ["1307"]
    assert await snapshot(engine) == before


# --- nested writes -----------------------------------------------------------------------------


async def test_post_category_with_products_with_stocks_fills_child_keys(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await client.post(
        "/dynamic-entity/categories",
        json={
            "data": [
                {
                    "name": "Drones",
                    "url": "/drones",
                    "products": [
                        {
                            "sku": "DRN-1",
                            "name": "Drone One",
                            "price": "99.90",
                            "stocks": [
                                {"warehouse": "Warehouse1", "quantity": 5, "country_id": 1},
                                {"warehouse": "Warehouse2", "quantity": 0},
                            ],
                        },
                        {"sku": "DRN-2", "name": "Drone Two", "price": "199.90"},
                    ],
                },
                {
                    "name": "Robots",
                    "url": "/robots",
                    "products": [
                        {
                            "sku": "RBT-1",
                            "name": "Robot",
                            "price": "10.00",
                            "stocks": [{"warehouse": "Warehouse3", "quantity": 7}],
                        }
                    ],
                },
            ]
        },
    )
    assert response.status_code == 201, response.text
    drones, robots = response.json()["data"]
    assert drones["id_category"] != robots["id_category"]
    assert [p["sku"] for p in drones["products"]] == ["DRN-1", "DRN-2"]
    assert all(p["category_id"] == drones["id_category"] for p in drones["products"])
    assert robots["products"][0]["category_id"] == robots["id_category"]
    drone_one = drones["products"][0]
    assert [s["product_id"] for s in drone_one["stocks"]] == [drone_one["id_product"]] * 2
    assert [s["warehouse"] for s in drone_one["stocks"]] == ["Warehouse1", "Warehouse2"]
    assert "stocks" not in drones["products"][1]
    robot = robots["products"][0]
    assert robot["stocks"][0]["product_id"] == robot["id_product"]

    async with engine.connect() as connection:
        stored = (
            await connection.execute(
                sa.select(product.c.sku, product.c.category_id, stock.c.warehouse)
                .join(stock, stock.c.product_id == product.c.id_product)
                .where(product.c.sku.in_(["DRN-1", "DRN-2", "RBT-1"]))
                .order_by(stock.c.id_product_stock)
            )
        ).all()
    assert [tuple(r) for r in stored] == [
        ("DRN-1", drones["id_category"], "Warehouse1"),
        ("DRN-1", drones["id_category"], "Warehouse2"),
        ("RBT-1", robots["id_category"], "Warehouse3"),
    ]

    read = await client.get(
        f"/dynamic-entity/categories/{drones['id_category']}", params={"include": "products.stocks"}
    )
    assert read.status_code == 200
    assert read.json()["data"] == drones


async def test_patch_updates_nested_children_by_identifier(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    current = await client.get("/dynamic-entity/products/1", params={"include": "stocks"})
    first_stock = current.json()["data"]["stocks"][0]["id_product_stock"]
    response = await client.patch(
        "/dynamic-entity/categories/1",
        json={
            "data": {
                "name": "Cams",
                "products": [
                    {
                        "id_product": 1,
                        "price": "1.11",
                        "stocks": [{"id_product_stock": first_stock, "quantity": 42}],
                    },
                    {"identifier": 2, "name": "Renamed"},
                ],
            }
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()["data"]
    assert body["name"] == "Cams"
    assert [p["id_product"] for p in body["products"]] == [1, 2]
    assert body["products"][0]["price"] == "1.11"
    assert body["products"][0]["stocks"][0]["quantity"] == 42
    assert body["products"][1]["name"] == "Renamed"
    async with engine.connect() as connection:
        price = await connection.scalar(sa.select(product.c.price).where(product.c.id_product == 1))
        name = await connection.scalar(sa.select(product.c.name).where(product.c.id_product == 2))
        quantity = await connection.scalar(
            sa.select(stock.c.quantity).where(stock.c.id_product_stock == first_stock)
        )
        category = await connection.scalar(
            sa.select(demo.category.c.name).where(demo.category.c.id_category == 1)
        )
    assert (price, name, quantity, category) == (Decimal("1.11"), "Renamed", 42, "Cams")


async def test_patch_of_a_child_that_belongs_to_another_parent_is_1303(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    other = await ids_where(engine, product, product.c.category_id == 2)
    before = await snapshot(engine)
    response = await client.patch(
        "/dynamic-entity/categories/1",
        json={"data": {"name": "Cams", "products": [{"id_product": other[0], "price": "0.01"}]}},
    )
    assert response.status_code == 404
    assert response.json() == [
        {
            "status": 404,
            "code": "1303",
            "message": "The entity `categories[0].products[0]` could not be found in the database.",
        }
    ]
    assert await snapshot(engine) == before


async def test_patch_of_a_child_without_identifier_is_1310(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.patch(
        "/dynamic-entity/categories/1",
        json={"data": {"products": [{"price": "0.01"}]}},
    )
    assert response.status_code == 400
    assert response.json() == [
        {
            "status": 400,
            "code": "1310",
            "message": "Incomplete Request - missing identifier for `categories[0].products[0]`",
        }
    ]
    assert await snapshot(engine) == before


async def test_write_through_a_relation_that_is_not_editable_is_1314(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.patch(
        "/dynamic-entity/countries/1",
        json={"data": {"stocks": [{"id_product_stock": 1, "quantity": 1}]}},
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()] == ["1314"]
    assert await snapshot(engine) == before


# --- includes ----------------------------------------------------------------------------------


async def test_include_chain_of_depth_three_nests_every_level(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    rows = await fetch_rows(client, "categories", {"include": "products.stocks.country"})
    assert len(rows) == len(demo.CATEGORIES)
    async with engine.connect() as connection:
        expected = (
            await connection.execute(
                sa.select(
                    product.c.category_id,
                    product.c.id_product,
                    stock.c.id_product_stock,
                    demo.country.c.iso2_code,
                )
                .join(stock, stock.c.product_id == product.c.id_product)
                .join(demo.country, demo.country.c.id_country == stock.c.country_id)
                .order_by(product.c.category_id, product.c.id_product, stock.c.id_product_stock)
            )
        ).all()
    seen = [
        (category["id_category"], p["id_product"], s["id_product_stock"], s["country"]["iso2_code"])
        for category in rows
        for p in category["products"]
        for s in p["stocks"]
    ]
    assert seen == [tuple(r) for r in expected]
    for category in rows:
        for p in category["products"]:
            assert p["category_id"] == category["id_category"]
            for s in p["stocks"]:
                assert s["product_id"] == p["id_product"]
                assert s["country"]["id_country"] == s["country_id"]
                assert isinstance(s["country"], dict)


async def test_include_chain_up_and_down_belongs_to_relations(client: httpx.AsyncClient) -> None:
    rows = await fetch_rows(
        client,
        "product-stocks",
        {
            "include": "product.category.products",
            "filter[product-stocks.identifier]": '{"in": [1, 2, 3]}',
        },
    )
    assert [row["id_product_stock"] for row in rows] == [1, 2, 3]
    for row in rows:
        parent = row["product"]
        assert parent["id_product"] == row["product_id"]
        category = parent["category"]
        assert category["id_category"] == parent["category_id"]
        siblings = [p["id_product"] for p in category["products"]]
        assert parent["id_product"] in siblings
        assert len(siblings) == demo.PRODUCTS_PER_CATEGORY
