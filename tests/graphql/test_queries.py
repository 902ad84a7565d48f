"""GraphQL queries: selections, aliases, relationship arguments, fragments and variables.

Expected values come from the database, read directly.
"""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from app import demo
from app.gateway import Gateway
from tests.conftest import StatementLog
from tests.graphql.support import data, entity_statements, execute, post, rows

PRODUCTS_IN_DEMO = len(demo.CATEGORIES) * demo.PRODUCTS_PER_CATEGORY
p, s, c = demo.product.c, demo.product_stock.c, demo.country.c


async def test_only_the_selected_fields_are_returned(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    result = await data(client, "{ products(limit: 2) { items { sku price } } }")
    stored = await rows(gateway, sa.select(p.sku, p.price).order_by(p.id_product).limit(2))
    assert result == {
        "products": {"items": [{"sku": sku, "price": str(price)} for sku, price in stored]}
    }
    assert all(list(item) == ["sku", "price"] for item in result["products"]["items"])


async def test_selected_values_match_the_rest_api(client: httpx.AsyncClient) -> None:
    fields = "id_product sku name description price is_active category_id"
    result = await data(client, f"{{ products(limit: 5, offset: 20) {{ items {{ {fields} }} }} }}")
    rest = await client.get(
        "/dynamic-entity/products", params={"page[offset]": "20", "page[limit]": "5"}
    )
    assert result["products"]["items"] == rest.json()["data"]


async def test_by_id_query_returns_the_row_or_null(client: httpx.AsyncClient) -> None:
    result = await data(
        client,
        "{ found: product(id: 18) { sku category { name } } missing: product(id: 0) { sku } }",
    )
    assert result == {
        "found": {"sku": "LAP-00018", "category": {"name": "Laptops"}},
        "missing": None,
    }


async def test_aliases_read_one_relationship_with_different_arguments(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    result = await data(
        client,
        "{ product(id: 7) {"
        " fewest: stocks(sort: [QUANTITY_ASC], limit: 1) { quantity }"
        " most: stocks(sort: [QUANTITY_DESC], limit: 1) { quantity }"
        " all: stocks { quantity warehouse } } }",
    )
    quantities = sorted(
        q for (q,) in await rows(gateway, sa.select(s.quantity).where(s.product_id == 7))
    )
    product = result["product"]
    assert product["fewest"] == [{"quantity": quantities[0]}]
    assert product["most"] == [{"quantity": quantities[-1]}]
    assert sorted(stock["quantity"] for stock in product["all"]) == quantities
    assert len(product["all"]) == 2


async def test_aliases_of_the_list_query_page_independently(client: httpx.AsyncClient) -> None:
    result = await data(
        client,
        "{ first: products(limit: 2) { items { id_product } }"
        " second: products(limit: 2, offset: 2) { items { id_product } totalCount } }",
    )
    assert result == {
        "first": {"items": [{"id_product": 1}, {"id_product": 2}]},
        "second": {"items": [{"id_product": 3}, {"id_product": 4}], "totalCount": PRODUCTS_IN_DEMO},
    }


async def test_has_many_limit_sort_and_filter_apply_per_parent(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    result = await data(
        client,
        "{ categories(limit: 4) { items { id_category"
        " products(filter: {is_active: {eq: true}}, sort: [PRICE_DESC], limit: 2, offset: 1)"
        " { id_product } } } }",
    )
    categories = result["categories"]["items"]
    assert [cat["id_category"] for cat in categories] == [1, 2, 3, 4]
    for category in categories:
        ranked = await rows(
            gateway,
            sa.select(p.id_product)
            .where(p.category_id == category["id_category"], p.is_active.is_(True))
            .order_by(p.price.desc(), p.id_product),
        )
        expected = [{"id_product": key} for (key,) in ranked[1:3]]
        assert category["products"] == expected


async def test_belongs_to_is_an_object_or_null(client: httpx.AsyncClient, gateway: Gateway) -> None:
    await execute(
        gateway,
        sa.update(demo.product_stock).where(s.id_product_stock == 2).values(country_id=None),
    )
    result = await data(
        client,
        "{ productStocks(limit: 3) { items { id_product_stock product_id country_id"
        " product { id_product category { name } } country { iso2_code } } } }",
    )
    stocks = result["productStocks"]["items"]
    expected = dict(
        await rows(gateway, sa.select(c.id_country, c.iso2_code))  # id → iso2
    )
    for stock in stocks:
        assert stock["product"]["id_product"] == stock["product_id"]
        assert stock["product"]["category"] == {"name": "Cameras"}
        if stock["country_id"] is None:
            assert stock["country"] is None
        else:
            assert stock["country"] == {"iso2_code": expected[stock["country_id"]]}
    assert [stock["country"] is None for stock in stocks] == [False, True, False]


async def test_total_count_is_counted_only_when_selected(
    client: httpx.AsyncClient, statements: StatementLog
) -> None:
    statements.start()
    without = await data(client, "{ products(limit: 3) { items { sku } } }")
    assert len(without["products"]["items"]) == 3
    assert not any("count(" in q.lower() for q in entity_statements(statements))

    statements.start()
    counted = await data(
        client, '{ products(limit: 3, filter: {sku: {like: "LAP%"}}) { totalCount } }'
    )
    assert counted == {"products": {"totalCount": demo.PRODUCTS_PER_CATEGORY}}
    assert sum("count(" in q.lower() for q in entity_statements(statements)) == 1


async def test_fragments_select_like_the_fields_written_inline(client: httpx.AsyncClient) -> None:
    inline = await data(
        client,
        "{ products(limit: 3) { items { sku price category { name url }"
        " stocks { warehouse quantity } } } }",
    )
    named = await data(
        client,
        "query { products(limit: 3) { items { ...Item category { ...Cat } } } }"
        " fragment Item on Product { sku ... on Product { price } stocks { ...Stock } }"
        " fragment Cat on Category { name url }"
        " fragment Stock on ProductStock { warehouse quantity }",
    )
    assert named == inline
    assert len(inline["products"]["items"][0]["stocks"]) == 2


async def test_variables_give_the_same_answer_as_literals(client: httpx.AsyncClient) -> None:
    literal = await data(
        client,
        '{ products(filter: {price: {gte: "100"}, sku: {like: "SMA%"}}, sort: [PRICE_DESC],'
        " limit: 4, offset: 1) { items { sku price stocks(limit: 1) { quantity } } totalCount } }",
    )
    with_variables = await data(
        client,
        "query Products($filter: ProductFilter, $sort: [ProductSort!], $limit: Int,"
        " $offset: Int = 1, $stocks: Int!) {"
        " products(filter: $filter, sort: $sort, limit: $limit, offset: $offset)"
        " { items { sku price stocks(limit: $stocks) { quantity } } totalCount } }",
        {
            "filter": {"price": {"gte": "100"}, "sku": {"like": "SMA%"}},
            "sort": ["PRICE_DESC"],
            "limit": 4,
            "stocks": 1,
        },
    )
    assert with_variables == literal
    items = literal["products"]["items"]
    assert len(items) == 4
    assert all(item["sku"].startswith("SMA") for item in items)
    prices = [float(item["price"]) for item in items]
    assert prices == sorted(prices, reverse=True)


async def test_directives_with_variables_include_and_skip_fields(
    client: httpx.AsyncClient,
) -> None:
    query = (
        "query($withStocks: Boolean!) { product(id: 1) { sku"
        " stocks @include(if: $withStocks) { warehouse } name @skip(if: $withStocks) } }"
    )
    with_stocks = await data(client, query, {"withStocks": True})
    without = await data(client, query, {"withStocks": False})
    assert set(with_stocks["product"]) == {"sku", "stocks"}
    assert set(without["product"]) == {"sku", "name"}


async def test_queries_are_served_over_get_too(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "query($id: Int!) { product(id: $id) { sku } }", "variables": '{"id": 2}'},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"product": {"sku": "CAM-00002"}}}


async def test_typename_is_answered_at_every_level(client: httpx.AsyncClient) -> None:
    result = await data(
        client,
        "{ __typename products(limit: 1)"
        " { __typename items { __typename category { __typename } } } }",
    )
    assert result == {
        "__typename": "Query",
        "products": {
            "__typename": "ProductList",
            "items": [{"__typename": "Product", "category": {"__typename": "Category"}}],
        },
    }


async def test_request_with_several_operations_runs_the_named_one(
    client: httpx.AsyncClient,
) -> None:
    document = "query One { product(id: 1) { sku } } query Two { product(id: 2) { sku } }"
    response = await client.post("/graphql", json={"query": document, "operationName": "Two"})
    assert response.json() == {"data": {"product": {"sku": "CAM-00002"}}}
    unnamed = await post(client, document)
    assert unnamed.status_code == 400
    assert unnamed.json()["errors"][0]["extensions"] == {"code": "DX112", "status": 400}
