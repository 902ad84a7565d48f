"""Failed-login throttling per username and per client address, in process memory.

After ``max_failures`` failures within ``window`` seconds for one username (or five times that for
one address, which covers guessing across many names), further attempts are refused with the
seconds until the oldest counted failure leaves the window. A success clears the username.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from auth.errors import TooManyAttemptsError

_MAX_TRACKED = 100_000


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = 5,
        window: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.max_address_failures = max_failures * 5
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        entries = self._failures.get(key)
        if entries is None:
            return deque()
        while entries and entries[0] <= now - self.window:
            entries.popleft()
        if not entries:
            del self._failures[key]
        return entries

    def check(self, username: str | None, address: str | None) -> None:
        """Raise TooManyAttemptsError while either key is over its limit."""
        now = self._clock()
        for key, limit in self._keys(username, address):
            entries = self._recent(key, now)
            if len(entries) >= limit:
                raise TooManyAttemptsError(int(entries[0] + self.window - now) + 1)

    def failed(self, username: str | None, address: str | None) -> None:
        now = self._clock()
        if len(self._failures) > _MAX_TRACKED:
            for key in list(self._failures):
                self._recent(key, now)
        for key, _limit in self._keys(username, address):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str | None) -> None:
        if username:
            self._failures.pop(f"user:{username.lower()}", None)

    def _keys(self, username: str | None, address: str | None) -> list[tuple[str, int]]:
        keys = []
        if username:
            keys.append((f"user:{username.lower()}", self.max_failures))
        if address:
            keys.append((f"addr:{address}", self.max_address_failures))
        return keys
