"""The SQLite peers: finding datasette and its GraphQL plugin, and checking their answers."""

from __future__ import annotations

import json

import pytest

from bench.sqlite_peers import (
    CASES,
    DATASETTE,
    DATASETTE_GRAPHQL,
    NUM_QUERIES_LIMIT,
    Case,
    PeerCheckError,
    check,
    metadata,
    parse_plugins,
    parse_version,
    statuses,
)

BY_NAME = {(c.system, c.api, c.key): c for c in CASES}
REST_A = BY_NAME[(DATASETTE, "rest", "A")]
GRAPHQL_B = BY_NAME[(DATASETTE_GRAPHQL, "graphql", "B")]


def row(number: int, nested: bool = False) -> dict[str, object]:
    found: dict[str, object] = {"id": number, "sku": f"SKU-{number:06d}"}
    if nested:
        found["category_id"] = {"id": 1, "name": "Category 01"}
        found["stock_list"] = {"nodes": [{"id": 1, "warehouse": "WH-A", "quantity": 3}]}
    return found


def test_the_cases_are_rest_a_and_c_and_graphql_a_and_b() -> None:
    assert sorted(BY_NAME) == [
        (DATASETTE, "rest", "A"),
        (DATASETTE, "rest", "C"),
        (DATASETTE_GRAPHQL, "graphql", "A"),
        (DATASETTE_GRAPHQL, "graphql", "B"),
    ]
    assert REST_A.path == "/bench/product.json?_size=100&_shape=array&_nocount=1"
    assert BY_NAME[(DATASETTE, "rest", "C")].path == "/bench/product/4242.json?_shape=array"
    assert GRAPHQL_B.body is not None
    assert "stock_list { nodes" in json.loads(GRAPHQL_B.body)["query"]


def test_datasette_graphql_may_run_a_query_per_nested_list_of_b() -> None:
    assert metadata()["plugins"][DATASETTE_GRAPHQL]["num_queries_limit"] == NUM_QUERIES_LIMIT
    assert NUM_QUERIES_LIMIT > 100  # its default, and B's 100 stock lists


def test_version_and_plugins_are_read_from_datasettes_output() -> None:
    assert parse_version("datasette, version 0.65.5\n") == "0.65.5"
    with pytest.raises(ValueError, match="unexpected"):
        parse_version("command not found")
    assert parse_plugins('[{"name": "datasette-graphql", "version": "2.2"}]') == {
        "datasette-graphql": "2.2"
    }


def test_only_datasette_065_with_its_graphql_plugin_counts_as_installed() -> None:
    both = statuses("0.65.5", {"datasette-graphql": "2.2"})
    assert [(s.system, s.installed) for s in both] == [
        (DATASETTE, True),
        (DATASETTE_GRAPHQL, True),
    ]
    without_plugin = statuses("0.65.5", {})
    assert [s.installed for s in without_plugin] == [True, False]
    assert "not installed" in without_plugin[1].detail
    other = statuses("1.0a19", {"datasette-graphql": "2.2"})
    assert [s.installed for s in other] == [False, False]
    assert "not 0.65.x" in other[0].detail


def test_full_answers_pass() -> None:
    check(REST_A, 200, json.dumps([row(i) for i in range(100)]).encode())
    nested = {"data": {"product": {"nodes": [row(i, nested=True) for i in range(100)]}}}
    check(GRAPHQL_B, 200, json.dumps(nested).encode())


@pytest.mark.parametrize(
    ("case", "status", "document", "message"),
    [
        (REST_A, 500, {"error": "boom"}, "HTTP 500"),
        (REST_A, 200, [row(1)], "1 rows, expected 100"),
        (REST_A, 200, {"ok": False}, "no rows"),
        (GRAPHQL_B, 200, {"data": None, "errors": [{"message": "Too many queries"}]}, "errors"),
        (GRAPHQL_B, 200, {"data": {"product": {"nodes": [row(i) for i in range(100)]}}}, "lacks"),
    ],
)
def test_wrong_answers_are_refused(case: Case, status: int, document: object, message: str) -> None:
    with pytest.raises(PeerCheckError, match=message):
        check(case, status, json.dumps(document).encode())
