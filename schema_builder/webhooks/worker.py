"""Delivery: events taken from the change feed into deliveries, sent, retried, recorded.

One round of :meth:`DeliveryWorker.round`:

1. **Fan-out.** A few reads find the active webhooks with an event after one of their
   cursors. For each of them and each of its entities, the events after the webhook's cursor
   (read as the pull API reads them: never past a position that may still commit; up to
   :attr:`DeliveryOptions.fan_out` a round) become deliveries, one per event whose operation
   the webhook takes, with the event's JSON as the body; the cursor moves on in the same
   transaction. The cursor rows are locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL and
   MariaDB; SQLite has one writer at a time), so two processes never fan out the same events.
2. **Claim.** Up to :attr:`DeliveryOptions.batch` due deliveries (pending, their next attempt
   due, not claimed or their claim run out) whose row has no earlier pending delivery for that
   webhook — a later change of a row is not sent before the earlier one is acknowledged — are
   claimed for :attr:`DeliveryOptions.lease` seconds (``FOR UPDATE SKIP LOCKED`` again). A
   process killed mid-delivery loses nothing: its claims run out and another round sends
   them again.
3. **Send** the claimed ones (they are of different rows), at most
   :attr:`DeliveryOptions.concurrency` at once per webhook, over kept-alive connections
   (one pool per receiver address), each a signed POST (Standard Webhooks headers,
   ``webhook-id`` the event id on every retry), the address checked again first (a host's
   checked address is kept :attr:`DeliveryOptions.address_ttl` seconds). An attempt starts
   within :attr:`DeliveryOptions.start_within` seconds of its claim or not at all (the lease
   outlasts the longest attempt started in time, so no other process can take the delivery
   while it is under way); one not started in time, or of a webhook that answered 410 in the
   meantime, is released unsent (no attempt recorded) for a later round.
4. **Record** every attempt (status, duration, the answer's first 500 characters), the whole
   batch in one transaction. A 2xx acknowledges; a 410 disables the webhook (its deliveries
   wait, pending, until it is enabled again); anything else — other answers, timeouts,
   refused addresses, network errors — is retried after an exponential backoff with jitter
   (1 s doubling up to an hour), or after the ``Retry-After`` the receiver asked for when
   that is longer; a delivery still failing past the horizon (3 days) since it became due is
   dead: kept, listed, redeliverable.

The serving process runs rounds continuously, pipelined: while one claimed batch is being
sent and recorded (up to :attr:`DeliveryOptions.pipeline` at once), the next is fanned out
and claimed — the claim's order check counts the batches in flight as pending, so a row's
later change still waits for the earlier one's acknowledgement. With nothing to claim it
looks for new events every :attr:`DeliveryOptions.poll` seconds (a read per cursor), and for
due retries at least every :attr:`DeliveryOptions.idle` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.transactions import write_transaction
from schema_builder.catalog import Catalog
from schema_builder.changefeed import positions
from schema_builder.changefeed.feed import ChangeFeed
from schema_builder.errors import ChangeFeedOffError, CursorPrunedError
from schema_builder.registry import CatalogRegistry
from schema_builder.tables import (
    change_pruned,
    webhook,
    webhook_attempt,
    webhook_cursor,
    webhook_delivery,
)
from schema_builder.webhooks import addresses, signing
from schema_builder.webhooks.client import WebhookClient
from schema_builder.webhooks.secrets import SecretBox
from schema_builder.webhooks.sender import Outcome, post

logger = logging.getLogger("dexgate.webhooks")

# the claim's order check on MariaDB (see _claim)
ROW_INDEX_HINT = "FORCE INDEX (ix_dexgate_webhook_delivery_row)"
FIRST_RETRY = 1.0
AFTER_ERROR = 5.0
LONGEST_RETRY = 3600.0


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    timeout: float = 10.0
    horizon: float = 3 * 24 * 3600.0
    allow_private: bool = False
    # deliveries claimed at once, and events read per entity per fan-out
    batch: int = 500
    fan_out: int = 1000
    # attempts at once per webhook; claimed batches being sent at once
    concurrency: int = 32
    pipeline: int = 2
    # with nothing to claim: how often to look for new events, and for due retries
    poll: float = 0.05
    idle: float = 1.0
    # how long a host's checked address is kept (AddressCache)
    address_ttl: float = 5.0
    # an attempt starts within this many seconds of its claim, or is released unsent
    start_within: float = 5.0

    @property
    def lease(self) -> float:
        """How long a claim holds: past the latest start of an attempt and the longest
        attempt (the address check and the timeout), with a margin for clocks."""
        return self.start_within + self.timeout * 2 + 5.0


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: doubling from 1 s up
    to an hour, times a jitter of 0.5 to 1.5, or the receiver's ``Retry-After`` if longer."""
    delay = min(LONGEST_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))
    delay *= random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not a secret
    return float(max(delay, retry_after or 0.0))


@dataclass(slots=True)
class _Target:
    url: str
    secret: str
    active: bool
    name: str
    # answered 410 during this batch: its attempts not started yet are released
    gone: bool = False


@dataclass(slots=True)
class RoundReport:
    fanned_out: int = 0
    sent: int = 0
    acknowledged: int = 0
    failed: list[int] = field(default_factory=list)
    released: int = 0


class DeliveryWorker:
    """Runs rounds in the background of a serving process (or of ``dexgate deliver``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        registry: CatalogRegistry,
        box: SecretBox,
        options: DeliveryOptions | None = None,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.box = box
        self.options = options or DeliveryOptions()
        self.feed = ChangeFeed(engine)
        self.addresses = addresses.AddressCache(self.options.address_ttl)
        # connections kept per receiver (origin): as many as a webhook's attempts at once
        self._client = WebhookClient(keep=self.options.concurrency)
        self._gates: dict[int, asyncio.Semaphore] = {}
        self._task: asyncio.Task[None] | None = None
        self._busy: set[asyncio.Task[None]] = set()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._busy) if t is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.aclose()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        # New deliveries are made when the claims have (nearly) run out of them: the pending
        # ones stay few, and the claim's order check looks at few rows.
        fan_out = True
        while True:
            try:
                if fan_out:
                    await self.fan_out(await self.registry.current())
                claimed = await self._claim()
                fan_out = len(claimed) < self.options.batch
            except Exception:  # a database outage, a secret that cannot be read: try again
                logger.exception(
                    "A webhook delivery round failed; trying again in %g s", AFTER_ERROR
                )
                await asyncio.sleep(AFTER_ERROR)
                continue
            if claimed:
                task = loop.create_task(self._deliver_logged(claimed))
                self._busy.add(task)
                task.add_done_callback(self._busy.discard)
                if len(self._busy) >= self.options.pipeline:
                    await asyncio.wait(set(self._busy), return_when=asyncio.FIRST_COMPLETED)
            elif self._busy:
                # what is left may wait for the batches in flight (later changes of their rows)
                await asyncio.wait(
                    set(self._busy),
                    timeout=self.options.poll,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            else:
                await self._quiet()

    async def _quiet(self) -> None:
        """Wait for a new event (looked for every ``poll`` seconds) or ``idle`` seconds."""
        until = time.monotonic() + self.options.idle
        while time.monotonic() < until:
            await asyncio.sleep(self.options.poll)
            try:
                news = await self._news(await self.registry.current())
            except Exception:  # the round that follows says what failed
                return
            if news is None:
                # No active webhook: nothing to look for until the next round, rather than
                # a query every ``poll`` seconds in every serving process.
                await asyncio.sleep(max(0.0, until - time.monotonic()))
                return
            if news:
                return

    async def _deliver_logged(self, claimed: list[Any]) -> None:
        try:
            await self._deliver(claimed, RoundReport())
        except Exception:  # its claims run out and a later round sends them again
            logger.exception("Sending or recording %d webhook deliveries failed", len(claimed))

    # --- one round ---------------------------------------------------------------------------

    async def round(self) -> RoundReport:
        report = RoundReport()
        catalog = await self.registry.current()
        report.fanned_out = await self.fan_out(catalog)
        claimed = await self._claim()
        if claimed:
            await self._deliver(claimed, report)
        return report

    async def _deliver(self, claimed: list[Any], report: RoundReport) -> None:
        """Send ``claimed`` (claimed just now) and record what came of it."""
        start_by = time.monotonic() + self.options.start_within
        targets = await self._targets({row.webhook_id for row in claimed})

        async def attempt(row: Any) -> tuple[Any, Outcome | None]:
            target = targets[row.webhook_id]
            async with self._gate(int(row.webhook_id)):
                if target.gone or time.monotonic() > start_by:
                    return row, None
                outcome = await self._send(target, row)
            if outcome.status_code == 410:
                target.gone = True
            return row, outcome

        results = await asyncio.gather(*(attempt(row) for row in claimed))
        await self._record(results, targets, report)

    def _gate(self, webhook_id: int) -> asyncio.Semaphore:
        gate = self._gates.get(webhook_id)
        if gate is None:
            gate = self._gates[webhook_id] = asyncio.Semaphore(self.options.concurrency)
        return gate

    async def _news(self, catalog: Catalog) -> dict[int, list[str]] | None:
        """The active webhooks with an event (or a pruning) after one of their cursors, each
        with those entities (None when no webhook is active): the cursors in one query, then
        one ``EXISTS`` per cursor with its position as a value (so that every database plans
        it as the feed's own read, from the position's index: correlated with the cursor
        table, PostgreSQL read every event of the entity), so that a round with nothing new
        costs little and writes nothing."""
        c, p = webhook_cursor, change_pruned
        news: dict[int, list[str]] = {}
        async with self.engine.connect() as connection:
            cursors = (
                await connection.execute(
                    sa.select(c.c.webhook_id, c.c.entity, c.c.position)
                    .join(webhook, webhook.c.id == c.c.webhook_id)
                    .where(webhook.c.active)
                )
            ).all()
            if not cursors:
                return None
            for cursor in cursors:
                entity = catalog.entities.get(cursor.entity)
                if entity is None or not entity.configuration.change_feed:
                    continue
                after = int(cursor.position)
                later = positions.later(self.engine.dialect.name, cursor.entity, after)
                pruned = (
                    sa.select(p.c.entity)
                    .where(p.c.entity == cursor.entity, p.c.position > after)
                    .exists()
                )
                if await connection.scalar(sa.select(sa.or_(later, pruned))):
                    news.setdefault(int(cursor.webhook_id), []).append(cursor.entity)
        return news

    async def fan_out(self, catalog: Catalog) -> int:
        """New deliveries from the change feed, for every active webhook; how many."""
        news = await self._news(catalog)
        if not news:
            return 0
        async with self.engine.connect() as connection:
            hooks = (
                await connection.execute(
                    sa.select(webhook.c.id, webhook.c.operations).where(
                        webhook.c.id.in_(list(news)), webhook.c.active
                    )
                )
            ).all()
        made = 0
        for hook in hooks:
            operations = set(_listed(hook.operations))
            made += await self._fan_out_one(catalog, int(hook.id), operations)
        return made

    async def _fan_out_one(self, catalog: Catalog, webhook_id: int, operations: set[str]) -> int:
        made = 0
        async with write_transaction(self.engine) as connection:
            cursors = (
                await connection.execute(
                    sa.select(webhook_cursor.c.entity, webhook_cursor.c.position)
                    .where(webhook_cursor.c.webhook_id == webhook_id)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            now = datetime.now(UTC)
            for cursor in cursors:
                entity = catalog.entities.get(cursor.entity)
                if entity is None:
                    continue
                try:
                    page = await self.feed.page(entity, int(cursor.position), self.options.fan_out)
                except ChangeFeedOffError:
                    continue
                except CursorPrunedError as exc:
                    logger.warning(
                        "Webhook %s missed events of %s pruned up to position %s",
                        webhook_id,
                        entity.alias,
                        exc.pruned,
                    )
                    await self._move(connection, webhook_id, entity.alias, exc.pruned)
                    continue
                rows = [
                    {
                        "webhook_id": webhook_id,
                        "event_id": event["id"],
                        "position": event["position"],
                        "entity": entity.alias,
                        "row_key": json.dumps(event["identifier"])[:500],
                        "body": json.dumps(event, separators=(",", ":"), ensure_ascii=False),
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "due_since": now,
                    }
                    for event in page.events
                    if event["operation"] in operations
                ]
                if rows:
                    await connection.execute(sa.insert(webhook_delivery), rows)
                    made += len(rows)
                if page.cursor != int(cursor.position):
                    await self._move(connection, webhook_id, entity.alias, page.cursor)
        return made

    @staticmethod
    async def _move(
        connection: AsyncConnection, webhook_id: int, entity: str, position: int
    ) -> None:
        await connection.execute(
            sa.update(webhook_cursor)
            .where(webhook_cursor.c.webhook_id == webhook_id, webhook_cursor.c.entity == entity)
            .values(position=position)
        )

    async def _claim(self) -> list[Any]:
        d = webhook_delivery
        earlier = d.alias("earlier")
        now = datetime.now(UTC)
        due = sa.and_(
            d.c.status == "pending",
            d.c.next_attempt_at <= now,
            sa.or_(d.c.claimed_until.is_(None), d.c.claimed_until < now),
        )
        # The first pending delivery of its row: as a scalar subquery, which every database
        # runs per candidate through the row index. (Written as NOT EXISTS an earlier pending
        # one, PostgreSQL planned an anti-join from statistics taken while the table was
        # empty, rereading every pending delivery per candidate: 3.4 s for 1,000 candidates.
        # MariaDB is told the index: left to choose, it took seconds at times in the bench.)
        first = (
            sa.select(sa.func.min(earlier.c.position))
            .where(
                earlier.c.webhook_id == d.c.webhook_id,
                earlier.c.entity == d.c.entity,
                earlier.c.row_key == d.c.row_key,
                earlier.c.status == "pending",
            )
            .with_hint(earlier, ROW_INDEX_HINT, "mysql")
            .with_hint(earlier, ROW_INDEX_HINT, "mariadb")
            .scalar_subquery()
        )
        # First the candidates, read plainly; then those of them no other process holds,
        # locked. (A locking read with the subquery would lock, or skip, the earlier rows it
        # looks at; and a round with nothing due writes nothing.) The active webhooks are
        # read first and given as a list: as a subquery, MariaDB 10.11 planned the query
        # from the webhook table through every delivery of it (seconds with 5,000 pending).
        async with self.engine.connect() as connection:
            active = (
                await connection.scalars(sa.select(webhook.c.id).where(webhook.c.active))
            ).all()
            if not active:
                return []
            candidates = (
                await connection.scalars(
                    sa.select(d.c.id)
                    .where(due, d.c.position == first, d.c.webhook_id.in_(list(active)))
                    .order_by(d.c.position)
                    .limit(self.options.batch)
                )
            ).all()
        if not candidates:
            return []
        async with write_transaction(self.engine) as connection:
            rows = (
                await connection.execute(
                    sa.select(
                        d.c.id,
                        d.c.webhook_id,
                        d.c.event_id,
                        d.c.body,
                        d.c.attempts,
                        d.c.due_since,
                    )
                    .where(d.c.id.in_(candidates), due)
                    .order_by(d.c.position)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if rows:
                await connection.execute(
                    sa.update(d)
                    .where(d.c.id.in_([row.id for row in rows]))
                    .values(claimed_until=now + timedelta(seconds=self.options.lease))
                )
        return list(rows)

    async def _targets(self, ids: set[int]) -> dict[int, _Target]:
        async with self.engine.connect() as connection:
            rows = (await connection.execute(sa.select(webhook).where(webhook.c.id.in_(ids)))).all()
        return {
            int(row.id): _Target(row.url, self.box.open(row.secret), bool(row.active), row.name)
            for row in rows
        }

    async def _send(self, target: _Target, row: Any) -> Outcome:
        started = time.monotonic()
        try:
            address = await self.addresses.check(
                target.url, allow_private=self.options.allow_private
            )
        except addresses.AddressRefusedError as exc:
            return Outcome(None, int((time.monotonic() - started) * 1000), error=str(exc)[:300])
        body = row.body.encode()
        headers = {
            "content-type": "application/json",
            "user-agent": "dexgate-webhooks",
            **signing.headers(target.secret, str(row.event_id), int(time.time()), body),
        }
        return await post(self._client, target.url, address, headers, body, self.options.timeout)

    async def _record(
        self,
        results: Sequence[tuple[Any, Outcome | None]],
        targets: dict[int, _Target],
        report: RoundReport,
    ) -> None:
        """Every attempt of a batch and what it makes of its delivery, in one transaction of
        a few statements (the failed ones all in one ``executemany``)."""
        d = webhook_delivery
        now = datetime.now(UTC)
        gone: set[int] = set()
        acknowledged: list[int] = []
        released: list[int] = []
        retried: list[dict[str, Any]] = []
        dead: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        for row, outcome in results:
            if outcome is None:
                released.append(int(row.id))
                continue
            attempts.append(
                {
                    "delivery_id": row.id,
                    "at": now,
                    "status_code": outcome.status_code,
                    "duration_ms": outcome.duration_ms,
                    "error": outcome.error,
                    "response": outcome.response,
                }
            )
            if outcome.acknowledged:
                acknowledged.append(int(row.id))
                continue
            count = int(row.attempts) + 1
            if outcome.status_code == 410:
                gone.add(int(row.webhook_id))
                retried.append({"b_id": row.id, "b_attempts": count, "b_next": now})
                continue
            report.failed.append(int(row.id))
            delay = backoff(count, outcome.retry_after)
            horizon = _aware(row.due_since) + timedelta(seconds=self.options.horizon)
            if now + timedelta(seconds=delay) > horizon:
                dead.append({"b_id": row.id, "b_attempts": count})
            else:
                later = now + timedelta(seconds=delay)
                retried.append({"b_id": row.id, "b_attempts": count, "b_next": later})
        by_id = d.c.id == sa.bindparam("b_id")
        counted: sa.BindParameter[int] = sa.bindparam("b_attempts")
        async with write_transaction(self.engine) as connection:
            if attempts:
                await connection.execute(sa.insert(webhook_attempt), attempts)
            if acknowledged:
                await connection.execute(
                    sa.update(d)
                    .where(d.c.id.in_(acknowledged))
                    .values(
                        status="delivered",
                        finished_at=now,
                        attempts=d.c.attempts + 1,
                        claimed_until=None,
                    )
                )
            if retried:
                await connection.execute(
                    sa.update(d)
                    .where(by_id)
                    .values(
                        attempts=counted,
                        claimed_until=None,
                        next_attempt_at=sa.bindparam("b_next"),
                    ),
                    retried,
                )
            if dead:
                await connection.execute(
                    sa.update(d)
                    .where(by_id)
                    .values(attempts=counted, claimed_until=None, status="dead", finished_at=now),
                    dead,
                )
            if released:
                await connection.execute(
                    sa.update(d).where(d.c.id.in_(released)).values(claimed_until=None)
                )
            for webhook_id in gone:
                await connection.execute(
                    sa.update(webhook)
                    .where(webhook.c.id == webhook_id)
                    .values(active=False, disabled_reason="the receiver answered 410 Gone")
                )
                logger.warning(
                    "Webhook %s disabled: its receiver answered 410", targets[webhook_id].name
                )
        report.sent += len(attempts)
        report.acknowledged += len(acknowledged)
        report.released += len(released)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value]
