"""Scenario D's rows."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from bench.write import SKU_PREFIX, batch, clean_up_sqlite


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


def test_sqlite_clean_up_deletes_the_batches_rows_only(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE product (id INTEGER PRIMARY KEY, sku TEXT NOT NULL)")
        rows = [("SKU-000001",), ("BENCHMARK-1",)] + [(r["sku"],) for r in batch("RUN1", 1, 5)]
        connection.executemany("INSERT INTO product (sku) VALUES (?)", rows)
    clean_up_sqlite(path)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        left = [sku for (sku,) in connection.execute("SELECT sku FROM product ORDER BY id")]
    assert left == ["SKU-000001", "BENCHMARK-1"]
