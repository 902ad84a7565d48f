from __future__ import annotations

import pytest

from bench import aggregate_peer


def test_the_peer_asks_a_view_of_the_stocks_with_their_products_columns() -> None:
    sql = aggregate_peer.views_sql([("stock", "product"), ("spy_stock", "spy_product")])
    assert "CREATE OR REPLACE VIEW f_peer.stock_product AS" in sql
    assert "FROM public.spy_stock s JOIN public.spy_product p ON p.id = s.product_id;" in sql
    assert aggregate_peer.root_field("stock") == "stockProducts"
    assert aggregate_peer.root_field("spy_stock") == "spyStockProducts"
    assert "spyStockProducts { groupedAggregates(groupBy: [PRODUCT_CATEGORY_ID, " in (
        aggregate_peer.query("spy_stock")
    )
    assert "PRODUCT_CREATED_AT_TRUNCATED_TO_MONTH" in aggregate_peer.query("stock")


def test_the_peers_groups_compare_with_dexgates_groups() -> None:
    peer = {
        "data": {
            "stockProducts": {
                "groupedAggregates": [
                    {
                        "keys": ["2", "2024-01-01T00:00:00.000000+00:00"],
                        "sum": {"quantity": "91800"},
                        "distinctCount": {"productId": "200"},
                    },
                    {
                        "keys": ["1", "2024-01-01T00:00:00.000000+00:00"],
                        "sum": {"quantity": "102200"},
                        "distinctCount": {"productId": "200"},
                    },
                ]
            }
        }
    }
    ours = [
        {
            "product.categoryId": 1,
            "month(product.createdAt)": "2024-01",
            "sum": {"quantity": 102200},
            "countDistinct": {"productId": 200},
        },
        {
            "product.categoryId": 2,
            "month(product.createdAt)": "2024-01",
            "sum": {"quantity": "91800"},
            "countDistinct": {"productId": 200},
        },
    ]
    keys = ("product.categoryId", "month(product.createdAt)")
    measures = ("quantity", "productId")
    assert aggregate_peer.peer_groups(peer) == [
        ("1", "2024-01", 102200, 200),
        ("2", "2024-01", 91800, 200),
    ]
    assert aggregate_peer.peer_groups(peer) == aggregate_peer.dexgate_groups(ours, keys, measures)
    ours[0]["sum"] = {"quantity": 102201}
    assert aggregate_peer.peer_groups(peer) != aggregate_peer.dexgate_groups(ours, keys, measures)


def test_a_peer_error_or_a_fraction_is_not_a_group() -> None:
    with pytest.raises(ValueError, match="answered"):
        aggregate_peer.peer_groups({"errors": [{"message": "boom"}]})
    with pytest.raises(ValueError, match="whole number"):
        aggregate_peer.dexgate_groups(
            [{"a": 1, "b": "2024-01", "sum": {"q": "1.5"}, "countDistinct": {"p": 1}}],
            ("a", "b"),
            ("q", "p"),
        )
