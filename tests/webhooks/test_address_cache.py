"""The delivery worker's address cache: a host's checked address kept ``ttl`` seconds, then
resolved again; refusals never kept; attempts at once to a new host share one resolution."""

from __future__ import annotations

import asyncio

import pytest

from schema_builder.webhooks.addresses import AddressCache, AddressRefusedError


class Resolver:
    """Answers as told, counting the resolutions asked of it."""

    def __init__(self, address: str = "93.184.216.34") -> None:
        self.address = address
        self.asked = 0
        self.refuse = False
        self.delay = 0.0

    async def __call__(self, url: str) -> str | None:
        self.asked += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            raise AddressRefusedError("refused")
        return self.address


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_an_address_is_kept_for_the_ttl_then_resolved_again() -> None:
    resolver, clock = Resolver(), Clock()
    cache = AddressCache(5.0, clock, resolver)
    assert await cache.check("https://hooks.example.com/a", allow_private=False) == "93.184.216.34"
    clock.now += 4.9
    resolver.address = "93.184.216.35"
    assert await cache.check("https://hooks.example.com/b", allow_private=False) == "93.184.216.34"
    assert resolver.asked == 1
    clock.now += 0.2  # past the ttl: the name's new address is seen
    assert await cache.check("https://hooks.example.com/a", allow_private=False) == "93.184.216.35"
    assert resolver.asked == 2


async def test_a_refusal_is_not_kept_and_a_refused_name_is_refused_after_the_ttl() -> None:
    resolver, clock = Resolver(), Clock()
    cache = AddressCache(5.0, clock, resolver)
    await cache.check("https://hooks.example.com/", allow_private=False)
    resolver.refuse = True  # the name now resolves to a private address
    await cache.check("https://hooks.example.com/", allow_private=False)  # still kept
    clock.now += 5.0
    for _ in range(2):
        with pytest.raises(AddressRefusedError):
            await cache.check("https://hooks.example.com/", allow_private=False)
    assert resolver.asked == 3


async def test_attempts_at_once_share_one_resolution_and_private_allowed_resolves_none() -> None:
    resolver = Resolver()
    resolver.delay = 0.05
    cache = AddressCache(5.0, Clock(), resolver)
    found = await asyncio.gather(
        *(cache.check("https://hooks.example.com/", allow_private=False) for _ in range(20))
    )
    assert set(found) == {"93.184.216.34"}
    assert resolver.asked == 1
    assert await cache.check("http://10.0.0.1/hook", allow_private=True) is None
    assert resolver.asked == 1
    with pytest.raises(AddressRefusedError):  # the URL's form is checked before any cache
        await cache.check("ftp://hooks.example.com/", allow_private=False)


async def test_a_ttl_of_zero_resolves_every_time() -> None:
    resolver = Resolver()
    cache = AddressCache(0.0, Clock(), resolver)
    for _ in range(3):
        await cache.check("https://hooks.example.com/", allow_private=False)
    assert resolver.asked == 3
