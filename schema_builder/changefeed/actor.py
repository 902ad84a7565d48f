"""Who changed a row: dexgate names the principal of its own writes to the capture triggers.

A write transaction of dexgate marks its actor (``apikey:NAME``, ``user:NAME``, ``cli:USER``,
as in the audit log) before it writes, where the triggers of the same transaction read it; a
change made by any other program finds no mark and is recorded as ``database``.

- PostgreSQL: ``set_config('dexgate.actor', actor, true)``, a setting local to the
  transaction: it ends with it, committed or rolled back.
- MariaDB: the session variable ``@dexgate_actor``. A session outlives its transactions, so
  the mark is cleared when the write ends (before its commit or rollback; after an error, as
  far as the connection still answers), and set again by every write of dexgate.
- SQLite: a row of ``dexgate_change_actor`` written in the transaction and deleted before it
  commits. SQLite has one writer at a time, so no other program's change can see it; a
  rolled-back transaction takes it away with the rest.

The mark costs one statement per write (two on SQLite and MariaDB), and is only made when
the catalog has an entity whose change feed is on: a change made in the first moments after
another process switched a feed on (before this process's catalog has it, at most the catalog
check interval) is recorded as ``database``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from schema_builder.catalog import Catalog
from schema_builder.tables import change_actor

OUTSIDE = "database"


def captures(catalog: Catalog) -> bool:
    """Whether an entity of the catalog has its change feed on."""
    return any(e.configuration.change_feed for e in catalog.entities.values())


async def mark(connection: AsyncConnection, actor: str) -> None:
    """Name ``actor`` to the triggers of the connection's open transaction."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        await connection.execute(sa.select(sa.func.set_config("dexgate.actor", actor, True)))
    elif dialect in ("mysql", "mariadb"):
        await connection.execute(sa.text("SET @dexgate_actor = :actor"), {"actor": actor})
    else:
        await connection.execute(
            sa.insert(change_actor).prefix_with("OR REPLACE").values(id=1, actor=actor)
        )


async def clear(connection: AsyncConnection) -> None:
    """Take the mark away, before the transaction commits or rolls back."""
    dialect = connection.dialect.name
    if dialect in ("mysql", "mariadb"):
        await connection.execute(sa.text("SET @dexgate_actor = NULL"))
    elif dialect != "postgresql":
        await connection.execute(sa.delete(change_actor))


@contextlib.asynccontextmanager
async def acting(connection: AsyncConnection, catalog: Catalog, actor: str) -> AsyncIterator[None]:
    """The block's writes, in the connection's open transaction, are ``actor``'s."""
    if not captures(catalog):
        yield
        return
    await mark(connection, actor)
    try:
        yield
    except BaseException:
        # The transaction is rolled back after this (taking SQLite's row with it); MariaDB's
        # session variable is not, and whichever path comes next must not find the mark.
        if connection.dialect.name != "postgresql":
            with contextlib.suppress(Exception):
                await clear(connection)
        raise
    await clear(connection)
