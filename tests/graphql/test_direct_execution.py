"""Plain entity queries are answered by the direct executor (schema_builder.graphql.fast)
when the database does not write their JSON (schema_builder.graphql.json_plans, declined here; see
test_json_execution.py); its answers must be exactly those of graphql-core's executor, which
serves everything else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import app.graphql.endpoint as endpoint
from schema_builder.graphql import fast as graphql_fast
from tests.graphql.support import QUERIES


@pytest.fixture(autouse=True)
def without_json_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    async def declined(*_args: Any) -> None:
        return None

    monkeypatch.setattr(endpoint, "execute_text", declined)


@pytest.mark.parametrize("query", QUERIES)
async def test_direct_executor_answers_exactly_as_graphql_core(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    calls: list[Any] = []
    real = graphql_fast.execute_query

    async def counting(*args: Any) -> Any:
        result = await real(*args)
        calls.append(result)
        return result

    monkeypatch.setattr(endpoint, "execute_query", counting)
    body = {"query": query, "variables": {"n": 3}}
    direct = await client.post("/graphql", json=body)
    assert len(calls) == 1
    assert calls[0] is not None, "the direct executor should have answered"

    async def declined(*_args: Any) -> None:
        return None

    monkeypatch.setattr(endpoint, "execute_query", declined)
    general = await client.post("/graphql", json=body)
    assert direct.status_code == general.status_code == 200
    assert direct.json() == general.json()
    assert "errors" not in direct.json()


async def test_mutations_and_introspection_go_to_graphql_core(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[Any] = []
    real = graphql_fast.execute_query

    async def recording(*args: Any) -> Any:
        result = await real(*args)
        answers.append(result)
        return result

    monkeypatch.setattr(endpoint, "execute_query", recording)
    introspection = await client.post(
        "/graphql", json={"query": "{ __schema { queryType { name } } }"}
    )
    mutation = await client.post(
        "/graphql",
        json={
            "query": 'mutation { createCountries(items: [{iso2_code: "SE", iso3_code: "SWE",'
            ' name: "Sweden"}]) { items { name } errors { code } } }'
        },
    )
    assert answers == [None, None]
    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert mutation.json()["data"]["createCountries"]["items"] == [{"name": "Sweden"}]


async def test_query_errors_are_reported_by_graphql_core(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ products(limit: 5000) { items { sku } } }"}
    )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "DX103", "status": 400}
    assert body["errors"][0]["path"] == ["products"]
