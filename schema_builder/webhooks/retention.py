"""Retention of deliveries: those delivered longer ago than ``DEXGATE_EVENT_RETENTION`` are
removed with their attempts, in bounded batches, by the same background task that prunes the
change feed's events (:class:`schema_builder.changefeed.retention.Pruner`).

Pending deliveries are never removed (they are still to be sent), nor dead ones: a dead letter
stays, visible and redeliverable, until it is sent again (and then delivered and, after the
retention, removed) or its webhook is deleted.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.transactions import write_transaction
from schema_builder.changefeed.retention import BATCH, in_batches
from schema_builder.tables import webhook_attempt, webhook_delivery


async def prune_delivered_batch(engine: AsyncEngine, older_than: datetime, batch: int) -> int:
    """Remove at most ``batch`` deliveries delivered before ``older_than`` (oldest first),
    and their attempts; how many."""
    d = webhook_delivery
    async with engine.connect() as connection:
        ids = (
            await connection.scalars(
                sa.select(d.c.id)
                .where(d.c.status == "delivered", d.c.finished_at < older_than)
                .order_by(d.c.id)
                .limit(batch)
            )
        ).all()
    if not ids:
        return 0
    async with write_transaction(engine) as connection:
        await connection.execute(
            sa.delete(webhook_attempt).where(webhook_attempt.c.delivery_id.in_(ids))
        )
        # Checked again: a delivery sent again meanwhile is pending, and kept.
        removed = await connection.execute(
            sa.delete(d).where(d.c.id.in_(ids), d.c.status == "delivered")
        )
    return int(removed.rowcount or 0)


async def prune_delivered(engine: AsyncEngine, retention: float, *, batch: int = BATCH) -> int:
    """One round of the delivered deliveries (:func:`in_batches`)."""
    return await in_batches(prune_delivered_batch, engine, retention, batch)
