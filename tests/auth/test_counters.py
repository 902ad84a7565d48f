"""The counters behind rate limits and login throttling: in process memory and in Redis."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from auth.counters import Counters, MemoryCounters, RedisCounters, open_counters


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def counters(request: pytest.FixtureRequest) -> AsyncIterator[Counters]:
    if request.param == "memory":
        result: Counters = MemoryCounters()
    else:
        prefix: str = request.getfixturevalue("redis_prefix")
        result = RedisCounters(request.getfixturevalue("redis_url"), prefix=prefix)
    yield result
    await result.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_bucket_passes_its_limit_at_once_then_says_how_long_to_wait(
    counters: Counters,
) -> None:
    assert [await counters.take("k", 3, 60) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await counters.take("k", 3, 60)
    assert 19.5 < wait <= 20.0  # one request's share of the minute
    # a refused request is not counted: the wait does not grow
    assert 19.5 < await counters.take("k", 3, 60) <= 20.0
    # other keys have buckets of their own
    assert await counters.take("other", 3, 60) == 0.0


async def test_a_bucket_refills_at_the_limits_pace() -> None:
    clock = Clock()
    counters = MemoryCounters(clock=clock)
    for _ in range(2):
        assert await counters.take("k", 2, 60) == 0.0
    assert await counters.take("k", 2, 60) == 30.0
    clock.now += 29.0
    assert await counters.take("k", 2, 60) == 1.0
    clock.now += 1.0
    assert await counters.take("k", 2, 60) == 0.0  # one request's worth came back
    assert await counters.take("k", 2, 60) == 30.0
    clock.now += 600  # a long pause refills the bucket, but no further than full
    assert [await counters.take("k", 2, 60) for _ in range(3)] == [0.0, 0.0, 30.0]


async def test_events_are_counted_within_their_window(counters: Counters) -> None:
    assert await counters.recent("login", 300) == (0, 0.0)
    await counters.record("login", 300)
    await counters.record("login", 300)  # in the same microsecond or not, both count
    count, wait = await counters.recent("login", 300)
    assert count == 2
    assert 299 < wait <= 300
    await counters.forget("login")
    assert await counters.recent("login", 300) == (0, 0.0)


async def test_events_leave_the_window() -> None:
    clock = Clock()
    counters = MemoryCounters(clock=clock)
    await counters.record("k", 60)
    clock.now += 10
    await counters.record("k", 60)
    assert await counters.recent("k", 60) == (2, 50.0)
    clock.now += 50
    assert await counters.recent("k", 60) == (1, 10.0)


async def test_redis_counters_are_shared_by_every_client_of_the_prefix(
    redis_url: str, redis_prefix: str
) -> None:
    first = RedisCounters(redis_url, prefix=redis_prefix)
    second = RedisCounters(redis_url, prefix=redis_prefix)
    elsewhere = RedisCounters(redis_url, prefix=redis_prefix + "other:")
    try:
        assert await first.take("k", 2, 60) == 0.0
        assert await second.take("k", 2, 60) == 0.0
        assert await first.take("k", 2, 60) > 29
        assert await second.take("k", 2, 60) > 29
        assert await elsewhere.take("k", 2, 60) == 0.0
        await first.record("fail", 60)
        assert (await second.recent("fail", 60))[0] == 1
    finally:
        for counters in (first, second, elsewhere):
            await counters.close()


async def test_redis_keys_expire_with_their_window(redis_url: str, redis_prefix: str) -> None:
    counters = RedisCounters(redis_url, prefix=redis_prefix)
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await counters.take("bucket", 4, 60)
        await counters.record("events", 300)
        bucket_ttl = await client.pttl(redis_prefix + "bucket")
        events_ttl = await client.pttl(redis_prefix + "events")
    finally:
        await counters.close()
        await client.aclose()
    assert 14_000 < bucket_ttl <= 15_000  # until the bucket would be full again
    assert 299_000 < events_ttl <= 300_000


async def test_unreachable_redis_counts_in_process_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counters = RedisCounters(f"redis://127.0.0.1:{_closed_port()}/0")
    try:
        with caplog.at_level(logging.WARNING, logger="dexgate.counters"):
            assert not await counters.ping()
            assert not counters.shared
            assert [await counters.take("k", 2, 60) for _ in range(2)] == [0.0, 0.0]
            assert await counters.take("k", 2, 60) > 29  # still limited, in this process
            await counters.record("fail", 60)
            assert (await counters.recent("fail", 60))[0] == 1
    finally:
        await counters.close()
    warnings = [r for r in caplog.records if r.name == "dexgate.counters"]
    assert len(warnings) == 1
    assert "count in this process alone" in warnings[0].getMessage()


async def test_redis_is_used_only_when_a_url_is_set() -> None:
    memory = open_counters("")
    shared = open_counters("redis://127.0.0.1:6379/0", "x:")
    await memory.close()
    await shared.close()
    assert isinstance(memory, MemoryCounters)
    assert isinstance(shared, RedisCounters)
    assert shared.prefix == "x:"
