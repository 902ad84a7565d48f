"""The same requests on MariaDB and on PostgreSQL get the same answers: writes (nested,
partial, upserts), their refusals and error codes, deletes, and the reads that follow them
(answered on MariaDB by the row path, on PostgreSQL by the statement that writes JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from app.settings import Settings
from tests.conftest import Templates, template_copy
from tests.reliability.conftest import serving

Step = tuple[str, str, Any, dict[str, str]]

PARTIAL = {"X-Is-Transactional": "false"}


def like(pattern: str) -> str:
    """A ``like`` filter value, as a query parameter."""
    return quote(json.dumps({"like": pattern}))


SCRIPT: list[Step] = [
    ("POST", "/dynamic-entity/countries", {"data": [{"iso2_code": "XX", "iso3_code": "XXX",
                                                     "name": "Nowhere"}]}, {}),
    ("POST", "/dynamic-entity/countries", {"data": [{"iso2_code": "XX", "iso3_code": "XXY",
                                                     "name": "Twice"}]}, {}),
    ("POST", "/dynamic-entity/categories", {"data": [{"name": "Kites", "url": "/kites",
        "products": [{"sku": "KITE-1", "name": "Kite", "price": "19.90",
                      "stocks": [{"warehouse": "W1", "quantity": 3, "country_id": 1}]},
                     {"sku": "KITE-2", "name": "Big kite", "price": "49.00"}]}]}, {}),
    ("POST", "/dynamic-entity/products", {"data": [{"sku": "P-1", "name": "x", "price": "1.00",
                                                    "category_id": 999}]}, {}),
    ("POST", "/dynamic-entity/products", {"data": [
        {"sku": "P-2", "name": "ok", "price": "2.00"},
        {"sku": "CAM-00001", "name": "taken", "price": "2.00"},
        {"sku": "P-3", "name": "bad parent", "price": "2.00", "category_id": 999}]}, PARTIAL),
    ("PATCH", "/dynamic-entity/products/1", {"data": {"name": "Renamed", "is_active": False}},
     {}),
    ("PATCH", "/dynamic-entity/products", {"data": [{"id_product": 2, "sku": "CAM-00003"}]}, {}),
    ("PUT", "/dynamic-entity/products", {"data": [{"id_product": 3, "sku": "CAM-00003",
                                                   "name": "Replaced", "price": "3.00"}]}, {}),
    ("PUT", "/dynamic-entity/products", {"data": [{"id_product": 3, "sku": "CAM-00003",
        "name": "Replaced", "price": "3.00", "is_active": True, "category_id": 2}]}, {}),
    ("PUT", "/dynamic-entity/products", {"data": [{"id_product": 99999, "sku": "NEW",
                                                   "name": "n", "price": "1.00"}]}, {}),
    ("PUT", "/dynamic-entity/product-stocks", {"data": [{"id_product_stock": 1, "product_id": 1,
        "warehouse": "Warehouse3", "quantity": 5, "is_never_out_of_stock": True}]}, {}),
    ("PUT", "/dynamic-entity/product-stocks", {"data": [{"id_product_stock": 1, "product_id": 1,
        "warehouse": "W9", "quantity": 5, "is_never_out_of_stock": True}]}, {}),
    ("DELETE", "/dynamic-entity/categories/1", None, {}),
    ("DELETE", "/dynamic-entity/product-stocks/1", None, {}),
    ("GET", "/dynamic-entity/products?filter[sku]={\"like\":\"KITE%\"}&include=stocks", None,
     {}),
    ("GET", "/dynamic-entity/products/3", None, {}),
    ("GET", "/dynamic-entity/product-stocks?filter[product_id]=1&sort=-quantity", None, {}),
    ("GET", "/dynamic-entity/countries?sort=-id_country&page[limit]=2", None, {}),
    ("POST", "/dynamic-entity/categories", {"data": [{"name": "Half", "url": "/half_50%"}]}, {}),
    # like escapes % and _ with a backslash on both
    ("GET", "/dynamic-entity/categories?filter[url]=" + like("/half\\_5%"), None, {}),
    ("GET", "/dynamic-entity/categories?filter[url]=" + like("/half\\_50\\%"), None, {}),
    ("GET", "/dynamic-entity/categories?filter[url]=" + like("/half_5\\_"), None, {}),
    # NULLs after every value ascending, first descending (MariaDB sorts them first either way)
    ("GET", "/dynamic-entity/products?sort=-category_id,description&page[limit]=3", None, {}),
    ("GET", "/dynamic-entity/products?sort=category_id,-name&page[offset]=203", None, {}),
]  # fmt: skip


async def _answers(client: httpx.AsyncClient) -> list[tuple[int, Any]]:
    answers = []
    for method, path, body, headers in SCRIPT:
        response = await client.request(method, path, json=body, headers=headers)
        answers.append((response.status_code, response.json() if response.content else None))
    return answers


async def test_the_same_requests_get_the_same_answers(
    client: httpx.AsyncClient,
    settings: Settings,
    templates: Templates,
    tmp_path: Path,
) -> None:
    mariadb = await _answers(client)
    async with template_copy("postgresql", templates, tmp_path, "parity") as url:
        postgres_settings = Settings(database_url=url, secret_key="test", catalog_check_interval=0)
        async with serving(postgres_settings, templates.postgres_key) as server:
            postgresql = await _answers(server.client)

    for step, (ours, theirs) in enumerate(zip(mariadb, postgresql, strict=True)):
        assert ours == theirs, SCRIPT[step][:2]
    nulls_first, nulls_last = mariadb[-2][1]["data"], mariadb[-1][1]["data"]
    assert [len(body["data"]) for _status, body in mariadb[-5:-2]] == [1, 1, 0]
    assert nulls_first[0]["category_id"] is None
    assert nulls_last[-1]["category_id"] is None
    assert nulls_last[0]["category_id"] is not None
    statuses = [status for status, _body in mariadb]
    assert statuses.count(400) == 7, statuses
    assert [error["code"] for status, body in mariadb if status == 400 for error in body] == [
        "1309", "DX109", "1309", "DX107", "1308", "1309", "1317",
    ]  # fmt: skip


MUTATIONS = [
    'mutation { createCategories(items: [{name: "Kites", url: "/kites", products: [{sku: "K-1",'
    ' name: "Kite", price: "19.90"}]}]) { items { name url products { sku price } } } }',
    'mutation { createCountries(items: [{iso2_code: "DE", iso3_code: "XXX", name: "Twice"}])'
    " { items { name } } }",
    'mutation { updateProducts(items: [{id_product: 1, name: "Renamed", is_active: false}])'
    " { items { id_product name is_active } } }",
    "{ products(limit: 3, sort: [PRICE_DESC]) { totalCount items { sku price category { name } }"
    " } }",
    # nested lists' windows (GROUP_CONCAT's LIMIT and OFFSET on MariaDB): middle rows in
    # another order, a window inside a window, an offset past every row
    "{ categories(limit: 4) { items { name products(limit: 2, offset: 1, sort: [PRICE_DESC])"
    " { sku price stocks(limit: 1, offset: 1) { warehouse quantity } } none: products(offset:"
    " 1000) { sku } } } }",
]


async def test_the_same_graphql_mutations_get_the_same_answers(
    client: httpx.AsyncClient, templates: Templates, tmp_path: Path
) -> None:
    async def answers(graphql: httpx.AsyncClient) -> list[tuple[int, Any]]:
        found = []
        for query in MUTATIONS:
            response = await graphql.post("/graphql", json={"query": query})
            found.append((response.status_code, response.json()))
        return found

    mariadb = await answers(client)
    async with template_copy("postgresql", templates, tmp_path, "parity") as url:
        postgres_settings = Settings(database_url=url, secret_key="test", catalog_check_interval=0)
        async with serving(postgres_settings, templates.postgres_key) as server:
            postgresql = await answers(server.client)

    assert mariadb == postgresql
    assert mariadb[0][1]["data"]["createCategories"]["items"][0]["products"] == [
        {"sku": "K-1", "price": "19.90"}
    ]
    assert mariadb[1][1]["errors"][0]["extensions"]["code"] == "1309"
    assert mariadb[2][1]["data"]["updateProducts"]["items"] == [
        {"id_product": 1, "name": "Renamed", "is_active": False}
    ]
    assert mariadb[3][1]["data"]["products"]["totalCount"] == 205
