"""How an entity's events are read in position order, per database.

- SQLite and MariaDB: the event's id is its position (see feed.py for why a reader may trust
  it); an entity's events are found by the ``(entity, id)`` index.
- PostgreSQL: a transaction's events of one entity share a commit row
  (``dexgate_change_commit``, migration 0006), which is given their range of positions at
  commit; an event's position is the row's ``base`` plus its ordinal ``seq`` after the row's
  ``first_seq``, and ``last_position`` is the position of the row's last event. A reader walks
  the entity's positioned commit rows by ``(entity, last_position)`` and, for each, its events
  by ``(commit_id, seq)``: the events are read as a LATERAL subquery of the commit rows, which
  PostgreSQL cannot turn into a scan of every event (as it may for a join when the table's
  statistics are stale, right after a burst of writes into a young table).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from schema_builder.tables import change_commit, change_event


def page(dialect: str, alias: str, after: int, limit: int) -> sa.Select[Any]:
    """The events of ``alias`` after position ``after``, at most ``limit``, in position
    order: every column of the event table and the position as ``at``."""
    e = change_event
    if dialect != "postgresql":
        return (
            sa.select(e, e.c.id.label("at"))
            .where(e.c.entity == alias, e.c.id > after)
            .order_by(e.c.id)
            .limit(limit)
        )
    c = change_commit
    commits = (
        sa.select(c.c.id, c.c.base, c.c.first_seq, c.c.last_position)
        .where(c.c.entity == alias, c.c.last_position > after)
        .order_by(c.c.last_position)
        .limit(limit)
        .subquery("c")
    )
    at = commits.c.base + (e.c.seq - commits.c.first_seq)
    # after < base + seq - first_seq, as a range of the index's seq: the first ``limit``
    # events after the cursor are read from the index in order, no more.
    events = (
        sa.select(e, at.label("at"))
        .where(
            e.c.commit_id == commits.c.id,
            e.c.seq > after - commits.c.base + commits.c.first_seq,
        )
        .order_by(e.c.seq)
        .limit(limit)
        .lateral("e")
    )
    return (
        sa.select(events)
        .select_from(commits.join(events, sa.true()))
        .order_by(commits.c.last_position, events.c.at)
        .limit(limit)
    )


def later(dialect: str, alias: str, after: int) -> sa.ColumnElement[bool]:
    """Whether ``alias`` has an event after position ``after``."""
    if dialect != "postgresql":
        e = change_event
        return sa.select(e.c.id).where(e.c.entity == alias, e.c.id > after).exists()
    c = change_commit
    return sa.select(c.c.id).where(c.c.entity == alias, c.c.last_position > after).exists()


def newest(dialect: str, alias: str) -> sa.Select[Any]:
    """The highest position of ``alias``'s events (NULL when there is none)."""
    if dialect != "postgresql":
        e = change_event
        return sa.select(sa.func.max(e.c.id)).where(e.c.entity == alias)
    c = change_commit
    return sa.select(sa.func.max(c.c.last_position)).where(c.c.entity == alias)


def oldest(dialect: str, limit: int) -> sa.Select[Any]:
    """The ``limit`` oldest events by id with a position (retention): id, entity,
    occurred_at, commit_id and the position as ``at``."""
    e = change_event
    columns = (e.c.id, e.c.entity, e.c.occurred_at, e.c.commit_id)
    if dialect != "postgresql":
        return sa.select(*columns, e.c.id.label("at")).order_by(e.c.id).limit(limit)
    c = change_commit
    return (
        sa.select(*columns, (c.c.base + (e.c.seq - c.c.first_seq)).label("at"))
        .select_from(e.join(c, e.c.commit_id == c.c.id))
        .where(c.c.last_position.is_not(None))
        .order_by(e.c.id)
        .limit(limit)
    )
