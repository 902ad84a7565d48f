"""Where an event's position is read from, per database.

- SQLite and MariaDB: the event's id (see feed.py for why a reader may trust it).
- PostgreSQL: the event's commit row (``dexgate_change_commit``, migration 0006) gives the
  transaction's events their range of positions at commit; an event's position is the row's
  ``base`` plus its ordinal ``seq`` after the row's ``first_seq``. Events are read through the
  join of the two, only those whose commit row has its positions (the others are not
  committed, or not yet visible), walked in the commit rows' order and then by ``seq``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schema_builder.tables import change_commit, change_event


@dataclass(frozen=True, slots=True)
class Positions:
    """``source``: what to select events from; ``at``: their position; ``order``: position
    order (in a form the database's indexes serve); ``given``: only events with a position;
    ``after(p)``: those after position ``p``."""

    source: sa.FromClause
    at: sa.ColumnElement[Any]
    order: tuple[sa.ColumnElement[Any], ...]
    given: sa.ColumnElement[bool]
    walk: sa.ColumnElement[Any]

    def after(self, position: int) -> sa.ColumnElement[bool]:
        # ``walk`` (PostgreSQL: the commit row's last position) lets an index find the first
        # commit row to read; ``at`` keeps the events of that row after ``position`` only.
        if self.walk is self.at:
            return self.at > position
        return sa.and_(self.walk > position, self.at > position)


def positions(dialect: str) -> Positions:
    if dialect == "postgresql":
        commit = change_commit
        at = commit.c.base + (change_event.c.seq - commit.c.first_seq)
        return Positions(
            source=change_event.join(commit, change_event.c.commit_id == commit.c.id),
            at=at,
            order=(commit.c.last_position, change_event.c.seq),
            given=commit.c.last_position.is_not(None),
            walk=commit.c.last_position,
        )
    return Positions(
        source=change_event,
        at=change_event.c.id,
        order=(change_event.c.id,),
        given=sa.true(),
        walk=change_event.c.id,
    )
