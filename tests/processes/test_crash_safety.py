"""A server killed in the middle of a bulk write leaves no partial rows; one asked to stop
(SIGTERM) finishes the request in flight first.

The kill is timed by watching the database for the write's INSERT statements (PostgreSQL's
``pg_stat_activity``, MariaDB's process list), so it lands while the transaction is open, not
before or after it.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.processes.conftest import (
    Server,
    StartServer,
    wait_for_statement,
    wait_until_disconnected,
)

PRODUCTS = "/dynamic-entity/products"
# Writes larger than the default limits on items and body size (docs/operations.md), allowed
BULK = {"DEXGATE_MAX_WRITE_ITEMS": "50000", "DEXGATE_MAX_BODY_SIZE": str(32 * 1024 * 1024)}


def products(count: int, *, stocks: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """New products under an SKU prefix of their own (SKUs are upper-cased on write)."""
    prefix = f"CRASH-{uuid.uuid4().hex[:8].upper()}-"
    rows: list[dict[str, Any]] = []
    for i in range(count):
        row: dict[str, Any] = {
            "sku": f"{prefix}{i:05d}",
            "name": f"Crash test product {i}",
            "price": "9.99",
            "category_id": (i % 12) + 1,
        }
        if stocks:
            row["stocks"] = [
                {"warehouse": "north", "quantity": i % 50},
                {"warehouse": "south", "quantity": i % 70},
            ]
        rows.append(row)
    return prefix, rows


async def count_products(database: AsyncEngine, prefix: str) -> int:
    async with database.connect() as connection:
        count = await connection.scalar(
            sa.text("SELECT count(*) FROM product WHERE sku LIKE :prefix"),
            {"prefix": prefix + "%"},
        )
    return int(count or 0)


def database_name(database: AsyncEngine) -> str:
    name = database.url.database
    assert name is not None
    return name


def post(
    server: Server, key: str, rows: list[dict[str, Any]], *, transactional: bool = True
) -> asyncio.Task[httpx.Response]:
    """The POST, sent in the background."""

    async def send() -> httpx.Response:
        headers = {"X-Api-Key": key}
        if not transactional:
            headers["X-Is-Transactional"] = "false"
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as web:
            return await web.post(PRODUCTS, json={"data": rows}, headers=headers)

    return asyncio.create_task(send())


async def killed_during(
    request: asyncio.Task[httpx.Response],
    server: Server,
    database: AsyncEngine,
    statement: str,
) -> None:
    """SIGKILL the server once ``statement`` runs in an open transaction; the client sees the
    connection drop."""
    await wait_for_statement(database, database_name(database), statement)
    server.kill_group()
    assert await server.exited(10) == -signal.SIGKILL
    with pytest.raises(httpx.TransportError):
        await request
    await wait_until_disconnected(database, database_name(database))


async def test_sigkill_during_a_transactional_bulk_write_leaves_no_rows(
    start_server: StartServer, admin_key: str, database: AsyncEngine
) -> None:
    server = await start_server(**BULK)
    prefix, rows = products(20_000)
    request = post(server, admin_key, rows)
    await killed_during(request, server, database, "INSERT INTO product %")
    assert await count_products(database, prefix) == 0


async def test_sigkill_during_a_partial_write_leaves_no_item_half_written(
    start_server: StartServer, admin_key: str, database: AsyncEngine
) -> None:
    server = await start_server(**BULK)
    prefix, rows = products(5_000, stocks=True)
    request = post(server, admin_key, rows, transactional=False)
    # the children are written after their parents: kill while parents are in, children not all
    await killed_during(request, server, database, "INSERT INTO product_stock %")
    async with database.connect() as connection:
        stocks_per_product = (
            await connection.execute(
                sa.text(
                    "SELECT p.id_product, count(s.id_product_stock) FROM product p "
                    "LEFT JOIN product_stock s ON s.product_id = p.id_product "
                    "WHERE p.sku LIKE :prefix GROUP BY p.id_product"
                ),
                {"prefix": prefix + "%"},
            )
        ).all()
    # every item is all there (the product and both its stocks) or not there at all
    assert {count for _id, count in stocks_per_product} <= {2}


async def test_sigterm_lets_the_request_in_flight_finish_then_exits(
    start_server: StartServer, admin_key: str, database: AsyncEngine
) -> None:
    server = await start_server(**BULK)
    prefix, rows = products(10_000)
    request = post(server, admin_key, rows)
    await wait_for_statement(database, database_name(database), "INSERT INTO product %")
    server.signal(signal.SIGTERM)
    response = await asyncio.wait_for(request, 60)
    assert response.status_code == 201, response.text[:500]
    assert len(response.json()["data"]) == 10_000
    # uvicorn re-raises the signal once it has shut down, so the status says SIGTERM
    assert await server.exited(15) in (0, -signal.SIGTERM), server.output()
    assert await count_products(database, prefix) == 10_000
    # and it no longer takes requests
    with pytest.raises(httpx.TransportError):
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as web:
            await web.get("/health/live")
