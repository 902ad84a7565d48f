"""Bad input gets its documented 4xx code and message, never a 500, and a failed write leaves the
database exactly as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from app.application import create_app
from app.settings import Settings
from tests.conftest import settings_with
from tests.lifespan import lifespan
from tests.snapshots import snapshot

INVALID_DATA_FORMAT = (
    "Invalid or missing data format. Please ensure that the data is provided in the correct "
    "format. Example request body: {'data':[{...},{...},..]}"
)
NOT_FOUND = [{"status": 404, "code": "007", "message": "Not found"}]
NEW_COUNTRY = {"iso2_code": "XK", "iso3_code": "XKX", "name": "Kosovo"}
NEW_PRODUCT = {"sku": "NEW-1", "name": "New product", "price": "10.00", "category_id": 1}
NEW_STOCK = {"product_id": 1, "warehouse": "Warehouse9", "quantity": 1}


def single_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list)
    assert len(body) == 1, body
    error: dict[str, Any] = body[0]
    assert error["status"] == status
    assert error["code"] == code
    return error


async def assert_write_refused(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    method: str,
    url: str,
    status: int,
    code: str,
    *,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Send a write that must fail; check its one error and that no row changed."""
    before = await snapshot(engine)
    response = await client.request(method, url, json=json, content=content, headers=headers or {})
    error = single_error(response, status, code)
    assert await snapshot(engine) == before
    return error


# --- body format (1301) and media type (DX105) ----------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
@pytest.mark.parametrize(
    "content",
    [
        b'{"data": [',
        b"",
        b"not json",
        b'{"data": [{"name": NaN}]}',
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
    ],
    ids=["truncated", "empty", "text", "nan", "binary", "deeply-nested"],
)
async def test_malformed_json_body_is_rejected_with_1301(
    client: httpx.AsyncClient, engine: AsyncEngine, method: str, content: bytes
) -> None:
    error = await assert_write_refused(
        client, engine, method, "/dynamic-entity/countries", 400, "1301", content=content
    )
    assert error["message"] == INVALID_DATA_FORMAT


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_body_not_declared_as_json_is_rejected_with_415_dx105(
    client: httpx.AsyncClient, engine: AsyncEngine, method: str, content_type: str
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        method,
        "/dynamic-entity/countries",
        415,
        "DX105",
        content=b'{"data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": "Kosovo"}]}',
        headers={"Content-Type": content_type},
    )
    assert error["message"] == (
        f"Unsupported Content-Type `{content_type}`. Send the body as application/json."
    )


async def test_json_content_type_with_charset_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/dynamic-entity/countries",
        json={"data": [NEW_COUNTRY]},
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201
    assert response.json()["data"][0]["iso2_code"] == "XK"


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
@pytest.mark.parametrize(
    "body",
    [
        {"data": NEW_COUNTRY},
        {"data": []},
        {"data": None},
        {"data": "XK"},
        {"data": [NEW_COUNTRY, "XK"]},
        {"data": [[NEW_COUNTRY]]},
        {"rows": [NEW_COUNTRY]},
        {},
        [NEW_COUNTRY],
        "data",
    ],
    ids=[
        "object",
        "empty-list",
        "null",
        "string",
        "list-with-string",
        "list-of-lists",
        "missing",
        "empty-body",
        "bare-list",
        "bare-string",
    ],
)
async def test_data_of_wrong_shape_on_collection_route_is_rejected_with_1301(
    client: httpx.AsyncClient, engine: AsyncEngine, method: str, body: Any
) -> None:
    await assert_write_refused(
        client, engine, method, "/dynamic-entity/countries", 400, "1301", json=body
    )


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize(
    "body",
    [{"data": [{"name": "Renamed"}]}, {"data": {}}, {"data": []}, {"data": None}, {}],
    ids=["list", "empty-object", "empty-list", "null", "missing"],
)
async def test_data_of_wrong_shape_on_id_route_is_rejected_with_1301(
    client: httpx.AsyncClient, engine: AsyncEngine, method: str, body: Any
) -> None:
    await assert_write_refused(
        client, engine, method, "/dynamic-entity/countries/1", 400, "1301", json=body
    )


async def test_nested_child_that_is_not_an_object_is_rejected_with_1301(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await assert_write_refused(
        client,
        engine,
        "POST",
        "/dynamic-entity/products",
        400,
        "1301",
        json={"data": [{**NEW_PRODUCT, "stocks": ["Warehouse1"]}]},
    )


# --- unknown fields (1311) and relations (1313) ----------------------------------------------


async def test_unknown_field_is_rejected_with_1311(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        "POST",
        "/dynamic-entity/countries",
        400,
        "1311",
        json={"data": [{**NEW_COUNTRY, "capital": "Pristina"}]},
    )
    assert error["message"] == "The provided `countries[0].capital` is incorrect or invalid."


async def test_unknown_field_on_patch_by_id_is_rejected_with_1311(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        "PATCH",
        "/dynamic-entity/products/1",
        400,
        "1311",
        json={"data": {"name": "Renamed", "colour": "red"}},
    )
    assert error["message"] == "The provided `products[0].colour` is incorrect or invalid."


async def test_unknown_field_in_a_nested_child_is_rejected_with_1311_naming_its_path(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        "POST",
        "/dynamic-entity/products",
        400,
        "1311",
        json={"data": [{**NEW_PRODUCT, "stocks": [{**NEW_STOCK, "bin": "A1"}]}]},
    )
    assert error["message"] == (
        "The provided `products[0].product-stocks[0].bin` is incorrect or invalid."
    )


async def test_unknown_relation_in_write_is_rejected_with_1313(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        "POST",
        "/dynamic-entity/products",
        400,
        "1313",
        json={"data": [{**NEW_PRODUCT, "reviews": [{"stars": 5}]}]},
    )
    assert error["message"] == (
        "Relation `reviews` not found. Please check the requested relation name and try again."
    )


@pytest.mark.parametrize(
    "url",
    [
        "/dynamic-entity/products?include=reviews",
        "/dynamic-entity/products?include=stocks.reviews",
        "/dynamic-entity/products?include=country",
        "/dynamic-entity/products/1?include=reviews",
    ],
)
async def test_unknown_relation_in_include_is_rejected_with_1313(
    client: httpx.AsyncClient, url: str
) -> None:
    error = single_error(await client.get(url), 400, "1313")
    assert error["message"].startswith("Relation `")


# --- types (1305) and values (1306) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "5"),
        ("quantity", 5.5),
        ("quantity", 5.0),
        ("quantity", True),
        ("quantity", {"value": 5}),
        ("warehouse", 7),
        ("warehouse", True),
        ("warehouse", {"name": "Warehouse1"}),
        ("is_never_out_of_stock", "true"),
        ("is_never_out_of_stock", 1),
        ("is_never_out_of_stock", "yes"),
    ],
)
async def test_wrong_type_is_rejected_with_1305(
    client: httpx.AsyncClient, engine: AsyncEngine, field: str, value: Any
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        "POST",
        "/dynamic-entity/product-stocks",
        400,
        "1305",
        json={"data": [{**NEW_STOCK, field: value}]},
    )
    assert error["message"] == f"Invalid data type `product-stocks[0]` for field `{field}`"


@pytest.mark.parametrize(
    "value", ["abc", "1,50", "1.5e3", " 1.5", "", "\u0663.\u0665", True, {"amount": 1}]
)
async def test_wrong_type_for_decimal_is_rejected_with_1305(
    client: httpx.AsyncClient, engine: AsyncEngine, value: Any
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        "PATCH",
        "/dynamic-entity/products/1",
        400,
        "1305",
        json={"data": {"price": value}},
    )
    assert error["message"] == "Invalid data type `products[0]` for field `price`"


async def test_decimal_accepts_numbers_and_numeric_strings(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        "/dynamic-entity/products",
        json={"data": [{"id_product": 1, "price": 12.5}, {"id_product": 2, "price": "0.10"}]},
    )
    assert response.status_code == 200
    assert [row["price"] for row in response.json()["data"]] == ["12.50", "0.10"]


def column_int_max(engine: AsyncEngine) -> int:
    """The largest value ``product_stock.quantity`` (INTEGER) holds on this back end."""
    return 2**63 - 1 if engine.dialect.name == "sqlite" else 2**31 - 1


@pytest.mark.parametrize(
    "value",
    [2**63, 2**64, -(2**63) - 1, 10**30, -(10**30)],
    ids=["2^63", "2^64", "-2^63-1", "1e30", "-1e30"],
)
async def test_integer_beyond_64_bits_is_rejected_with_1306(
    client: httpx.AsyncClient, engine: AsyncEngine, value: int
) -> None:
    for method, url, body in (
        ("POST", "/dynamic-entity/product-stocks", {"data": [{**NEW_STOCK, "quantity": value}]}),
        ("PATCH", "/dynamic-entity/product-stocks/1", {"data": {"quantity": value}}),
        ("PUT", "/dynamic-entity/product-stocks", {"data": [{**NEW_STOCK, "quantity": value}]}),
    ):
        error = await assert_write_refused(client, engine, method, url, 400, "1306", json=body)
        assert error["message"].startswith(
            "Invalid data value `product-stocks[0]` for field: `quantity`. Field rules: "
        )


async def test_integer_beyond_the_column_range_is_rejected_with_1306(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    high = column_int_max(engine)
    for value in (high + 1, -high - 2):
        error = await assert_write_refused(
            client,
            engine,
            "PATCH",
            "/dynamic-entity/product-stocks/1",
            400,
            "1306",
            json={"data": {"country_id": value}},
        )
        assert f"range: {-high - 1}..{high}" in error["message"]


async def test_integer_at_the_column_limit_is_accepted(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    high = column_int_max(engine)
    response = await client.patch(
        "/dynamic-entity/product-stocks/1", json={"data": {"quantity": high}}
    )
    assert response.status_code == 200
    assert response.json()["data"]["quantity"] == high


async def test_integer_below_the_configured_minimum_is_rejected_with_1306(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        "POST",
        "/dynamic-entity/product-stocks",
        400,
        "1306",
        json={"data": [{**NEW_STOCK, "quantity": -1}]},
    )
    assert error["message"] == (
        "Invalid data value `product-stocks[0]` for field: `quantity`. Field rules: "
        "min: 0, is_required: 1"
    )


@pytest.mark.parametrize(
    "value",
    [
        "1234567890123",
        "12345678901.5",
        "1.234",
        "0.001",
        "-0.005",
        "99999999999999999999999999999999999999.99",
        "1e400",
        "1e-400",
        "1e999999999",
        "-1e-999999999",
    ],
)
async def test_decimal_beyond_precision_or_scale_is_rejected_with_1306(
    client: httpx.AsyncClient, engine: AsyncEngine, value: str
) -> None:
    # price is decimal(12, 2): ten integer digits, two fraction digits. Values are sent as
    # JSON numbers (raw text) so that exponents reach the server unchanged.
    before = await snapshot(engine)
    response = await client.patch(
        "/dynamic-entity/products/1", content=f'{{"data": {{"price": {value}}}}}'.encode()
    )
    error = single_error(response, 400, "1306")
    assert error["message"].startswith(
        "Invalid data value `products[0]` for field: `price`. Field rules: "
    )
    assert "precision: 12, scale: 2" in error["message"]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("value", ["1234567890.12", "1.50000", "0.1", "7"])
async def test_decimal_within_precision_and_scale_is_accepted(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.patch(
        "/dynamic-entity/products/1", content=f'{{"data": {{"price": {value}}}}}'.encode()
    )
    assert response.status_code == 200, response.text
    assert float(response.json()["data"]["price"]) == float(value)


@pytest.mark.parametrize(
    ("alias", "body"),
    [
        ("countries", {**NEW_COUNTRY, "name": "Kos\x00ovo"}),
        ("products", {**NEW_PRODUCT, "description": "\x00"}),
        ("product-stocks", {**NEW_STOCK, "warehouse": "Ware\x00house"}),
    ],
)
async def test_nul_byte_in_string_is_rejected_with_1306(
    client: httpx.AsyncClient, engine: AsyncEngine, alias: str, body: dict[str, Any]
) -> None:
    error = await assert_write_refused(
        client, engine, "POST", f"/dynamic-entity/{alias}", 400, "1306", json={"data": [body]}
    )
    assert "no NUL characters" in error["message"]


async def test_string_longer_than_max_length_is_rejected_with_1306(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    error = await assert_write_refused(
        client,
        engine,
        "POST",
        "/dynamic-entity/products",
        400,
        "1306",
        json={"data": [{**NEW_PRODUCT, "sku": "X" * 65}]},
    )
    assert error["message"] == (
        "Invalid data value `products[0]` for field: `sku`. Field rules: max_length: 64, "
        "is_required: 1"
    )


async def test_one_bad_item_fails_the_whole_transactional_batch(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.post(
        "/dynamic-entity/countries",
        json={
            "data": [
                NEW_COUNTRY,
                {"iso2_code": "YY", "iso3_code": "YYY", "name": "Bad\x00"},
                {"iso2_code": "ZZ", "iso3_code": "ZZZ", "name": "Fine"},
            ]
        },
    )
    error = single_error(response, 400, "1306")
    assert error["message"].startswith("Invalid data value `countries[1]` for field: `name`.")
    assert await snapshot(engine) == before


async def test_database_refusal_after_valid_rows_rolls_back_the_batch(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # The first two items are inserted before the database refuses the duplicate ISO code;
    # the transactional request must undo them.
    before = await snapshot(engine)
    response = await client.post(
        "/dynamic-entity/countries",
        json={
            "data": [
                NEW_COUNTRY,
                {"iso2_code": "YY", "iso3_code": "YYY", "name": "Y"},
                {"iso2_code": "DE", "iso3_code": "XDE", "name": "Duplicate"},
            ]
        },
    )
    error = single_error(response, 400, "1309")
    assert error["message"] == (
        "Failed to persist the data for `countries[2].iso2_code`. Please verify the provided "
        "data and try again. Entry is duplicated."
    )
    assert await snapshot(engine) == before


async def test_failed_nested_child_rolls_back_its_parent(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
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
                            "name": "Drone",
                            "price": "99.00",
                            "stocks": [{"warehouse": "W1", "quantity": 1, "country_id": 999}],
                        }
                    ],
                }
            ]
        },
    )
    error = single_error(response, 400, "DX109")
    assert "categories[0].products[0].product-stocks[0]" in error["message"]
    assert await snapshot(engine) == before


# --- query parameters: page (DX100, DX103), filter (1315, DX101), sort (DX102) -------------


@pytest.mark.parametrize(
    "params",
    [
        {"page[offset]": "-1", "page[limit]": "10"},
        {"page[offset]": "0", "page[limit]": "-10"},
        {"page[offset]": "abc", "page[limit]": "10"},
        {"page[offset]": "0", "page[limit]": "ten"},
        {"page[offset]": "0", "page[limit]": "1.5"},
        {"page[offset]": "0", "page[limit]": ""},
        {"page[offset]": "0", "page[limit]": "0x10"},
        {"page[limit]": "-5"},
        {"page[offset]": "x"},
        {"page[offset]": "1_0", "page[limit]": "10"},
        {"page[offset]": "0", "page[limit]": "\u0663"},
        {"page[offset]": "+1", "page[limit]": "10"},
    ],
)
async def test_invalid_page_values_are_rejected_with_dx100(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    error = single_error(await client.get("/dynamic-entity/products", params=params), 400, "DX100")
    assert "must be a non-negative integer" in error["message"]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("page[limit]", {"page[offset]": "0", "page[limit]": "1" + "0" * 30}),
        ("page[offset]", {"page[offset]": str(2**53 + 1), "page[limit]": "10"}),
        ("page[offset]", {"page[offset]": "99999999999999999999999999", "page[limit]": "10"}),
    ],
)
async def test_page_values_above_the_largest_offset_say_the_limit(
    client: httpx.AsyncClient, name: str, params: dict[str, str]
) -> None:
    response = await client.get("/dynamic-entity/products", params=params)
    error = single_error(response, 400, "DX100")
    assert error["message"] == f"`{name}` must be at most {2**53}, got {params[name]!r}."


async def test_an_offset_of_thousands_of_digits_is_refused_with_a_short_message(
    client: httpx.AsyncClient,
) -> None:
    params = {"page[offset]": "1" + "0" * 5000, "page[limit]": "10"}
    response = await client.get("/dynamic-entity/products", params=params)
    error = single_error(response, 400, "DX100")
    assert error["message"] == f"`page[offset]` must be at most {2**53}, got '{'1' + '0' * 36}...'."


async def test_largest_accepted_offset_returns_an_empty_page(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/dynamic-entity/products", params={"page[offset]": str(2**53), "page[limit]": "10"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": []}


@pytest.fixture
async def small_page_client(
    settings: Settings, engine: AsyncEngine, admin_key: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_with(settings, max_page_size=5, default_page_size=5), engine=engine)
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": admin_key}
        ) as c:
            yield c


async def test_page_limit_above_the_maximum_is_rejected_with_dx103(
    small_page_client: httpx.AsyncClient,
) -> None:
    response = await small_page_client.get(
        "/dynamic-entity/products", params={"page[offset]": "0", "page[limit]": "6"}
    )
    error = single_error(response, 400, "DX103")
    assert error["message"] == (
        "page[limit]=6 exceeds the maximum page size of 5. Request fewer items per page."
    )
    allowed = await small_page_client.get(
        "/dynamic-entity/products", params={"page[offset]": "0", "page[limit]": "5"}
    )
    assert allowed.status_code == 200
    assert len(allowed.json()["data"]) == 5
    default = await small_page_client.get("/dynamic-entity/products")
    assert default.status_code == 200
    assert len(default.json()["data"]) == 5


@pytest.mark.parametrize(
    "key",
    ["filter[products.colour]", "filter[colour]", "filter[products.id_country]"],
)
async def test_unknown_filter_field_is_rejected_with_1315(
    client: httpx.AsyncClient, key: str
) -> None:
    field = key[len("filter[") : -1].split(".")[-1]
    error = single_error(
        await client.get("/dynamic-entity/products", params={key: "x"}), 400, "1315"
    )
    assert error["message"] == f"Filter field `{field}` for table alias `products` not found."


async def test_unknown_filter_field_on_delete_is_rejected_with_1315(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.delete(
        "/dynamic-entity/products", params={"filter[products.colour]": "red"}
    )
    single_error(response, 400, "1315")
    assert await snapshot(engine) == before


@pytest.mark.parametrize("key", ["filter[]", "filter[products.]"])
async def test_filter_without_field_name_is_rejected_with_dx101(
    client: httpx.AsyncClient, key: str
) -> None:
    single_error(await client.get("/dynamic-entity/products", params={key: "1"}), 400, "DX101")


@pytest.mark.parametrize("sort", ["colour", "-colour", "name,colour", "price;DROP TABLE product"])
async def test_unknown_sort_field_is_rejected_with_dx102(
    client: httpx.AsyncClient, sort: str
) -> None:
    field = sort.split(",")[-1].lstrip("-")
    error = single_error(
        await client.get("/dynamic-entity/products", params={"sort": sort}), 400, "DX102"
    )
    assert error["message"] == f"Sort field `{field}` for table alias `products` not found."


@pytest.mark.parametrize("sort", [",", "name,", "-", "name,,price"])
async def test_sort_with_empty_key_is_rejected_with_dx100(
    client: httpx.AsyncClient, sort: str
) -> None:
    single_error(await client.get("/dynamic-entity/products", params={"sort": sort}), 400, "DX100")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("filter[products.id_product]", "abc"),
        ("filter[products.id_product]", "1.5"),
        ("filter[products.id_product]", "1 OR 1=1"),
        ("filter[products.id_product]", str(2**64)),
        ("filter[products.category_id]", '{"in": [1, "two"]}'),
        ("filter[products.category_id]", '{"gt": "x"}'),
        ("filter[products.category_id]", '{"in": 3}'),
        ("filter[products.price]", "cheap"),
        ("filter[products.is_active]", "maybe"),
        ("filter[products.name]", '{"isNull": "yes"}'),
        ("filter[products.price]", '{"like": "1%"}'),
        ("filter[products.name]", '{"gte": "A", "between": "Z"}'),
        ("filter[products.is_active]", '{"gt": true}'),
        ("filter[products.is_active]", '{"lte": false}'),
        ("filter[products.id_product]", "\u0663"),
        ("filter[products.id_product]", "9" * 5000),
        ("filter[products.id_product]", '{"in": ' + "[" * 3000),
    ],
)
async def test_filter_value_of_wrong_type_is_rejected_with_dx101(
    client: httpx.AsyncClient, key: str, value: str
) -> None:
    single_error(await client.get("/dynamic-entity/products", params={key: value}), 400, "DX101")


async def test_nul_byte_in_filter_value_is_rejected_with_dx101(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    for key in ("filter[countries.name]", "filter[countries.id_country]"):
        response = await client.get("/dynamic-entity/countries", params={key: "Ger\x00many"})
        error = single_error(response, 400, "DX101")
        assert "NUL character" in error["message"]
    in_list = await client.get(
        "/dynamic-entity/countries", params={"filter[countries.name]": '{"in": ["a\\u0000b"]}'}
    )
    single_error(in_list, 400, "DX101")
    before = await snapshot(engine)
    response = await client.delete(
        "/dynamic-entity/product-stocks", params={"filter[product-stocks.warehouse]": "W\x00"}
    )
    single_error(response, 400, "DX101")
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "params",
    [{"count": "maybe"}, {"include": "stocks..country"}, {"include": ".".join(["stocks"] * 11)}],
)
async def test_invalid_count_or_include_syntax_is_rejected_with_dx100(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    single_error(await client.get("/dynamic-entity/products", params=params), 400, "DX100")


# --- SQL-looking input is data ---------------------------------------------------------------

INJECTION = "'; DROP TABLE country; --"


async def test_sql_in_a_value_is_stored_and_read_back_verbatim(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await client.post(
        "/dynamic-entity/countries",
        json={"data": [{"iso2_code": "QQ", "iso3_code": "QQQ", "name": INJECTION}]},
    )
    assert response.status_code == 201
    created = response.json()["data"][0]
    assert created["name"] == INJECTION

    read = await client.get(f"/dynamic-entity/countries/{created['id_country']}")
    assert read.status_code == 200
    assert read.json()["data"]["name"] == INJECTION

    filtered = await client.get(
        "/dynamic-entity/countries", params={"filter[countries.name]": INJECTION}
    )
    assert filtered.status_code == 200
    assert filtered.json()["data"] == [created]

    listed = await client.get("/dynamic-entity/countries")
    assert listed.status_code == 200
    assert len(listed.json()["data"]) == len(demo.COUNTRIES) + 1
    async with engine.connect() as connection:
        stored = await connection.scalar(
            sa.select(demo.country.c.name).where(demo.country.c.iso2_code == "QQ")
        )
    assert stored == INJECTION


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("filter[countries.name]", "' OR '1'='1"),
        ("filter[countries.name]", "Germany' --"),
        ("filter[countries.name]", "{\"in\": [\"x') OR ('1'='1\"]}"),
        ("filter[countries.name]", "{\"like\": \"%' OR '1'='1\"}"),
        ("filter[countries.iso2_code]", "DE'; DELETE FROM country; --"),
    ],
)
async def test_sql_in_a_filter_is_compared_literally(
    client: httpx.AsyncClient, engine: AsyncEngine, key: str, value: str
) -> None:
    before = await snapshot(engine)
    response = await client.get("/dynamic-entity/countries", params={key: value})
    assert response.status_code == 200
    assert response.json() == {"data": []}
    assert await snapshot(engine) == before


async def test_sql_in_a_delete_filter_deletes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.delete(
        "/dynamic-entity/product-stocks",
        params={"filter[product-stocks.warehouse]": "x' OR '1'='1"},
    )
    single_error(response, 404, "1303")
    assert await snapshot(engine) == before


async def test_sql_in_an_identifier_is_not_found(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    single_error(await client.get("/dynamic-entity/countries/1 OR 1=1"), 404, "1303")
    single_error(await client.delete("/dynamic-entity/products/1; DROP TABLE product"), 404, "1303")
    response = await client.patch(
        "/dynamic-entity/products/1 OR 1=1", json={"data": {"name": "All of them"}}
    )
    single_error(response, 404, "1303")
    assert await snapshot(engine) == before


# --- routes: method (DX106), path (DX108), alias (007) ---------------------------------------


async def test_post_on_an_id_route_is_rejected_with_405_dx106(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.post("/dynamic-entity/countries/1", json={"data": NEW_COUNTRY})
    error = single_error(response, 405, "DX106")
    assert error["message"] == "Method POST is not allowed here. Allowed: GET, PATCH, PUT, DELETE."
    assert response.headers["Allow"] == "GET, PATCH, PUT, DELETE"
    assert await snapshot(engine) == before


async def test_unsupported_method_on_collection_is_rejected_with_405_dx106(
    client: httpx.AsyncClient,
) -> None:
    response = await client.request("TRACE", "/dynamic-entity/countries")
    single_error(response, 405, "DX106")


@pytest.mark.parametrize(
    "path",
    ["/dynamic-entity", "/dynamic-entity/", "/dynamic-entity/countries/1/extra", "/nope"],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_unknown_route_is_rejected_with_404_dx108(
    client: httpx.AsyncClient, engine: AsyncEngine, method: str, path: str
) -> None:
    before = await snapshot(engine)
    response = await client.request(method, path, json={"data": [NEW_COUNTRY]})
    error = single_error(response, 404, "DX108")
    assert error["message"] == f"No route matches `{path}`."
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/dynamic-entity/planets", None),
        ("GET", "/dynamic-entity/planets/1", None),
        ("GET", "/dynamic-entity/planets?filter[planets.name]=x&include=moons", None),
        ("POST", "/dynamic-entity/planets", {"data": [{"name": "Mars"}]}),
        ("POST", "/dynamic-entity/planets", {"data": "not a list"}),
        ("PATCH", "/dynamic-entity/planets", {"data": [{"id": 1, "name": "Mars"}]}),
        ("PATCH", "/dynamic-entity/planets/1", {"data": {"name": "Mars"}}),
        ("PUT", "/dynamic-entity/planets", {"data": [{"name": "Mars"}]}),
        ("PUT", "/dynamic-entity/planets/1", {"data": {"name": "Mars"}}),
        ("DELETE", "/dynamic-entity/planets", None),
        ("DELETE", "/dynamic-entity/planets?filter[planets.name]=Mars", None),
        ("DELETE", "/dynamic-entity/planets/1", None),
        ("GET", "/dynamic-entity/country", None),
        ("DELETE", "/dynamic-entity/dexgate_entity_configuration/1", None),
    ],
)
async def test_unknown_alias_is_404_007_for_every_verb(
    client: httpx.AsyncClient, engine: AsyncEngine, method: str, path: str, body: Any
) -> None:
    before = await snapshot(engine)
    response = await client.request(method, path, json=body)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert await snapshot(engine) == before


# --- values past the limits of the runtime --------------------------------------------------

HUGE_ID = "9" * 5000  # more digits than Python's int() converts from text


async def test_identifier_longer_than_python_converts_is_not_found(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    single_error(await client.get(f"/dynamic-entity/products/{HUGE_ID}"), 404, "1303")
    single_error(await client.delete(f"/dynamic-entity/products/{HUGE_ID}"), 404, "1303")
    response = await client.patch(
        f"/dynamic-entity/products/{HUGE_ID}", json={"data": {"name": "x"}}
    )
    single_error(response, 404, "1303")
    response = await client.delete(
        "/dynamic-entity/products", params={"filter[products.id_product]": HUGE_ID}
    )
    single_error(response, 400, "DX101")
    assert await snapshot(engine) == before


async def test_identifier_with_a_huge_exponent_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # The range is checked before int(Decimal("1e400000")), which would take seconds.
    before = await snapshot(engine)
    response = await client.patch(
        "/dynamic-entity/products",
        content=b'{"data": [{"id_product": 1e400000, "name": "x"}]}',
    )
    assert response.status_code == 400
    assert [e["code"] for e in response.json()] == ["1303", "1305"]
    assert await snapshot(engine) == before


async def test_unpaired_surrogate_in_a_string_is_rejected_with_1306(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    for method, url, body in (
        (
            "POST",
            "/dynamic-entity/countries",
            b'{"data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": "K\\ud800"}]}',
        ),
        ("PATCH", "/dynamic-entity/products/1", b'{"data": {"description": "\\udc00"}}'),
    ):
        error = single_error(await client.request(method, url, content=body), 400, "1306")
        assert "no unpaired surrogates" in error["message"]
    assert await snapshot(engine) == before


async def test_surrogate_pair_is_ordinary_text(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        "/dynamic-entity/products/1", content=b'{"data": {"description": "\\ud83d\\ude00"}}'
    )
    assert response.status_code == 200
    assert response.json()["data"]["description"] == "\U0001f600"


async def test_unpaired_surrogate_in_a_filter_value_is_rejected_with_dx101(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/dynamic-entity/products", params={"filter[products.name]": '{"in": ["\\ud800"]}'}
    )
    error = single_error(response, 400, "DX101")
    assert "unpaired surrogate" in error["message"]


async def test_unknown_field_named_with_an_unpaired_surrogate_is_rejected_with_1311(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await snapshot(engine)
    response = await client.post(
        "/dynamic-entity/countries",
        content=b'{"data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": "K", "\\ud800": 1}]}',
    )
    error = single_error(response, 400, "1311")
    assert error["message"] == "The provided `countries[0].\ud800` is incorrect or invalid."
    assert await snapshot(engine) == before
