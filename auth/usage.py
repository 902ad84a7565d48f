"""When credentials were last used: noted in memory, written in the background in batches.

Recording the last use of an API key or an OAuth client inside the request that used it would
make every read a write (on SQLite, one that waits for the database's only writer). Instead a
:class:`UsageRecorder` keeps the latest use of each credential in memory and writes them every
``interval`` seconds (default 10) in one short transaction, and once more when it stops. So
``last_used_at`` lags behind by at most ``interval`` seconds plus the time of one write; uses
of a process that is killed (not stopped) since its last write are lost. A write never moves a
stamp backwards, so processes sharing a database may write in any order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import tables
from auth.store import now
from auth.transactions import write_transaction

logger = logging.getLogger("dexgate.usage")

DEFAULT_INTERVAL = 10.0


class UsageRecorder:
    """The last uses of API keys and OAuth clients not yet written; see the module docstring.

    :meth:`start` begins the periodic writes, :meth:`stop` ends them with a final write;
    :meth:`flush` writes at once."""

    def __init__(self, engine: AsyncEngine, *, interval: float = DEFAULT_INTERVAL) -> None:
        self.engine = engine
        self.interval = interval
        self._keys: dict[int, datetime] = {}
        self._clients: dict[int, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def key_used(self, key_id: int, at: datetime | None = None) -> None:
        self._keys[key_id] = at or now()

    def client_used(self, client_id: int, at: datetime | None = None) -> None:
        self._clients[client_id] = at or now()

    @property
    def pending(self) -> int:
        """How many credentials have a use not yet written."""
        return len(self._keys) + len(self._clients)

    async def flush(self) -> None:
        """Write the uses noted so far, in one transaction. On failure they are noted again
        (unless a newer use was noted meanwhile), for the next write."""
        keys, self._keys = self._keys, {}
        clients, self._clients = self._clients, {}
        if not keys and not clients:
            return
        try:
            async with write_transaction(self.engine) as connection:
                for table, uses in ((tables.api_key, keys), (tables.client, clients)):
                    if not uses:
                        continue
                    await connection.execute(
                        table.update()
                        .where(
                            table.c.id == sa.bindparam("used_id"),
                            sa.or_(
                                table.c.last_used_at.is_(None),
                                table.c.last_used_at < sa.bindparam("used_at"),
                            ),
                        )
                        .values(last_used_at=sa.bindparam("used_at")),
                        [{"used_id": ident, "used_at": at} for ident, at in uses.items()],
                    )
        except BaseException:
            for ident, at in keys.items():
                self._keys.setdefault(ident, at)
            for ident, at in clients.items():
                self._clients.setdefault(ident, at)
            raise

    def start(self) -> None:
        """Write the noted uses every ``interval`` seconds, in a task of its own."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dexgate-usage-recorder")

    async def stop(self) -> None:
        """End the periodic writes, then write what is still noted."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.flush()
        except Exception:
            logger.exception("Could not record the last use of %d credentials", self.pending)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:
                # The database is away or busy: the uses stay noted for the next round.
                logger.warning("Could not record the last use of credentials; will retry")
