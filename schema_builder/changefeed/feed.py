"""Reading the change feed: an entity's events after a cursor, in position order.

The position of an event orders it, and a reader must never serve a position while a lower
one may still be committed: a cursor moved past it would skip that event for good. How each
database keeps that promise (docs/change-feed.md, "Ordering"):

- PostgreSQL: positions are given at commit, a range per transaction and entity
  (``dexgate_change_commit_position``, migration 0006; positions.py), under a row lock held
  until the commit is visible, so positions are commit order and every snapshot that sees a
  position sees every lower one. Plain reads are safe.
- SQLite: one write transaction at a time, so the event ids (``AUTOINCREMENT``, never reused)
  are commit order. Plain reads are safe.
- MariaDB: the ids (``AUTO_INCREMENT``) are given at insert, not at commit. Changes of one row
  are still in order (a row's next change waits for the row lock, so its event is inserted
  after the previous one committed), but across rows a lower id may commit later. So the
  reader serves committed events only up to the lowest id it finds still in flight: it reads
  the committed events, then, with ``READ UNCOMMITTED``, the ids in the same range that exist
  at all; the first id of the second list missing from the first stops the page. What it
  cannot see is an id taken by an insert that has not written its row yet (the microseconds
  inside one INSERT statement between the two).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schema_builder.catalog import Entity, Field
from schema_builder.changefeed import positions
from schema_builder.changefeed.watch import FeedWatch
from schema_builder.errors import ChangeFeedOffError, CursorPrunedError
from schema_builder.tables import change_event, change_pruned

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# Captured rows are read with their numbers as Decimals (a decimal's digits as written);
# one decoder for all (json.loads with parse_float builds a new one per call).
_DECODER = json.JSONDecoder(parse_float=Decimal)


@dataclass(frozen=True, slots=True)
class Page:
    """Events after a cursor, and the cursor to ask with next (the last event's position, or
    the cursor given when there is none)."""

    events: list[dict[str, Any]]
    cursor: int


class ChangeFeed:
    """The pull API's reads; a long poll waits in ``watch``, which looks for new events every
    ``poll_interval`` seconds for all the requests waiting."""

    def __init__(self, engine: AsyncEngine, *, poll_interval: float = 0.2) -> None:
        self.engine = engine
        self.watch = FeedWatch(engine, interval=poll_interval)

    async def page(self, entity: Entity, after: int | None, limit: int, wait: float = 0.0) -> Page:
        """The events of ``entity`` after position ``after`` (from the oldest kept when
        None), at most ``limit``; waits up to ``wait`` seconds for one when there is none.

        Raises DX140 when the entity's change feed is off and DX141 when events after
        ``after`` were pruned."""
        if not entity.configuration.change_feed:
            raise ChangeFeedOffError(entity.alias)
        deadline = time.monotonic() + wait
        while True:
            async with self.engine.connect() as connection:
                pruned = await _pruned_through(connection, entity.alias)
                if after is not None and after < pruned:
                    raise CursorPrunedError(entity.alias, after, pruned)
                start = after if after is not None else pruned
                rows = await self._committed(connection, entity.alias, start, limit)
            if rows and self.engine.dialect.name in ("mysql", "mariadb"):
                rows = await self._settled(entity.alias, start, rows)
            if rows or time.monotonic() >= deadline:
                events = [_event(entity, row) for row in rows]
                cursor = events[-1]["position"] if events else start
                return Page(events, cursor)
            await self.watch.wait(entity.alias, start, max(0.0, deadline - time.monotonic()))

    async def _committed(
        self, connection: AsyncConnection, alias: str, after: int, limit: int
    ) -> list[sa.Row[Any]]:
        query = positions.page(connection.dialect.name, alias, after, limit)
        return list((await connection.execute(query)).all())

    async def _settled(self, alias: str, after: int, rows: list[sa.Row[Any]]) -> list[sa.Row[Any]]:
        """MariaDB: the rows before the first id still in flight (see the module docstring)."""
        last = rows[-1].at
        async with self.engine.connect() as raw:
            connection = await raw.execution_options(isolation_level="READ UNCOMMITTED")
            existing = (
                await connection.scalars(
                    sa.select(change_event.c.id)
                    .where(
                        change_event.c.entity == alias,
                        change_event.c.id > after,
                        change_event.c.id <= last,
                    )
                    .order_by(change_event.c.id)
                )
            ).all()
        committed = {row.at for row in rows}
        in_flight = next((i for i in existing if i not in committed), None)
        if in_flight is None:
            return rows
        return [row for row in rows if row.at < in_flight]


async def _pruned_through(connection: AsyncConnection, alias: str) -> int:
    value = await connection.scalar(
        sa.select(change_pruned.c.position).where(change_pruned.c.entity == alias)
    )
    return int(value or 0)


def _event(entity: Entity, row: sa.Row[Any]) -> dict[str, Any]:
    identifier = _loads(row.identifier)
    key = identifier[0] if isinstance(identifier, list) and identifier else identifier
    occurred: datetime = row.occurred_at
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    return {
        "id": int(row.id),
        "entity": row.entity,
        "operation": row.operation,
        "identifier": _value(entity.identifier, key),
        "old": _shown(entity, row.old_row),
        "new": _shown(entity, row.new_row),
        "actor": row.actor,
        "occurredAt": occurred.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "position": int(row.at),
    }


def _loads(text: str | None) -> Any:
    return None if text is None else _DECODER.decode(text)


def _shown(entity: Entity, text: str | None) -> dict[str, Any] | None:
    """A captured row as the API shows the entity's rows: its fields in their order, values
    in their JSON form whatever the database's JSON functions made of them. A name no longer
    configured (the fields changed since) is kept as captured."""
    values = _loads(text)
    if not isinstance(values, dict):
        return None
    shown = {f.name: _value(f, values.pop(f.name)) for f in entity.fields if f.name in values}
    shown.update({name: _plain(value) for name, value in values.items()})
    return shown


def _value(field: Field, value: Any) -> Any:
    if value is None:
        return None
    kind = field.type
    if kind == "boolean" and isinstance(value, int | Decimal):
        return bool(value)
    if kind == "decimal" and isinstance(value, int | Decimal):
        return _decimal(field, Decimal(value))
    if kind == "float" and isinstance(value, Decimal):
        return float(value)
    if kind in ("date", "datetime") and isinstance(value, str):
        return _iso(value, kind)
    if kind == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return _plain(value)


def _decimal(field: Field, value: Decimal) -> str:
    """As the API writes the column's decimals: with its scale (SQLite's REAL keeps none)."""
    scale = field.column_scale
    if scale is not None and value.is_finite():
        with contextlib.suppress(InvalidOperation):  # beyond the context's 28 digits
            value = value.quantize(Decimal(1).scaleb(-scale))
    return str(value)


def _iso(text: str, kind: str) -> str:
    """A date or date-time written by the database (``2024-05-01 10:00:00.000000``,
    ``2024-05-01T10:00:00``) as the API writes it, or the text when it is neither."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    if kind == "date" and len(text) <= 10:
        return date(parsed.year, parsed.month, parsed.day).isoformat()
    return parsed.isoformat()


def _plain(value: Any) -> Any:
    """JSON numbers as numbers: whole ones as int, others as float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


async def newest_position(connection: AsyncConnection, alias: str) -> int:
    """The highest position of the entity's events now (0 when there is none): where a
    reader that wants only what changes from now on starts."""
    value = await connection.scalar(positions.newest(connection.dialect.name, alias))
    pruned = await _pruned_through(connection, alias)
    return max(int(value or 0), pruned)
