"""Scenario D: rows/s through ``POST /dynamic-entity/products``, in batches of 1,000 new rows.

Batches are sent one after the other on one connection (after one warm-up batch that is not
counted); every batch must answer 201 with as many rows as it sent. The rows carry SKUs of their
own (``BENCH-...``) and are deleted afterwards, so the dataset is the same for what follows.
The same batches are sent to dexgate serving the SQLite file, which is cleaned the same way.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from bench.client import Client
from bench.mariadb import MariaDB
from bench.postgres import Postgres
from bench.process import BenchError
from bench.results import Failure, WriteResult

PATH = "/dynamic-entity/products"
SKU_PREFIX = "BENCH-"


def batch(run: str, number: int, size: int) -> list[dict[str, Any]]:
    """``size`` new products, unique per (run, number), valid for the products entity."""
    return [
        {
            "sku": f"{SKU_PREFIX}{run}-{number:04d}-{i:05d}",
            "name": f"Bench product {number}-{i}",
            "price": f"{(i * 7919) % 100_000 / 100 + 1:.2f}",
            "is_active": i % 10 != 0,
            "category_id": i % 50 + 1,
        }
        for i in range(size)
    ]


def post_batches(base_url: str, api_key: str, batches: int, size: int) -> WriteResult | Failure:
    """POST ``batches`` batches of ``size`` rows (plus one warm-up batch) and time them."""
    run = uuid.uuid4().hex[:8].upper()
    try:
        with Client(base_url, api_key) as client:
            _post(client, batch(run, 0, size))
            payloads = [batch(run, b, size) for b in range(1, batches + 1)]
            started = time.perf_counter()
            for rows in payloads:
                _post(client, rows)
            seconds = time.perf_counter() - started
    except (BenchError, OSError) as exc:
        return Failure(f"write D: {exc}")
    total = batches * size
    return WriteResult(
        batches=batches,
        batch_size=size,
        seconds=round(seconds, 3),
        rows_per_second=total / seconds,
        ms_per_request=seconds / batches * 1000,
    )


def clean_up(postgres: Postgres, database: str) -> None:
    """Delete the rows D inserted and vacuum, so later scenarios read the original table."""
    postgres.psql("DELETE FROM product WHERE sku LIKE 'BENCH-%'", database)  # SKU_PREFIX
    postgres.psql("VACUUM ANALYZE product", database)


def clean_up_mariadb(mariadb: MariaDB, database: str) -> None:
    """Delete the rows D and the CSV import inserted into MariaDB's ``product``, and analyze."""
    mariadb.sql(
        "DELETE FROM product WHERE sku LIKE 'BENCH-%' OR sku LIKE 'IMPORT-%';"
        " ANALYZE TABLE product",
        database,
    )


def _post(client: Client, rows: list[dict[str, Any]]) -> None:
    answer = client.post_json(PATH, {"data": rows})
    if answer.status != 201:
        raise BenchError(f"POST {PATH}: HTTP {answer.status}: {answer.body[:300]!r}")
    saved = answer.json().get("data")
    if not isinstance(saved, list) or len(saved) != len(rows):
        raise BenchError(f"POST {PATH}: expected {len(rows)} saved rows back")


def clean_up_sqlite(path: Path, also: str | None = None) -> None:
    """Delete the rows D inserted into the SQLite file at ``path`` (the server may still be
    serving it: the delete waits for its writers), and run ``also`` in the same transaction."""
    with contextlib.closing(sqlite3.connect(path, timeout=60)) as connection, connection:
        connection.execute("DELETE FROM product WHERE sku LIKE ?", (f"{SKU_PREFIX}%",))
        if also is not None:
            connection.execute(also)
