"""Retention: events older than ``DEXGATE_EVENT_RETENTION`` are removed in bounded batches.

Each batch removes at most :data:`BATCH` events (oldest first) in one short transaction and
raises, per entity, the highest position it removed (``dexgate_change_pruned``), which the
pull API compares a cursor with: a cursor below it has missed events and is answered 410
(DX141). :class:`Pruner` runs the batches every ``interval`` seconds inside ``dexgate serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.transactions import write_transaction
from schema_builder.changefeed import positions
from schema_builder.tables import change_commit, change_event, change_pruned

BATCH = 1000
# Batches in one round at most, so that one round stays short however much is due.
MAX_BATCHES = 100

logger = logging.getLogger("dexgate.changefeed")


async def prune_batch(engine: AsyncEngine, older_than: datetime, batch: int = BATCH) -> int:
    """Remove at most ``batch`` events that occurred before ``older_than``; how many."""
    # The oldest events by id (events are recorded in about the order they occur), those of
    # them that are due: no index on the time, and a round that finds nothing due reads one
    # batch and writes nothing.
    async with engine.connect() as connection:
        oldest = (await connection.execute(positions.oldest(engine.dialect.name, batch))).all()
    rows = [row for row in oldest if _aware(row.occurred_at) < older_than]
    if not rows:
        return 0
    async with write_transaction(engine) as connection:
        highest: dict[str, int] = {}
        for row in rows:
            highest[row.entity] = max(highest.get(row.entity, 0), int(row.at))
        await connection.execute(
            sa.delete(change_event).where(change_event.c.id.in_([row.id for row in rows]))
        )
        if engine.dialect.name == "postgresql":
            # The commit rows left without events.
            commits = {int(row.commit_id) for row in rows}
            await connection.execute(
                sa.delete(change_commit).where(
                    change_commit.c.id.in_(commits),
                    ~sa.exists().where(change_event.c.commit_id == change_commit.c.id),
                )
            )
        for entity, at in highest.items():
            updated = await connection.execute(
                sa.update(change_pruned)
                .where(change_pruned.c.entity == entity, change_pruned.c.position < at)
                .values(position=at)
            )
            if updated.rowcount == 0:
                exists = await connection.scalar(
                    sa.select(change_pruned.c.position).where(change_pruned.c.entity == entity)
                )
                if exists is None:
                    await connection.execute(
                        sa.insert(change_pruned).values(entity=entity, position=at)
                    )
    return len(rows)


def _aware(value: datetime) -> datetime:
    """SQLite and MariaDB give the UTC time without its zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


PruneBatch = Callable[[AsyncEngine, datetime, int], Awaitable[int]]


async def in_batches(
    prune_one: PruneBatch, engine: AsyncEngine, retention: float, batch: int = BATCH
) -> int:
    """One round of ``prune_one``: batches of what is older than ``retention`` seconds until
    one removes fewer than ``batch`` (nothing more is due) or :data:`MAX_BATCHES` ran; how
    many were removed."""
    older_than = datetime.now(UTC) - timedelta(seconds=retention)
    removed = 0
    for _ in range(MAX_BATCHES):
        count = await prune_one(engine, older_than, batch)
        removed += count
        if count < batch:
            break
    return removed


async def prune(engine: AsyncEngine, retention: float, *, batch: int = BATCH) -> int:
    """One round of the events (:func:`in_batches`)."""
    return await in_batches(prune_batch, engine, retention, batch)


Pruning = Callable[[AsyncEngine, float], Awaitable[int]]


class Pruner:
    """The background task of one serving process: a round every ``interval`` seconds, of
    the events and of what ``also`` prunes with the same retention (webhook deliveries)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        retention: float,
        interval: float,
        also: Sequence[Pruning] = (),
    ) -> None:
        self.engine = engine
        self.retention = retention
        self.interval = interval
        self.rounds: tuple[Pruning, ...] = (prune, *also)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            for pruning in self.rounds:
                try:
                    removed = await pruning(self.engine, self.retention)
                except Exception:  # a database outage: try again next round
                    logger.exception("Pruning failed (%s)", pruning.__qualname__)
                else:
                    if removed:
                        logger.info("Pruned %d rows (%s)", removed, pruning.__qualname__)
            await asyncio.sleep(self.interval)
