"""Counters for request rate limits and failed-login throttling: in process memory, or in Redis.

Two kinds of counting, each under a string key:

- :meth:`Counters.take` is a token bucket of ``limit`` requests that refills evenly over
  ``period`` seconds (GCRA, the generic cell rate algorithm: one timestamp per key). A full
  bucket lets ``limit`` requests through at once, then one every ``period / limit`` seconds.
- :meth:`Counters.recent`, :meth:`Counters.record` and :meth:`Counters.forget` count events in
  a sliding window (failed logins).

:class:`MemoryCounters` counts in this process. :class:`RedisCounters` counts in a Redis server
that several processes and hosts share, with one atomic Lua script per operation, timed by the
Redis server's clock so that hosts need not agree on the time. When Redis cannot be reached it
logs a warning and counts in this process instead (limits then hold per process) until Redis
answers again: a Redis outage weakens the limits, it never refuses requests. This module owns
the ``redis`` package.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import redis.asyncio
import redis.exceptions

logger = logging.getLogger("dexgate.counters")

_MAX_TRACKED = 100_000
# After a failed Redis call, count in process for this long before trying Redis again, so that
# a Redis outage costs one timeout per process per pause instead of one per request.
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5

T = TypeVar("T")


class Counters(Protocol):
    async def take(self, key: str, limit: int, period: float) -> float:
        """Count one request against the bucket ``key``: 0.0 when it may pass, otherwise the
        seconds until one would (the request is then not counted)."""

    async def recent(self, key: str, window: float) -> tuple[int, float]:
        """How many events ``key`` had in the last ``window`` seconds, and the seconds until
        the oldest of them leaves the window (0.0 when there is none)."""

    async def record(self, key: str, window: float) -> None:
        """One event for ``key``, kept for ``window`` seconds."""

    async def forget(self, key: str) -> None:
        """Drop the events of ``key``."""

    async def close(self) -> None: ...


class MemoryCounters:
    """Counters in this process; ``clock`` is injectable for tests."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._arrival: dict[str, float] = {}  # GCRA's theoretical arrival time per bucket
        self._events: dict[str, deque[float]] = {}

    async def take(self, key: str, limit: int, period: float) -> float:
        now = self._clock()
        if len(self._arrival) > _MAX_TRACKED:
            self._arrival = {k: t for k, t in self._arrival.items() if t > now}
        interval = period / limit
        arrival = max(self._arrival.get(key, now), now) + interval
        allowed_at = arrival - period
        if allowed_at > now:
            return allowed_at - now
        self._arrival[key] = arrival
        return 0.0

    def _within(self, key: str, window: float, now: float) -> deque[float]:
        entries = self._events.get(key)
        if entries is None:
            return deque()
        while entries and entries[0] <= now - window:
            entries.popleft()
        if not entries:
            del self._events[key]
        return entries

    async def recent(self, key: str, window: float) -> tuple[int, float]:
        now = self._clock()
        entries = self._within(key, window, now)
        if not entries:
            return 0, 0.0
        return len(entries), entries[0] + window - now

    async def record(self, key: str, window: float) -> None:
        now = self._clock()
        if len(self._events) > _MAX_TRACKED:
            for tracked in list(self._events):
                self._within(tracked, window, now)
        self._events.setdefault(key, deque()).append(now)

    async def forget(self, key: str) -> None:
        self._events.pop(key, None)

    async def close(self) -> None:
        self._arrival.clear()
        self._events.clear()


# Times are integer microseconds of the Redis server's clock, written with %.0f: Lua's own
# number formatting keeps 14 digits, too few for them.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[1])
local interval = period / tonumber(ARGV[2])
local arrival = tonumber(redis.call('GET', KEYS[1])) or now
if arrival < now then arrival = now end
arrival = arrival + interval
local allowed_at = arrival - period
if allowed_at > now then return math.ceil(allowed_at - now) end
redis.call('SET', KEYS[1], string.format('%.0f', arrival), 'PX',
           math.max(1, math.ceil((arrival - now) / 1000)))
return 0
"""

_RECENT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
local count = redis.call('ZCARD', KEYS[1])
if count == 0 then return {0, 0} end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {count, math.max(0, math.ceil(tonumber(oldest[2]) + window - now))}
"""

_RECORD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(tonumber(ARGV[1]) / 1000)))
return 0
"""


def _micros(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1_000_000))


class RedisCounters:
    """Counters in the Redis server at ``url``, every key under ``prefix``; ``fallback``
    counts while Redis cannot be reached."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "dexgate:",
        fallback: MemoryCounters | None = None,
        timeout: float = REDIS_TIMEOUT_SECONDS,
    ) -> None:
        self.prefix = prefix
        self.fallback = fallback if fallback is not None else MemoryCounters()
        self._client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._take = self._client.register_script(_TAKE)
        self._recent = self._client.register_script(_RECENT)
        self._record = self._client.register_script(_RECORD)
        self._paused_until = 0.0

    @property
    def shared(self) -> bool:
        """Whether counts are currently kept in Redis (not in the fallback)."""
        return time.monotonic() >= self._paused_until

    async def _call(
        self, work: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
    ) -> T:
        if not self.shared:
            return await fallback()
        try:
            return await work()
        except (redis.exceptions.RedisError, OSError) as exc:
            self._paused_until = time.monotonic() + REDIS_RETRY_SECONDS
            logger.warning(
                "Redis (DEXGATE_REDIS_URL) did not answer (%s: %s); rate limits and login "
                "throttling count in this process alone for the next %.0f s",
                type(exc).__name__,
                exc,
                REDIS_RETRY_SECONDS,
            )
            return await fallback()

    async def take(self, key: str, limit: int, period: float) -> float:
        async def work() -> float:
            waited: Any = await self._take(keys=[self.prefix + key], args=[_micros(period), limit])
            return int(waited) / 1_000_000

        return await self._call(work, lambda: self.fallback.take(key, limit, period))

    async def recent(self, key: str, window: float) -> tuple[int, float]:
        async def work() -> tuple[int, float]:
            count, wait = await self._recent(keys=[self.prefix + key], args=[_micros(window)])
            return int(count), int(wait) / 1_000_000

        return await self._call(work, lambda: self.fallback.recent(key, window))

    async def record(self, key: str, window: float) -> None:
        async def work() -> None:
            await self._record(keys=[self.prefix + key], args=[_micros(window), uuid.uuid4().hex])

        await self._call(work, lambda: self.fallback.record(key, window))

    async def forget(self, key: str) -> None:
        async def work() -> None:
            await self._client.delete(self.prefix + key)

        await self._call(work, lambda: self.fallback.forget(key))

    async def ping(self) -> bool:
        """Whether Redis answers now (logged when it does not)."""
        return await self._call(self._ping, self._unreachable)

    async def _ping(self) -> bool:
        await self._client.ping()
        return True

    async def _unreachable(self) -> bool:
        return False

    async def close(self) -> None:
        await self._client.aclose()
        await self.fallback.close()


def open_counters(redis_url: str, prefix: str = "dexgate:") -> MemoryCounters | RedisCounters:
    """Redis counters when ``redis_url`` is set, otherwise counters in this process."""
    if redis_url:
        return RedisCounters(redis_url, prefix=prefix)
    return MemoryCounters()
