"""Delivery: events taken from the change feed into deliveries, sent, retried, recorded.

One round of :meth:`DeliveryWorker.round`:

1. **Fan-out.** For each active webhook and each of its entities, the events after the
   webhook's cursor (read as the pull API reads them: never past a position that may still
   commit) become deliveries, one per event whose operation the webhook takes, with the event's
   JSON as the body; the cursor moves on in the same transaction. The cursor rows are locked
   (``FOR UPDATE SKIP LOCKED`` on PostgreSQL and MariaDB; SQLite has one writer at a time), so
   two processes never fan out the same events.
2. **Claim.** Due deliveries (pending, their next attempt due, not claimed or their claim run
   out) whose row has no earlier pending delivery for that webhook — a later change of a row
   is not sent before the earlier one is acknowledged — are claimed for :attr:`lease` seconds
   (``FOR UPDATE SKIP LOCKED`` again). A process killed mid-delivery loses nothing: its claims
   run out and another round sends them again.
3. **Send** the claimed ones all at once (they are of different rows), each a signed POST
   (Standard Webhooks headers, ``webhook-id`` the event id on every retry), the address
   checked again first.
4. **Record** every attempt (status, duration, the answer's first 500 characters). A 2xx
   acknowledges; a 410 disables the webhook (its deliveries wait, pending, until it is enabled
   again); anything else — other answers, timeouts, refused addresses, network errors — is
   retried after an exponential backoff with jitter (1 s doubling up to an hour), or after the
   ``Retry-After`` the receiver asked for when that is longer; a delivery still failing past
   the horizon (3 days) since it became due is dead: kept, listed, redeliverable.
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

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.transactions import write_transaction
from schema_builder.catalog import Catalog
from schema_builder.changefeed.feed import ChangeFeed
from schema_builder.errors import ChangeFeedOffError, CursorPrunedError
from schema_builder.registry import CatalogRegistry
from schema_builder.tables import webhook, webhook_attempt, webhook_cursor, webhook_delivery
from schema_builder.webhooks import addresses, signing
from schema_builder.webhooks.secrets import SecretBox
from schema_builder.webhooks.sender import Outcome, post

logger = logging.getLogger("dexgate.webhooks")

FIRST_RETRY = 1.0
AFTER_ERROR = 5.0
LONGEST_RETRY = 3600.0


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    timeout: float = 10.0
    horizon: float = 3 * 24 * 3600.0
    allow_private: bool = False
    # A round claims as many deliveries as it sends at once: every claimed delivery is being
    # sent from the start of its claim, so the lease only has to outlast one attempt.
    batch: int = 50
    fan_out: int = 500
    idle: float = 0.2

    @property
    def lease(self) -> float:
        """How long a claim holds: past the longest attempt (the address check and the
        timeout), with a margin."""
        return self.timeout * 2 + 5.0


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


@dataclass(slots=True)
class RoundReport:
    fanned_out: int = 0
    sent: int = 0
    acknowledged: int = 0
    failed: list[int] = field(default_factory=list)


class DeliveryWorker:
    """Runs rounds in the background of a serving process (or of ``dexgate deliver``)."""

    def __init__(
        self,
        engine: AsyncEngine,
        registry: CatalogRegistry,
        box: SecretBox,
        options: DeliveryOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.box = box
        self.options = options or DeliveryOptions()
        self.feed = ChangeFeed(engine)
        self._client = httpx.AsyncClient(
            transport=transport,
            limits=httpx.Limits(max_connections=self.options.batch),
        )
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                report = await self.round()
            except Exception:  # a database outage, a secret that cannot be read: try again
                logger.exception(
                    "A webhook delivery round failed; trying again in %g s", AFTER_ERROR
                )
                await asyncio.sleep(AFTER_ERROR)
                continue
            if not (report.sent or report.fanned_out):
                await asyncio.sleep(self.options.idle)

    # --- one round ---------------------------------------------------------------------------

    async def round(self) -> RoundReport:
        report = RoundReport()
        catalog = await self.registry.current()
        report.fanned_out = await self.fan_out(catalog)
        claimed = await self._claim()
        if not claimed:
            return report
        targets = await self._targets({row.webhook_id for row in claimed})

        async def attempt(row: Any) -> tuple[Any, Outcome]:
            return row, await self._send(targets[row.webhook_id], row)

        results = await asyncio.gather(*(attempt(row) for row in claimed))
        await self._record(results, targets, report)
        report.sent = len(results)
        return report

    async def fan_out(self, catalog: Catalog) -> int:
        """New deliveries from the change feed, for every active webhook; how many."""
        made = 0
        async with self.engine.connect() as connection:
            hooks = (
                await connection.execute(
                    sa.select(webhook.c.id, webhook.c.operations).where(webhook.c.active)
                )
            ).all()
        for hook in hooks:
            operations = set(_listed(hook.operations))
            made += await self._fan_out_one(catalog, int(hook.id), operations)
        return made

    async def _fan_out_one(self, catalog: Catalog, webhook_id: int, operations: set[str]) -> int:
        if not await self._has_news(catalog, webhook_id):
            return 0
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

    async def _has_news(self, catalog: Catalog, webhook_id: int) -> bool:
        """Whether an entity of the webhook has an event after its cursor: read plainly, so
        that a round with nothing new writes nothing."""
        async with self.engine.connect() as connection:
            cursors = (
                await connection.execute(
                    sa.select(webhook_cursor.c.entity, webhook_cursor.c.position).where(
                        webhook_cursor.c.webhook_id == webhook_id
                    )
                )
            ).all()
        for cursor in cursors:
            entity = catalog.entities.get(cursor.entity)
            if entity is None or not entity.configuration.change_feed:
                continue
            try:
                page = await self.feed.page(entity, int(cursor.position), 1)
            except CursorPrunedError:
                return True
            if page.events:
                return True
        return False

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
        waiting = (
            sa.select(earlier.c.id)
            .where(
                earlier.c.webhook_id == d.c.webhook_id,
                earlier.c.entity == d.c.entity,
                earlier.c.row_key == d.c.row_key,
                earlier.c.status == "pending",
                earlier.c.position < d.c.position,
            )
            .exists()
        )
        active = sa.select(webhook.c.id).where(webhook.c.active)
        # First the candidates, read plainly; then those of them no other process holds,
        # locked. (A locking read with the subquery would lock, or skip, the earlier rows it
        # looks at; and a round with nothing due writes nothing.)
        async with self.engine.connect() as connection:
            candidates = (
                await connection.scalars(
                    sa.select(d.c.id)
                    .where(due, ~waiting, d.c.webhook_id.in_(active))
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
            address = await addresses.check(target.url, allow_private=self.options.allow_private)
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
        results: Sequence[tuple[Any, Outcome]],
        targets: dict[int, _Target],
        report: RoundReport,
    ) -> None:
        d = webhook_delivery
        now = datetime.now(UTC)
        gone: set[int] = set()
        acknowledged: list[int] = []
        async with write_transaction(self.engine) as connection:
            # Every attempt in one statement, the acknowledged ones in another; the others
            # one by one (each has its own next attempt).
            await connection.execute(
                sa.insert(webhook_attempt),
                [
                    {
                        "delivery_id": row.id,
                        "at": now,
                        "status_code": outcome.status_code,
                        "duration_ms": outcome.duration_ms,
                        "error": outcome.error,
                        "response": outcome.response,
                    }
                    for row, outcome in results
                ],
            )
            for row, outcome in results:
                attempts = int(row.attempts) + 1
                if outcome.acknowledged:
                    acknowledged.append(int(row.id))
                    continue
                if outcome.status_code == 410:
                    gone.add(int(row.webhook_id))
                    values: dict[str, Any] = {"next_attempt_at": now}
                else:
                    report.failed.append(int(row.id))
                    delay = backoff(attempts, outcome.retry_after)
                    horizon = _aware(row.due_since) + timedelta(seconds=self.options.horizon)
                    if now + timedelta(seconds=delay) > horizon:
                        values = {"status": "dead", "finished_at": now}
                    else:
                        values = {"next_attempt_at": now + timedelta(seconds=delay)}
                await connection.execute(
                    sa.update(d)
                    .where(d.c.id == row.id)
                    .values(attempts=attempts, claimed_until=None, **values)
                )
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
                report.acknowledged += len(acknowledged)
            for webhook_id in gone:
                await connection.execute(
                    sa.update(webhook)
                    .where(webhook.c.id == webhook_id)
                    .values(active=False, disabled_reason="the receiver answered 410 Gone")
                )
                logger.warning(
                    "Webhook %s disabled: its receiver answered 410", targets[webhook_id].name
                )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value]
