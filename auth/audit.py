"""The audit log: who changed what, and when.

Every write of entity data (REST, GraphQL, import), every change of an entity configuration
and every change of a user, role, API key or OAuth client appends one record to
``dexgate_audit_log``, in the same transaction as the change: a change that is rolled back
leaves no record, and a committed one always has its record.

A record names the actor (:attr:`auth.principal.Principal.label`, such as ``apikey:erp-sync``,
or ``cli:USER`` for the command line), the action (``create``, ``update``, ``upsert``,
``delete`` for data; ``entity.save``, ``apikey.revoke``, ... for administration), the entity
alias when there is one, the identifiers concerned (at most :data:`MAX_IDENTIFIERS`; ``count``
is always the full number) and details. Never a secret: passwords, keys and client secrets are
not recorded, only names and key prefixes.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.tables import audit_log

MAX_IDENTIFIERS = 1000
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str | None
    identifiers: tuple[Any, ...]
    count: int | None
    detail: Mapping[str, Any]


async def record(
    connection: AsyncConnection,
    actor: str,
    action: str,
    *,
    entity: str | None = None,
    identifiers: Iterable[Any] | None = None,
    count: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append a record in the connection's open transaction."""
    kept: list[Any] | None = None
    if identifiers is not None:
        listed = list(identifiers)
        kept = [_plain(v) for v in listed[:MAX_IDENTIFIERS]]
        count = len(listed) if count is None else count
    await connection.execute(
        sa.insert(audit_log).values(
            at=datetime.now(UTC),
            actor=actor[:300],
            action=action,
            entity=entity,
            identifiers=kept,
            count=count,
            detail=dict(detail) if detail else None,
        )
    )


def _plain(value: Any) -> Any:
    """An identifier as JSON keeps it: numbers and strings as they are, others as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


async def entries(
    engine: AsyncEngine,
    *,
    entity: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest records first; ``before`` (a record id) pages back."""
    t = audit_log
    query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
    conditions: Sequence[tuple[sa.Column[Any], object]] = (
        (t.c.entity, entity),
        (t.c.actor, actor),
        (t.c.action, action),
    )
    for column, value in conditions:
        if value:
            query = query.where(column == value)
    if before is not None:
        query = query.where(t.c.id < before)
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).mappings().all()
    return [
        AuditEntry(
            id=int(r["id"]),
            at=r["at"] if r["at"].tzinfo is not None else r["at"].replace(tzinfo=UTC),
            actor=r["actor"],
            action=r["action"],
            entity=r["entity"],
            identifiers=tuple(r["identifiers"] or ()),
            count=r["count"],
            detail=r["detail"] or {},
        )
        for r in rows
    ]


def command_line_actor() -> str:
    """The actor of a ``dexgate`` command: ``cli:`` and the operating-system user running it."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"cli:{user}"
