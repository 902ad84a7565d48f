"""No "Did you mean ...?" suggestions of schema names for callers who may not introspect."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gateway import Gateway
from auth import store
from tests.graphql.test_introspection_access import open_introspection

__all__ = ["open_introspection"]  # the fixture, used below

MISTAKES = [
    ("{ countrie { totalCount } }", {}),
    ("{ countries(limt: 1) { totalCount } }", {}),
    ("{ countries(sort: [NAM_ASC]) { totalCount } }", {}),
    ('{ countries(filter: {nme: {eq: "x"}}) { totalCount } }', {}),
    ("query($s: [CountrySort!]) { countries(sort: $s) { totalCount } }", {"s": ["NAM_ASC"]}),
    ("query($f: CountryFilter) { countries(filter: $f) { totalCount } }", {"f": {"nme": {}}}),
    ("query($c: Countri) { countries { totalCount } }", {}),
]


async def reader_key(engine: AsyncEngine) -> dict[str, str]:
    await store.set_role(engine, "reader", ["*:read"])
    return {"X-Api-Key": await store.create_api_key(engine, "reader", ["reader"])}


@pytest.mark.parametrize(("query", "variables"), MISTAKES)
async def test_a_non_admin_gets_no_suggestions(
    anonymous: httpx.AsyncClient, gateway: Gateway, query: str, variables: dict[str, object]
) -> None:
    response = await anonymous.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=await reader_key(gateway.engine),
    )
    errors = response.json()["errors"]
    assert errors, response.text
    for error in errors:
        assert "Did you mean" not in error["message"], error["message"]
        assert "NAME_ASC" not in error["message"]


async def test_the_example_of_the_report_names_only_what_was_sent(
    anonymous: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await anonymous.post(
        "/graphql",
        json={"query": "{ countrie { totalCount } }"},
        headers=await reader_key(gateway.engine),
    )
    assert response.json()["errors"][0]["message"] == (
        "Cannot query field 'countrie' on type 'Query'."
    )


async def test_admins_and_open_introspection_keep_suggestions(
    client: httpx.AsyncClient, open_introspection: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    query = {"query": "{ countrie { totalCount } }"}
    admin = (await client.post("/graphql", json=query)).json()["errors"][0]["message"]
    assert "Did you mean 'countries'" in admin
    opened = await open_introspection.post("/graphql", json=query, headers=await reader_key(engine))
    assert "Did you mean 'countries'" in opened.json()["errors"][0]["message"]
