"""Long polls of the pull API waiting together: one look at the database per entity and
interval for a process, however many requests wait.

A long poll (``GET /change-feed/{alias}?wait=N`` with nothing after its cursor) waits in
:meth:`FeedWatch.wait` until the entity's newest position passes its cursor or its time is up.
While anyone waits, one task looks every ``interval`` seconds at the newest position of each
entity waited on (one short query each) and wakes the requests it passed; with nobody waiting
it ends. Before, each waiting request read its page again every interval itself: a hundred
idle long polls cost a thousand queries a second, now five per entity.

The newest position is a hint: a woken request reads its page as any read does (on MariaDB
that page may still stop before an event in flight; the request then waits again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from schema_builder.changefeed import positions

logger = logging.getLogger("dexgate.changefeed")


@dataclass(eq=False, slots=True)
class _Waiter:
    after: int
    woken: asyncio.Event = field(default_factory=asyncio.Event)


class FeedWatch:
    """The waiting long polls of one process, per entity."""

    def __init__(self, engine: AsyncEngine, *, interval: float = 0.2) -> None:
        self.engine = engine
        self.interval = interval
        self._waiting: dict[str, set[_Waiter]] = {}
        self._task: asyncio.Task[None] | None = None
        # How many looks the task has taken (each a query per entity waited on).
        self.looks = 0

    async def wait(self, alias: str, after: int, within: float) -> bool:
        """Wait until ``alias`` has a position above ``after``, at most ``within`` seconds;
        whether it has."""
        waiter = _Waiter(after)
        self._waiting.setdefault(alias, set()).add(waiter)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await waiter.woken.wait()
        finally:
            waiters = self._waiting.get(alias)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiting[alias]
        return waiter.woken.is_set()

    async def _run(self) -> None:
        dialect = self.engine.dialect.name
        while self._waiting:
            await asyncio.sleep(self.interval)
            aliases = list(self._waiting)
            if not aliases:
                break
            self.looks += 1
            try:
                async with self.engine.connect() as connection:
                    newest = {
                        alias: int(await connection.scalar(positions.newest(dialect, alias)) or 0)
                        for alias in aliases
                    }
            except Exception:  # a database outage: the waiting requests time out or retry
                logger.exception("Looking for new change feed events failed")
                continue
            for alias, position in newest.items():
                for waiter in self._waiting.get(alias, ()):
                    if position > waiter.after:
                        waiter.woken.set()

    async def aclose(self) -> None:
        """Stop looking (the application's shut-down)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
