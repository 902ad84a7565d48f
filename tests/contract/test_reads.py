"""Reading over both transports: rows, filters, sort, pagination and nested includes.

Expected rows are read straight from the database, so every scenario checks what the API
answers against what is stored.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app import demo
from app.gateway import Gateway
from tests.contract.api import Api, Row

PRODUCTS_IN_DEMO = len(demo.CATEGORIES) * demo.PRODUCTS_PER_CATEGORY


async def column(gateway: Gateway, statement: sa.Select[Any]) -> list[Any]:
    async with gateway.engine.connect() as connection:
        return list((await connection.scalars(statement)).all())


async def execute(gateway: Gateway, statement: sa.Executable) -> None:
    async with gateway.engine.begin() as connection:
        await connection.execute(statement)


def product_ids(*where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    p = demo.product.c
    return sa.select(p.id_product).where(*where).order_by(p.id_product)


def ids(rows: list[Row], key: str = "id_product") -> list[int]:
    return [row[key] for row in rows]


# --- rows --------------------------------------------------------------------------------------


async def test_list_returns_every_configured_field_of_every_row(api: Api, gateway: Gateway) -> None:
    outcome = await api.list("countries")
    assert outcome.ok, outcome.errors
    expected = [
        {"id_country": i, "iso2_code": iso2, "iso3_code": iso3, "name": name}
        for i, (iso2, iso3, name) in enumerate(demo.COUNTRIES, start=1)
    ]
    assert outcome.rows == expected


async def test_get_by_id_returns_the_same_row_as_the_list(api: Api) -> None:
    got = await api.get("products", 5)
    listed = await api.list("products", filter={"id_product": {"eq": 5}})
    assert got.row() == listed.row()
    assert got.row()["sku"] == "CAM-00005"
    assert isinstance(got.row()["price"], str), "decimals are strings on both transports"
    assert got.row()["is_active"] is True


# --- filters -----------------------------------------------------------------------------------


async def test_equality_filter_on_a_string_field(api: Api) -> None:
    outcome = await api.list("products", filter={"sku": {"eq": "LAP-00018"}})
    assert ids(outcome.rows) == [18]


async def test_in_filter_matches_any_listed_value(api: Api) -> None:
    outcome = await api.list("products", filter={"id_product": {"in": [3, 1, 2, 99999]}})
    assert ids(outcome.rows) == [1, 2, 3]


async def test_gt_filter_on_a_decimal_compares_numerically(api: Api, gateway: Gateway) -> None:
    expected = await column(gateway, product_ids(demo.product.c.price > 2000))
    assert 0 < len(expected) < PRODUCTS_IN_DEMO
    outcome = await api.list("products", filter={"price": {"gt": "2000"}})
    assert ids(outcome.rows) == expected


async def test_two_operators_on_one_field_bound_a_range(api: Api, gateway: Gateway) -> None:
    s = demo.product_stock.c
    expected = await column(
        gateway,
        sa.select(s.id_product_stock)
        .where(s.quantity >= 100, s.quantity < 200)
        .order_by(s.id_product_stock),
    )
    assert expected
    outcome = await api.list("product-stocks", filter={"quantity": {"gte": 100, "lt": 200}})
    assert ids(outcome.rows, "id_product_stock") == expected


async def test_like_filter_matches_a_pattern(api: Api) -> None:
    outcome = await api.list("products", filter={"sku": {"like": "LAP%"}})
    per_category = demo.PRODUCTS_PER_CATEGORY
    assert ids(outcome.rows) == list(range(per_category + 1, 2 * per_category + 1))


async def test_is_null_filter_matches_nulls_and_non_nulls(api: Api, gateway: Gateway) -> None:
    p = demo.product.c
    await execute(
        gateway, sa.update(demo.product).where(p.id_product.in_([7, 9])).values(description=None)
    )
    nulls = await api.list("products", filter={"description": {"isNull": True}})
    assert ids(nulls.rows) == [7, 9]
    assert all(row["description"] is None for row in nulls.rows)
    others = await api.list("products", filter={"description": {"isNull": False}})
    assert ids(others.rows) == [i for i in range(1, PRODUCTS_IN_DEMO + 1) if i not in (7, 9)]


async def test_filters_on_several_fields_are_anded(api: Api) -> None:
    outcome = await api.list(
        "products", filter={"category_id": {"eq": 1}, "is_active": {"eq": False}}
    )
    assert ids(outcome.rows) == [11]


async def test_filter_on_an_unknown_identifier_matches_nothing(api: Api) -> None:
    outcome = await api.list("products", filter={"id_product": {"eq": 99999}})
    assert outcome.ok
    assert outcome.rows == []


# --- sort and pagination -----------------------------------------------------------------------


async def test_sort_descending_orders_rows_then_breaks_ties_by_identifier(
    api: Api, gateway: Gateway
) -> None:
    p = demo.product.c
    expected = await column(gateway, sa.select(p.id_product).order_by(p.price.desc(), p.id_product))
    outcome = await api.list("products", sort=["-price"])
    assert ids(outcome.rows) == expected


async def test_sort_by_two_keys(api: Api, gateway: Gateway) -> None:
    s = demo.product_stock.c
    expected = await column(
        gateway,
        sa.select(s.id_product_stock).order_by(
            s.warehouse.desc(), s.quantity.asc(), s.id_product_stock
        ),
    )
    outcome = await api.list("product-stocks", sort=["-warehouse", "quantity"])
    assert ids(outcome.rows, "id_product_stock") == expected


async def test_offset_and_limit_select_a_page(api: Api) -> None:
    outcome = await api.list("products", offset=10, limit=5)
    assert ids(outcome.rows) == [11, 12, 13, 14, 15]


async def test_pages_of_a_sorted_list_concatenate_to_the_whole_list(api: Api) -> None:
    whole = await api.list("products", sort=["-price"], filter={"category_id": {"eq": 2}})
    pages: list[Row] = []
    for offset in range(0, 21, 7):
        page = await api.list(
            "products",
            sort=["-price"],
            filter={"category_id": {"eq": 2}},
            offset=offset,
            limit=7,
        )
        assert len(page.rows) <= 7
        pages += page.rows
    assert len(whole.rows) == demo.PRODUCTS_PER_CATEGORY
    assert pages == whole.rows


async def test_total_count_counts_every_match_not_only_the_page(api: Api) -> None:
    outcome = await api.list(
        "products", filter={"sku": {"like": "CAM%"}}, offset=0, limit=3, count=True
    )
    assert len(outcome.rows) == 3
    assert outcome.total == demo.PRODUCTS_PER_CATEGORY
    everything = await api.list("products", limit=1, count=True)
    assert everything.total == PRODUCTS_IN_DEMO


async def test_offset_past_the_end_gives_an_empty_page(api: Api) -> None:
    outcome = await api.list("products", offset=PRODUCTS_IN_DEMO, limit=10)
    assert outcome.ok
    assert outcome.rows == []


async def test_limit_above_the_maximum_page_size_is_refused_with_dx103(
    api: Api, gateway: Gateway
) -> None:
    outcome = await api.list("products", limit=gateway.settings.max_page_size + 1)
    assert outcome.errors == [("DX103", 400)]
    at_maximum = await api.list("products", limit=gateway.settings.max_page_size)
    assert len(at_maximum.rows) == PRODUCTS_IN_DEMO


# --- includes ----------------------------------------------------------------------------------


async def test_products_include_their_category_and_stocks(api: Api, gateway: Gateway) -> None:
    outcome = await api.list("products", limit=40, include=["category", "stocks"])
    assert len(outcome.rows) == 40
    categories = {row["id_category"]: row for row in (await api.list("categories")).rows}
    stocks = (await api.list("product-stocks", filter={"product_id": {"lte": 40}})).rows
    for product in outcome.rows:
        assert product["category"] == categories[product["category_id"]]
        mine = [s for s in stocks if s["product_id"] == product["id_product"]]
        assert len(mine) == 2
        assert product["stocks"] == mine
    assert set(outcome.rows[0]) == {*await field_names(gateway, "products"), "category", "stocks"}


async def field_names(gateway: Gateway, alias: str) -> list[str]:
    catalog = await gateway.registry.current()
    return [f.name for f in catalog.entity(alias).fields]


async def test_includes_nest_two_levels(api: Api, gateway: Gateway) -> None:
    outcome = await api.get("products", 3, include=["stocks.country", "category"])
    product = outcome.row()
    assert product["category"]["name"] == "Cameras"
    s, c = demo.product_stock.c, demo.country.c
    expected = await column(
        gateway,
        sa.select(c.iso2_code)
        .join_from(demo.product_stock, demo.country, s.country_id == c.id_country)
        .where(s.product_id == 3)
        .order_by(s.id_product_stock),
    )
    assert [stock["country"]["iso2_code"] for stock in product["stocks"]] == expected
    country_fields = set(await field_names(gateway, "countries"))
    assert all(set(stock["country"]) == country_fields for stock in product["stocks"])


async def test_missing_related_rows_are_empty_lists_and_nulls(api: Api, gateway: Gateway) -> None:
    p, s = demo.product.c, demo.product_stock.c
    await execute(gateway, sa.delete(demo.product_stock).where(s.product_id == 4))
    await execute(
        gateway, sa.update(demo.product).where(p.id_product == 4).values(category_id=None)
    )
    outcome = await api.list(
        "products", filter={"id_product": {"in": [4, 5]}}, include=["category", "stocks"]
    )
    missing, present = outcome.rows
    assert (missing["category"], missing["stocks"]) == (None, [])
    assert present["category"]["id_category"] == 1
    assert len(present["stocks"]) == 2
