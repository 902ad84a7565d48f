"""What the demo tables hold, read straight from the database: compared before and after a
request to show that a refused write changed nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo

Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every demo table, in key order."""
    tables = (demo.country, demo.category, demo.product, demo.product_stock)
    async with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in await connection.execute(
                    sa.select(table).order_by(*table.primary_key.columns)
                )
            ]
            for table in tables
        }
