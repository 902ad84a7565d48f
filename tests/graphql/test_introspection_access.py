"""Introspection is for admins unless DEXGATE_OPEN_INTROSPECTION is set; __typename is for all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from auth import store
from tests.conftest import settings_with
from tests.lifespan import lifespan

SCHEMA_QUERY = "{ __schema { queryType { name } } }"
TYPE_QUERY = '{ __type(name: "Product") { name } }'


async def _reader_key(engine: AsyncEngine) -> str:
    await store.set_role(engine, "reader", ["*:read"])
    return await store.create_api_key(engine, "reader", ["reader"])


async def _post(client: httpx.AsyncClient, key: str, query: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query}, headers={"X-Api-Key": key})


@pytest.mark.parametrize("query", [SCHEMA_QUERY, TYPE_QUERY])
async def test_introspection_by_a_non_admin_is_refused_with_dx123(
    anonymous: httpx.AsyncClient, gateway: Gateway, query: str
) -> None:
    key = await _reader_key(gateway.engine)
    response = await _post(anonymous, key, query)
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "message": "Introspection needs the admin role "
                "(or DEXGATE_OPEN_INTROSPECTION=true).",
                "extensions": {"code": "DX123", "status": 403},
            }
        ]
    }


async def test_introspection_by_an_admin_answers(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": SCHEMA_QUERY})
    assert response.status_code == 200
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_typename_is_allowed_for_everyone_who_may_read(
    anonymous: httpx.AsyncClient, gateway: Gateway
) -> None:
    key = await _reader_key(gateway.engine)
    response = await _post(anonymous, key, "{ products(limit: 1) { __typename } }")
    assert response.status_code == 200
    assert response.json() == {"data": {"products": {"__typename": "ProductList"}}}


@pytest.fixture
async def open_introspection(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_with(settings, open_introspection=True), engine=engine)
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dexgate.test") as c:
            yield c


async def test_open_introspection_lets_any_principal_introspect_but_not_anonymous(
    open_introspection: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    key = await _reader_key(engine)
    response = await _post(open_introspection, key, SCHEMA_QUERY)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    anonymous = await open_introspection.post("/graphql", json={"query": SCHEMA_QUERY})
    assert anonymous.status_code == 403
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "DX120"
