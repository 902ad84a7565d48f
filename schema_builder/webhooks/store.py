"""Webhooks in dexgate's tables: created, listed, enabled, disabled, deleted; their deliveries
listed and redelivered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.audit import record
from auth.transactions import write_transaction
from schema_builder.changefeed.feed import newest_position
from schema_builder.store import load_configurations
from schema_builder.tables import webhook, webhook_attempt, webhook_cursor, webhook_delivery
from schema_builder.webhooks import addresses
from schema_builder.webhooks.secrets import SecretBox, new_secret

OPERATIONS = ("create", "update", "delete")


class WebhookError(Exception):
    """A webhook that cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    name: str
    url: str
    entities: tuple[str, ...]
    operations: tuple[str, ...]
    active: bool
    disabled_reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    event_id: int
    position: int
    entity: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=int(row.id),
        name=row.name,
        url=row.url,
        entities=tuple(_listed(row.entities)),
        operations=tuple(_listed(row.operations)),
        active=bool(row.active),
        disabled_reason=row.disabled_reason,
        created_at=_aware(row.created_at),
    )


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):  # a JSON column some drivers hand over as text
        value = json.loads(value)
    return [str(v) for v in value]


async def create(
    engine: AsyncEngine,
    box: SecretBox,
    name: str,
    url: str,
    entities: Sequence[str],
    operations: Sequence[str] = OPERATIONS,
    *,
    start: dict[str, int],
    actor: str,
) -> str:
    """Save a webhook (its URL checked by the caller) and return its new secret, the only time
    it is shown. ``start`` is where each entity's events begin for it: the newest position
    now, so that a new webhook is sent what changes from now on."""
    if not name or len(name) > 64:
        raise WebhookError("A webhook name needs 1 to 64 characters.")
    unknown = [op for op in operations if op not in OPERATIONS]
    if unknown or not operations:
        raise WebhookError(f"Events must be some of {', '.join(OPERATIONS)}.")
    if not entities:
        raise WebhookError("A webhook needs at least one entity.")
    secret = new_secret()
    async with write_transaction(engine) as connection:
        exists = await connection.scalar(sa.select(webhook.c.id).where(webhook.c.name == name))
        if exists is not None:
            raise WebhookError(f"A webhook named {name!r} exists already.")
        webhook_id = (
            await connection.execute(
                sa.insert(webhook)
                .values(
                    name=name,
                    url=url,
                    entities=list(dict.fromkeys(entities)),
                    operations=[op for op in OPERATIONS if op in operations],
                    secret=box.seal(secret),
                    active=True,
                    created_at=datetime.now(UTC),
                )
                .returning(webhook.c.id)
            )
        ).scalar_one()
        for entity in dict.fromkeys(entities):
            await connection.execute(
                sa.insert(webhook_cursor).values(
                    webhook_id=webhook_id, entity=entity, position=start.get(entity, 0)
                )
            )
        await record(
            connection,
            actor,
            "webhook.create",
            detail={"webhook": name, "url": url, "entities": list(entities)},
        )
    return secret


async def create_checked(
    engine: AsyncEngine,
    box: SecretBox,
    name: str,
    url: str,
    entities: Sequence[str],
    operations: Sequence[str] = OPERATIONS,
    *,
    allow_private: bool,
    actor: str,
) -> str:
    """:func:`create` after the checks every way of creating one makes: the URL may be sent to
    (:mod:`schema_builder.webhooks.addresses`), each entity is registered with its change feed
    on; the webhook starts at each entity's newest event. Raises :class:`WebhookError`."""
    try:
        await addresses.check(url, allow_private=allow_private)
    except addresses.AddressRefusedError as exc:
        raise WebhookError(f"The URL is refused: {exc}") from None
    async with engine.connect() as connection:
        configured = {c.alias: c for c in await load_configurations(connection)}
        start: dict[str, int] = {}
        for alias in entities:
            config = configured.get(alias)
            if config is None:
                raise WebhookError(f"No entity `{alias}` (see `dexgate entities list`).")
            if not config.change_feed:
                raise WebhookError(
                    f"The change feed of `{alias}` is off: switch it on first "
                    f"(`dexgate entities change-feed {alias} on`)."
                )
            start[alias] = await newest_position(connection, alias)
    return await create(engine, box, name, url, entities, operations, start=start, actor=actor)


async def webhooks(engine: AsyncEngine) -> list[Webhook]:
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(webhook).order_by(webhook.c.name))).all()
    return [_webhook(row) for row in rows]


async def get(engine: AsyncEngine, name: str) -> Webhook:
    async with engine.connect() as connection:
        row = (await connection.execute(sa.select(webhook).where(webhook.c.name == name))).first()
    if row is None:
        raise WebhookError(f"No webhook named {name!r} (see `dexgate webhook list`).")
    return _webhook(row)


async def set_active(
    engine: AsyncEngine, name: str, active: bool, *, actor: str, reason: str | None = None
) -> None:
    async with write_transaction(engine) as connection:
        updated = await connection.execute(
            sa.update(webhook)
            .where(webhook.c.name == name)
            .values(active=active, disabled_reason=None if active else reason)
        )
        if updated.rowcount == 0:
            raise WebhookError(f"No webhook named {name!r} (see `dexgate webhook list`).")
        action = "webhook.enable" if active else "webhook.disable"
        await record(connection, actor, action, detail={"webhook": name})


async def delete(engine: AsyncEngine, name: str, *, actor: str) -> None:
    """The webhook, its progress, deliveries and attempts."""
    found = await get(engine, name)
    async with write_transaction(engine) as connection:
        deliveries = sa.select(webhook_delivery.c.id).where(
            webhook_delivery.c.webhook_id == found.id
        )
        await connection.execute(
            sa.delete(webhook_attempt).where(webhook_attempt.c.delivery_id.in_(deliveries))
        )
        await connection.execute(
            sa.delete(webhook_delivery).where(webhook_delivery.c.webhook_id == found.id)
        )
        await connection.execute(
            sa.delete(webhook_cursor).where(webhook_cursor.c.webhook_id == found.id)
        )
        await connection.execute(sa.delete(webhook).where(webhook.c.id == found.id))
        await record(connection, actor, "webhook.delete", detail={"webhook": name})


async def deliveries(
    engine: AsyncEngine, name: str, *, failed: bool = False, limit: int = 50
) -> list[Delivery]:
    """The newest deliveries of a webhook (``failed``: those dead, or pending after a failed
    attempt), each with its last attempt's answer."""
    found = await get(engine, name)
    d, a = webhook_delivery, webhook_attempt
    last = (
        sa.select(a.c.delivery_id, sa.func.max(a.c.id).label("last_id"))
        .group_by(a.c.delivery_id)
        .subquery()
    )
    query = (
        sa.select(d, a.c.status_code, a.c.error)
        .outerjoin(last, last.c.delivery_id == d.c.id)
        .outerjoin(a, a.c.id == last.c.last_id)
        .where(d.c.webhook_id == found.id)
        .order_by(d.c.id.desc())
        .limit(limit)
    )
    if failed:
        query = query.where(
            sa.or_(d.c.status == "dead", sa.and_(d.c.status == "pending", d.c.attempts > 0))
        )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [
        Delivery(
            id=int(r.id),
            event_id=int(r.event_id),
            position=int(r.position),
            entity=r.entity,
            status=r.status,
            attempts=int(r.attempts),
            next_attempt_at=_aware(r.next_attempt_at),
            last_status_code=r.status_code,
            last_error=r.error,
        )
        for r in rows
    ]


async def redeliver(engine: AsyncEngine, event_id: int, *, actor: str) -> int:
    """Send the event again to every webhook that had it (delivered or dead): its deliveries
    become pending, due now. How many."""
    async with write_transaction(engine) as connection:
        updated = await connection.execute(
            sa.update(webhook_delivery)
            .where(webhook_delivery.c.event_id == event_id)
            .values(
                status="pending",
                attempts=0,
                next_attempt_at=datetime.now(UTC),
                due_since=datetime.now(UTC),
                claimed_until=None,
                finished_at=None,
            )
        )
        count = int(updated.rowcount or 0)
        if count:
            await record(
                connection, actor, "webhook.redeliver", detail={"event": event_id, "count": count}
            )
    return count
