"""Entities in the Back Office: the list, activation and deletion served at once, the detail."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.gateway import Gateway
from tests.admin.conftest import submit

JSON = {"Accept": "application/json"}


async def rest_status(admin: httpx.AsyncClient, admin_key: str, alias: str) -> int:
    response = await admin.get(f"/dynamic-entity/{alias}", headers={"X-Api-Key": admin_key})
    return response.status_code


async def test_the_list_shows_alias_table_status_version_and_last_change(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    page = await admin.get("/admin/entities")
    for config in await gateway.registry.configurations():
        assert f'href="/admin/entities/{config.alias}">{config.alias}</a>' in page.text
        assert f"<code>{config.table_name}</code>" in page.text
    assert page.text.count('<span class="badge ok">active</span>') == 4
    assert " UTC</td>" in page.text


async def test_deactivating_and_activating_is_served_on_the_next_request(
    admin: httpx.AsyncClient, admin_key: str
) -> None:
    assert await rest_status(admin, admin_key, "countries") == 200
    done = await submit(admin, "/admin/entities/countries/deactivate")
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/entities"
    assert await rest_status(admin, admin_key, "countries") == 404
    page = await admin.get("/admin/entities")
    assert "countries is inactive" in page.text
    assert '<span class="badge off">inactive</span>' in page.text
    assert (await submit(admin, "/admin/entities/countries/activate")).status_code == 303
    assert await rest_status(admin, admin_key, "countries") == 200
    assert "countries is active" in (await admin.get("/admin/entities")).text


async def test_deleting_a_configuration_removes_the_entity(
    admin: httpx.AsyncClient, admin_key: str, gateway: Gateway
) -> None:
    done = await submit(admin, "/admin/entities/product-stocks/delete")
    assert done.status_code == 303
    assert "product-stocks" not in [c.alias for c in await gateway.registry.configurations()]
    assert await rest_status(admin, admin_key, "product-stocks") == 404
    assert "is deleted" in (await admin.get("/admin/entities")).text


async def test_a_change_without_the_csrf_token_changes_nothing(
    admin: httpx.AsyncClient, admin_key: str, gateway: Gateway
) -> None:
    response = await admin.post("/admin/entities/countries/deactivate")
    assert response.status_code == 403
    deleted = await admin.post("/admin/entities/countries/delete", data={"csrf_token": "x"})
    assert deleted.status_code == 403
    assert await rest_status(admin, admin_key, "countries") == 200
    assert "countries" in [c.alias for c in await gateway.registry.configurations()]


async def test_an_unknown_entity_is_a_404_page(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/admin/entities/nothing")
    assert page.status_code == 404
    assert "There is no entity &#39;nothing&#39;." in page.text
    action = await submit(admin, "/admin/entities/nothing/activate")
    assert action.status_code == 404


async def test_the_detail_shows_fields_relationships_and_ready_examples(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get("/admin/entities/products")
    assert page.status_code == 200
    text = page.text
    assert "<code>id_product</code>" in text
    assert "<td>sku</td>" in text
    assert "maxLength 64" in text
    assert '<a href="/admin/entities/product-stocks">product-stocks</a>' in text
    assert "has many" in text
    assert "belongs to" in text
    assert (
        "curl -g -H &#39;X-Api-Key: YOUR_API_KEY&#39; "
        "&#39;https://DEXGATE_HOST/dynamic-entity/products?page[offset]=0&amp;page[limit]=10&#39;"
    ) in text
    start = text.index('href="/graphiql?') + len('href="')
    link = text[start : text.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)["query"][0]
    assert query.startswith("{\n  products(limit: 10) {\n    items { id_product sku")
    assert '"tableAlias": "products"' in text.replace("&#34;", '"')


async def test_the_sample_query_of_the_detail_runs(
    admin: httpx.AsyncClient, admin_key: str
) -> None:
    text = (await admin.get("/admin/entities/product-stocks")).text
    start = text.index('href="/graphiql?') + len('href="')
    link = text[start : text.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)["query"][0]
    answer = await admin.post("/graphql", json={"query": query}, headers={"X-Api-Key": admin_key})
    assert answer.status_code == 200
    assert "errors" not in answer.json()
    assert answer.json()["data"]["productStocks"]["items"]


async def test_a_database_outage_is_a_503_page_not_a_500(
    admin: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused() -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    monkeypatch.setattr(gateway.registry, "configurations", refused)
    page = await admin.get("/admin/entities")
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert "Database unavailable" in page.text
    assert "Connect call failed" not in page.text
