"""Scenario D's rows."""

from __future__ import annotations

from bench.write import SKU_PREFIX, batch


def test_batches_hold_new_unique_valid_products() -> None:
    first, second = batch("RUN1", 1, 1000), batch("RUN1", 2, 1000)
    skus = {row["sku"] for row in first + second}
    assert len(skus) == 2000
    assert all(sku.startswith(SKU_PREFIX) for sku in skus)
    assert first[0] == {
        "sku": "BENCH-RUN1-0001-00000",
        "name": "Bench product 1-0",
        "price": "1.00",
        "is_active": False,
        "category_id": 1,
    }
    assert {row["category_id"] for row in first} == set(range(1, 51))
