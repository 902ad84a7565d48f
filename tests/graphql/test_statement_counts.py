"""No N+1 in GraphQL: one statement for the page and one per relationship level, whatever the
number of rows; ``totalCount`` adds one statement only when selected. A query that only reads
entities takes one statement per root field, which also writes the JSON, on every database
(schema_builder.graphql.answer); so do graphql-core's resolvers.

Counts exclude the registry's version check on ``dexgate_`` tables (see
``tests/graphql/support.py``); it is checked separately to run at most once.
"""

from __future__ import annotations

import httpx
import pytest

from app import demo
from tests.conftest import StatementLog, is_bookkeeping
from tests.graphql.support import data, entity_statements

PRODUCTS_IN_DEMO = len(demo.CATEGORIES) * demo.PRODUCTS_PER_CATEGORY
PRODUCT_WITH_CATEGORY_AND_STOCKS = (
    "query($limit: Int) { products(limit: $limit) { items { sku price"
    " category { name } stocks { warehouse quantity } } } }"
)


def catalog_checks(log: StatementLog) -> list[str]:
    return [s for s in log.data_statements if is_bookkeeping(s)]


async def test_100_products_with_category_and_stocks_take_one_statement(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    result = await data(client, PRODUCT_WITH_CATEGORY_AND_STOCKS, {"limit": 100})
    items = result["products"]["items"]
    assert len(items) == 100
    assert all(item["category"] is not None and len(item["stocks"]) == 2 for item in items)
    issued = entity_statements(statements)
    assert len(issued) == 1, issued
    assert all(q.lstrip().upper().startswith(("SELECT", "WITH")) for q in issued)
    assert len(catalog_checks(statements)) <= 1


async def test_one_relationship_level_takes_two_statements(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    result = await data(client, "{ products(limit: 100) { items { sku stocks { quantity } } } }")
    assert len(result["products"]["items"]) == 100
    assert len(entity_statements(statements)) == 1


@pytest.mark.parametrize("limit", [10, 100, 200])
async def test_statement_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, statements: StatementLog, limit: int, backend: str
) -> None:
    statements.start()
    result = await data(client, PRODUCT_WITH_CATEGORY_AND_STOCKS, {"limit": limit})
    assert len(result["products"]["items"]) == min(limit, PRODUCTS_IN_DEMO)
    assert len(entity_statements(statements)) == 1


async def test_three_levels_down_take_one_statement_per_level(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    result = await data(
        client,
        "{ categories(limit: 50) { items { name products(limit: 50) { sku"
        " stocks(limit: 10) { quantity country { name } } } } } }",
    )
    categories = result["categories"]["items"]
    assert sum(len(cat["products"]) for cat in categories) == PRODUCTS_IN_DEMO
    assert len(entity_statements(statements)) == 1


async def test_per_parent_limits_keep_one_statement_per_level(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    result = await data(
        client,
        "{ categories { items { products(sort: [PRICE_DESC], limit: 3) { sku"
        " stocks(limit: 1) { quantity } } } } }",
    )
    categories = result["categories"]["items"]
    assert all(len(cat["products"]) == 3 for cat in categories)
    assert all(len(prod["stocks"]) == 1 for cat in categories for prod in cat["products"])
    assert len(entity_statements(statements)) == 1


async def test_each_alias_of_a_relationship_is_one_statement_for_the_whole_page(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    result = await data(
        client,
        "{ products(limit: 100) { items { low: stocks(sort: [QUANTITY_ASC], limit: 1)"
        " { quantity } high: stocks(sort: [QUANTITY_DESC], limit: 1) { quantity } } } }",
    )
    assert len(result["products"]["items"]) == 100
    assert len(entity_statements(statements)) == 1


async def test_total_count_adds_at_most_one_statement(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    await data(client, "{ products(limit: 100) { totalCount items { stocks { quantity } } } }")
    assert len(entity_statements(statements)) == 1


async def test_by_id_query_with_two_relationships_takes_three_statements(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    result = await data(
        client, "{ product(id: 1) { sku category { name } stocks { country { name } } } }"
    )
    assert result["product"]["category"] == {"name": "Cameras"}
    assert len(entity_statements(statements)) == 1


async def test_general_executor_reads_with_the_same_statements(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    # Introspection sends the request through graphql-core's executor rather than the plan
    # executor; its resolvers plan the whole selection with the same walk and the same reader.
    statements.start()
    result = await data(
        client,
        "{ __schema { queryType { name } } products(limit: 100) { items { sku"
        " category { name } stocks { quantity } } } }",
    )
    assert len(result["products"]["items"]) == 100
    # Its objects hold every field (graphql-core reads fields by name): the price, a decimal,
    # is written by Python on SQLite, so the rows are read a statement per level there.
    assert len(entity_statements(statements)) == 1


async def test_related_aggregates_at_two_levels_keep_one_statement(
    client: httpx.AsyncClient, statements: StatementLog, backend: str
) -> None:
    statements.start()
    result = await data(
        client,
        "{ categories(limit: 50) { items { name productsAggregate { count } products(limit: 50)"
        " { sku stocksAggregate { count sum { quantity } avg { quantity } } } } } }",
    )
    categories = result["categories"]["items"]
    assert sum(cat["productsAggregate"]["count"] for cat in categories) == PRODUCTS_IN_DEMO
    assert all(
        product["stocksAggregate"]["count"] == 2
        for cat in categories
        for product in cat["products"]
    )
    assert len(entity_statements(statements)) == 1
