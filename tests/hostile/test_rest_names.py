"""Hostile names over REST: quotes, backslashes, unicode, NUL, control characters, SQL and
10 kB wherever a client names something (filter keys, ``sort``, ``include``, body keys, aliases,
identifiers). Each is refused with the code for an unknown name, echoing the name as sent, and
never reaches SQL."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.hostile.support import HOSTILE_NAMES, rest_error, unchanged

NEW_COUNTRY = {"iso2_code": "XK", "iso3_code": "XKX", "name": "Kosovo"}
NOT_FOUND = [{"status": 404, "code": "007", "message": "Not found"}]


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
async def test_hostile_name_in_a_query_parameter_is_an_unknown_name(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, name: str
) -> None:
    products = "/dynamic-entity/products"
    for key in (f"filter[products.{name}]", f"filter[{name}]"):
        error = rest_error(await shared_client.get(products, params={key: "x"}), 400, "1315")
        assert error["message"] == f"Filter field `{name}` for table alias `products` not found."
    error = rest_error(
        await shared_client.get(products, params={"sort": f"sku,-{name}"}), 400, "DX102"
    )
    assert error["message"] == f"Sort field `{name}` for table alias `products` not found."
    relation = (
        f"Relation `{name}` not found. Please check the requested relation name and try again."
    )
    for include in (name, f"category.{name}", f"stocks,{name}"):
        error = rest_error(
            await shared_client.get(products, params={"include": include}), 400, "1313"
        )
        assert error["message"] == relation
    by_id = await shared_client.get(f"{products}/1", params={"include": name})
    assert rest_error(by_id, 400, "1313")["message"] == relation
    async with unchanged(shared_engine):
        response = await shared_client.delete(products, params={f"filter[products.{name}]": "1"})
        rest_error(response, 400, "1315")


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
async def test_hostile_key_in_a_body_is_an_unknown_field_and_nothing_is_written(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, name: str
) -> None:
    async with unchanged(shared_engine):
        for method, url, body, path in (
            (
                "POST",
                "/dynamic-entity/countries",
                {"data": [{**NEW_COUNTRY, name: 1}]},
                "countries",
            ),
            ("PUT", "/dynamic-entity/countries", {"data": [{**NEW_COUNTRY, name: 1}]}, "countries"),
            ("PATCH", "/dynamic-entity/products/1", {"data": {"name": "x", name: 1}}, "products"),
            (
                "POST",
                "/dynamic-entity/products",
                {
                    "data": [
                        {
                            "sku": "NEW-1",
                            "name": "New",
                            "price": "1.00",
                            "stocks": [{"warehouse": "W1", "quantity": 1, name: True}],
                        }
                    ]
                },
                "products[0].product-stocks",
            ),
        ):
            response = await shared_client.request(method, url, json=body)
            error = rest_error(response, 400, "1311")
            assert error["message"] == f"The provided `{path}[0].{name}` is incorrect or invalid."
        # A list under an unknown key is read as a relationship.
        response = await shared_client.post(
            "/dynamic-entity/categories",
            json={"data": [{"name": "Drones", "url": "/drones", name: [{"sku": "D-1"}]}]},
        )
        error = rest_error(response, 400, "1313")
        assert error["message"].startswith(f"Relation `{name}` not found.")


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
async def test_hostile_alias_or_identifier_in_the_path_is_not_found(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, name: str
) -> None:
    segment = quote(name, safe="")
    async with unchanged(shared_engine):
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            response = await shared_client.request(
                method, f"/dynamic-entity/{segment}", json={"data": [NEW_COUNTRY]}
            )
            assert response.status_code == 404, response.text
            assert response.json() == NOT_FOUND
        for method in ("GET", "PATCH", "PUT", "DELETE"):
            response = await shared_client.request(
                method, f"/dynamic-entity/products/{segment}", json={"data": {"name": "x"}}
            )
            if method == "PUT":
                # PUT upserts: an identifier that is not a number cannot be inserted either.
                assert response.status_code == 400
                assert response.json()[0] == {
                    "status": 400,
                    "code": "1306",
                    "message": "Invalid data value `products[0]` for field: `id_product`. "
                    "Field rules: a valid identifier value",
                }
            else:
                rest_error(response, 404, "1303")


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
async def test_hostile_page_and_count_values_are_refused_with_dx100(
    shared_client: httpx.AsyncClient, name: str
) -> None:
    for params in (
        {"page[offset]": name, "page[limit]": "1"},
        {"page[offset]": "0", "page[limit]": name},
        {"count": name},
    ):
        response = await shared_client.get("/dynamic-entity/products", params=params)
        rest_error(response, 400, "DX100")


async def test_invalid_utf8_in_a_query_string_reads_as_the_replacement_character(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # Starlette decodes percent-escapes leniently: %FF is U+FFFD, an ordinary character.
    key = await client.get("/dynamic-entity/countries?filter[countries.na%FFme]=x")
    error = rest_error(key, 400, "1315")
    assert error["message"] == "Filter field `na\ufffdme` for table alias `countries` not found."
    assert (await client.get("/dynamic-entity/countries?filter[countries.name]=%FF")).json() == {
        "data": []
    }
    created = await client.post(
        "/dynamic-entity/countries",
        json={"data": [{"iso2_code": "QQ", "iso3_code": "QQQ", "name": "\ufffd"}]},
    )
    assert created.status_code == 201
    async with unchanged(engine):
        found = await client.get("/dynamic-entity/countries?filter[countries.name]=%FF")
        assert found.json() == {"data": created.json()["data"]}
