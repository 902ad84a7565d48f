"""The mixed load's pieces: what each client sends, how an answer is judged, the figures."""

from __future__ import annotations

import random
from collections import Counter

import httpx
import pytest

from bench.sqlite_mixed import (
    MIXED_WRITE_SHARE,
    READ_KINDS,
    WRITE_KINDS,
    choose,
    request_once,
    summarise,
)


def draws(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - a load mix, not secrets


@pytest.fixture
def backend() -> str:
    """The embedded default, which the mixed load measures."""
    return "sqlite"


def test_a_fifth_of_the_mixed_requests_are_updates_alternating_rest_and_graphql() -> None:
    rnd = draws(7)
    kinds = Counter(choose(rnd, turn, MIXED_WRITE_SHARE) for turn in range(20_000))
    writes = sum(kinds[kind] for kind in WRITE_KINDS)
    assert 0.19 < writes / 20_000 < 0.21
    assert set(kinds) == {*READ_KINDS, *WRITE_KINDS}
    assert {choose(rnd, 2, 0.0), choose(rnd, 3, 0.0)} == {"rest_get", "graphql_get"}
    assert {choose(rnd, 2, 1.0), choose(rnd, 3, 1.0)} == {"rest_patch", "graphql_update"}


def test_figures_count_errors_as_requests_but_not_in_latencies() -> None:
    result = summarise(
        write_share=0.2,
        clients=16,
        seconds=2.0,
        latencies={
            "rest_get": [float(ms) for ms in range(1, 81)],
            "graphql_get": [],
            "rest_patch": [100.0] * 10,
            "graphql_update": [200.0] * 10,
        },
        errors=Counter({"rest_patch 503": 3, "graphql_update graphql-errors": 1}),
    )
    assert (result.requests, result.rps, result.errors) == (104, 52.0, 4)
    assert (result.p50_ms, result.p99_ms) == (51.0, 200.0)
    assert (result.writes_per_second, result.write_p99_ms) == (10.0, 200.0)
    assert result.errors_by_kind == {"graphql_update graphql-errors": 1, "rest_patch 503": 3}


def test_figures_of_a_run_without_answers_are_zero() -> None:
    result = summarise(write_share=0.0, clients=1, seconds=1.0, latencies={}, errors=Counter())
    assert (result.requests, result.rps, result.p99_ms, result.write_p99_ms) == (0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("kind", [*READ_KINDS, *WRITE_KINDS])
async def test_each_kind_succeeds_on_a_demo_product(client: httpx.AsyncClient, kind: str) -> None:
    listed = await client.get("/dynamic-entity/products", params={"page[limit]": 5})
    ids = [row["id_product"] for row in listed.json()["data"]]
    assert await request_once(client, kind, draws(1), ids) is None


async def test_each_update_changes_the_products_price(client: httpx.AsyncClient) -> None:
    listed = await client.get("/dynamic-entity/products", params={"page[limit]": 1})
    row = listed.json()["data"][0]
    path = f"/dynamic-entity/products/{row['id_product']}"
    rnd, price = draws(3), row["price"]
    for kind in WRITE_KINDS:
        assert await request_once(client, kind, rnd, [row["id_product"]]) is None
        now = (await client.get(path)).json()["data"]["price"]
        assert now != price, kind
        price = now


async def test_refusals_are_reported_by_status_or_as_graphql_errors(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    missing = [999_999]
    assert await request_once(client, "rest_get", draws(1), missing) == "404"
    assert await request_once(client, "rest_patch", draws(1), missing) == "404"
    failed = await request_once(client, "graphql_update", draws(1), missing)
    assert failed == "graphql-errors"
    assert await request_once(anonymous, "rest_get", draws(1), missing) == "403"
