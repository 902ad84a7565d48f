"""Failed-login throttling per username and per client address.

After ``max_failures`` failures within ``window`` seconds for one username (or five times that for
one address, which covers guessing across many names), further attempts are refused with the
seconds until the oldest counted failure leaves the window. A success clears the username.
The failures are counted in :mod:`auth.counters`: in this process, or in Redis, shared by every
process, when ``DEXGATE_REDIS_URL`` is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from auth.counters import Counters, MemoryCounters
from auth.errors import TooManyAttemptsError


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = 5,
        window: float = 300.0,
        *,
        counters: Counters | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.max_address_failures = max_failures * 5
        self.window = window
        self.counters: Counters = counters if counters is not None else MemoryCounters(clock=clock)

    async def check(self, username: str | None, address: str | None) -> None:
        """Raise TooManyAttemptsError while either key is over its limit."""
        for key, limit in self._keys(username, address):
            count, wait = await self.counters.recent(key, self.window)
            if count >= limit:
                raise TooManyAttemptsError(int(wait) + 1)

    async def failed(self, username: str | None, address: str | None) -> None:
        for key, _limit in self._keys(username, address):
            await self.counters.record(key, self.window)

    async def succeeded(self, username: str | None) -> None:
        if username:
            await self.counters.forget(f"login:user:{username.lower()}")

    def _keys(self, username: str | None, address: str | None) -> list[tuple[str, int]]:
        keys = []
        if username:
            keys.append((f"login:user:{username.lower()}", self.max_failures))
        if address:
            keys.append((f"login:addr:{address}", self.max_address_failures))
        return keys
