"""GraphQL documents are bounded by settings: depth (DX136), aliases (DX132), field selections
(DX133, fragments counted where they are spread), estimated cost (DX134: rows times fields,
multiplied through nested lists) and length (413 DX113). Each refusal is a 400 (413 for the
length) before anything runs, and its message names the limit and its value."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import get_introspection_query

from app.settings import Settings
from tests.conftest import settings_with
from tests.reliability.conftest import serving


async def ask(
    settings: Settings, admin_key: str, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    async with serving(settings, admin_key) as server:
        return await server.client.post("/graphql", json={"query": query, "variables": variables})


def refusal(response: httpx.Response, code: str, status: int = 400) -> str:
    """The one error's message, after checking the status, the code and that nothing ran."""
    body = response.json()
    assert response.status_code == status, body
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": code, "status": status}
    message: str = error["message"]
    return message


async def test_depth_limit_is_a_setting(settings: Settings, admin_key: str) -> None:
    shallow = settings_with(settings, graphql_max_depth=3)
    at_limit = "{ products(limit: 1) { items { sku } } }"
    too_deep = "{ products(limit: 1) { items { category { name } } } }"

    assert (await ask(shallow, admin_key, at_limit)).status_code == 200
    message = refusal(await ask(shallow, admin_key, too_deep), "DX136")
    assert message == (
        "The query is 4 levels deep; at most 3 are allowed (DEXGATE_GRAPHQL_MAX_DEPTH)."
    )


async def test_more_aliases_than_the_limit_are_refused(settings: Settings, admin_key: str) -> None:
    few = settings_with(settings, graphql_max_aliases=2)
    two = "{ a: products(limit: 1) { totalCount } b: products(limit: 1) { totalCount } }"
    three = two[:-1] + "c: products(limit: 1) { totalCount } }"

    assert (await ask(few, admin_key, two)).status_code == 200
    message = refusal(await ask(few, admin_key, three), "DX132")
    assert message == (
        "The query has 3 aliases; at most 2 are allowed (DEXGATE_GRAPHQL_MAX_ALIASES)."
    )


async def test_field_selections_are_counted_where_fragments_are_spread(
    settings: Settings, admin_key: str
) -> None:
    few = settings_with(settings, graphql_max_fields=5)
    # products, items, sku, name: 4 selections; the fragment adds 2 each time it is spread
    once = "{ products(limit: 1) { items { ...F } } } fragment F on Product { sku name }"
    twice = (
        "{ products(limit: 1) { items { ...F ... on Product { ...F } } } } "
        + once[once.index("fragment") :]
    )

    assert (await ask(few, admin_key, once)).status_code == 200
    message = refusal(await ask(few, admin_key, twice), "DX133")
    assert message.startswith("The query selects more than 5 fields")
    assert message.endswith("at most 5 are allowed (DEXGATE_GRAPHQL_MAX_FIELDS).")


async def test_fragments_spread_exponentially_are_refused_quickly(
    settings: Settings, admin_key: str
) -> None:
    # Each fragment spreads the next twice: 2**30 selections if expanded.
    fragments = " ".join(
        f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)
    )
    query = (
        "{ products(limit: 1) { items { ...F0 } } } "
        + fragments
        + " fragment F30 on Product { sku }"
    )

    message = refusal(await ask(settings, admin_key, query), "DX133")
    assert "at most 1000 are allowed" in message


COST_LIMIT = 100


async def test_estimated_cost_multiplies_rows_through_nested_lists(
    settings: Settings, admin_key: str
) -> None:
    cheap = settings_with(settings, graphql_max_cost=COST_LIMIT)
    # 10 products * 1 field + 10 products * 9 stocks * 1 field = 100
    at_limit = "{ products(limit: 10) { items { sku stocks(limit: 9) { quantity } } } }"
    # 10 * 1 + 10 * 10 * 1 = 110
    over = "{ products(limit: 10) { items { sku stocks(limit: 10) { quantity } } } }"

    assert (await ask(cheap, admin_key, at_limit)).status_code == 200
    message = refusal(await ask(cheap, admin_key, over), "DX134")
    assert message == (
        "The query's estimated cost is 110 (rows times fields); at most 100 is allowed "
        "(DEXGATE_GRAPHQL_MAX_COST). Ask for fewer rows with `limit` "
        "(a list without `limit` counts as 1000 rows)."
    )


async def test_cost_reads_limits_from_variables_and_counts_an_absent_limit_as_the_page_size(
    settings: Settings, admin_key: str
) -> None:
    cheap = settings_with(settings, graphql_max_cost=COST_LIMIT)
    query = "query($n: Int) { products(limit: $n) { items { sku name } } }"

    assert (await ask(cheap, admin_key, query, {"n": 50})).status_code == 200
    assert "cost is 120" in refusal(await ask(cheap, admin_key, query, {"n": 60}), "DX134")
    assert "cost is 2000" in refusal(await ask(cheap, admin_key, query, {}), "DX134")


async def test_a_count_costs_one_row_and_belongs_to_relations_do_not_multiply(
    settings: Settings, admin_key: str
) -> None:
    cheap = settings_with(settings, graphql_max_cost=COST_LIMIT)
    # totalCount: 1; 20 products * (sku + category.name + category.url) = 60
    query = "{ products(limit: 20) { totalCount items { sku category { name url } } } }"

    response = await ask(cheap, admin_key, query)
    assert response.status_code == 200, response.json()


async def test_mutation_cost_multiplies_by_the_items_written(
    settings: Settings, admin_key: str
) -> None:
    cheap = settings_with(settings, graphql_max_cost=COST_LIMIT)
    # 2 categories * (name + 60 products * sku) = 122
    query = (
        'mutation { createCategories(items: [{name: "A", url: "/a"}, {name: "B", url: "/b"}])'
        " { items { name products(limit: 60) { sku } } } }"
    )

    message = refusal(await ask(cheap, admin_key, query), "DX134")
    assert "cost is 122" in message


async def test_query_length_limit_is_a_setting(settings: Settings, admin_key: str) -> None:
    short = settings_with(settings, graphql_max_query_length=40)  # the query has 37
    query = "{ products(limit: 1) { totalCount } }"

    assert (await ask(short, admin_key, query)).status_code == 200
    message = refusal(await ask(short, admin_key, query + " " * 10), "DX113", 413)
    assert message == (
        "The query is 47 characters long; at most 40 are allowed "
        "(DEXGATE_GRAPHQL_MAX_QUERY_LENGTH)."
    )


async def test_graphiqls_introspection_query_passes_the_default_limits(
    settings: Settings, admin_key: str
) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    response = await ask(settings, admin_key, query)
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["__schema"]["types"]
