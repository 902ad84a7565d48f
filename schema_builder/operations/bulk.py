"""Bulk writes: a stream of item batches written through the write operation on one connection.

Every batch is prepared and saved by :mod:`schema_builder.operations.write` exactly as one
request's items are — the same permission checks, validation, transformations, statements and
error attribution — so a bulk import can do nothing the API would refuse.

Transactional: one database transaction spans every batch. After a failure the remaining
batches are still checked and written (inside the transaction) so that every error is found,
and nothing is committed unless every item was saved. Partial: each batch commits on its own
and keeps every item that was saved whole, as ``X-Is-Transactional: false`` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.permissions import Permissions
from auth.transactions import write_connection, write_turn
from schema_builder.catalog import Catalog
from schema_builder.changefeed.actor import acting
from schema_builder.errors import DexgateError
from schema_builder.operations.access import WRITE_OPERATIONS, require
from schema_builder.operations.audit import record_saved
from schema_builder.operations.db_errors import translating
from schema_builder.operations.ir import WriteMode, WriteRequest
from schema_builder.operations.write import prepare, save_plan


@dataclass(slots=True)
class BatchResult:
    """How many items of a batch were saved, and the errors of the others by their index in
    the batch (error paths name that index too: ``products[3].price``)."""

    saved: int
    errors: dict[int, list[DexgateError]] = field(default_factory=dict)


class BulkWriter:
    """Writes batches on the connection :func:`bulk_writer` opened; see the module docstring."""

    def __init__(
        self,
        engine: AsyncEngine,
        connection: AsyncConnection,
        catalog: Catalog,
        alias: str,
        mode: WriteMode,
        access: Permissions,
        *,
        transactional: bool,
    ) -> None:
        self._engine = engine
        self._connection = connection
        self._catalog = catalog
        self._alias = alias
        self._mode = mode
        self._access = access
        self.transactional = transactional
        self.saved = 0
        self.failed = 0

    async def write(self, items: Sequence[Any]) -> BatchResult:
        """Save a batch of decoded objects (a non-empty list of dicts, or 1301).

        Transactional: saved within the import's transaction, which decides at the end.
        Partial: committed before returning."""
        plan = prepare(
            self._catalog,
            WriteRequest(self._alias, self._mode, list(items), self.transactional),
            self._access,
        )
        actor = self._access.actor
        async with translating():
            if self.transactional:
                saved = await save_plan(self._connection, plan, self._mode)
                await record_saved(self._connection, actor, self._mode, saved.items)
            else:
                async with write_turn(self._engine):
                    await self._connection.begin()
                    async with acting(self._connection, self._catalog, actor):
                        saved = await save_plan(self._connection, plan, self._mode)
                    await record_saved(self._connection, actor, self._mode, saved.items)
                    await self._connection.commit()
        self.saved += len(saved.items)
        self.failed += len(saved.errors)
        return BatchResult(len(saved.items), saved.errors)

    def refuse(self, count: int = 1) -> None:
        """Count items the caller refused itself, before they could be sent (an unreadable
        record, say): like items that failed here, they keep a transactional write from being
        committed."""
        self.failed += count


@contextlib.asynccontextmanager
async def bulk_writer(
    engine: AsyncEngine,
    catalog: Catalog,
    alias: str,
    mode: WriteMode,
    access: Permissions,
    *,
    transactional: bool,
) -> AsyncIterator[BulkWriter]:
    """A :class:`BulkWriter` on a connection of its own.

    Raises 007 for an unknown alias and DX122 without the write grant before connecting.
    Transactional: on leaving, the transaction is committed when no item failed (or was refused
    with :meth:`BulkWriter.refuse`), and rolled back when one did or when the block raised:
    nothing is kept."""
    entity = catalog.entity(alias)
    require(access, entity.alias, WRITE_OPERATIONS[mode])
    # Database errors are translated around the database's work only, not around the caller's
    # block: an OSError of the caller's own (reading its file) is no database outage.
    # Partial: each batch takes this process's turn to write (see auth.transactions), so that
    # other writers get theirs between batches; transactional: one turn for the whole import.
    async with contextlib.AsyncExitStack() as stack:
        async with translating():
            connection = await stack.enter_async_context(
                write_connection(engine, queued=transactional)
            )
        writer = BulkWriter(
            engine, connection, catalog, entity.alias, mode, access, transactional=transactional
        )
        if not transactional:
            yield writer
            return
        async with translating():
            await connection.begin()
        try:
            async with acting(connection, catalog, access.actor):
                yield writer
        except BaseException:
            await connection.rollback()
            raise
        async with translating():
            if writer.failed:
                await connection.rollback()
            else:
                await connection.commit()
