"""How long a change to a principal takes to reach a running process: the authenticator caches
principals for ``cache_seconds``, and that is the documented bound. A fake clock moves time."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import store, tables
from auth.authenticator import Authenticator
from auth.errors import InvalidAccessTokenError
from auth.principal import Principal
from auth.tokens import TokenSigner
from auth.usage import UsageRecorder

BOUND = 5.0
JUST_BEFORE = BOUND - 0.001


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def at(self, seconds: float) -> None:
        """Move to ``seconds`` after the start."""
        self.now = 1000.0 + seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner("test")


@pytest.fixture
def authenticator(engine: AsyncEngine, signer: TokenSigner, clock: FakeClock) -> Authenticator:
    return Authenticator(engine, signer, UsageRecorder(engine), cache_seconds=BOUND, clock=clock)


def fresh(engine: AsyncEngine, signer: TokenSigner) -> Authenticator:
    """An authenticator with nothing cached: what the database says right now."""
    return Authenticator(engine, signer, UsageRecorder(engine), cache_seconds=0)


async def new_key(engine: AsyncEngine, name: str, *grants: str) -> str:
    await store.set_role(engine, f"{name}-role", grants or ["products:read"])
    return await store.create_api_key(engine, name, [f"{name}-role"])


async def by_key(authenticator: Authenticator, key: str) -> Principal:
    principal = await authenticator.from_api_key(key)
    assert principal is not None
    return principal


async def last_used(engine: AsyncEngine, name: str) -> datetime | None:
    return next(k for k in await store.list_api_keys(engine) if k.name == name).last_used_at


async def test_a_revoked_key_works_until_the_cache_bound_and_not_after(
    engine: AsyncEngine, signer: TokenSigner, authenticator: Authenticator, clock: FakeClock
) -> None:
    key = await new_key(engine, "revoked")
    principal = await by_key(authenticator, key)

    await store.revoke_api_key(engine, "revoked")

    assert await fresh(engine, signer).from_api_key(key) is None  # revoked in the database
    clock.at(JUST_BEFORE)
    assert await authenticator.from_api_key(key) == principal
    clock.at(BOUND)
    assert await authenticator.from_api_key(key) is None
    clock.at(BOUND + 60)
    assert await authenticator.from_api_key(key) is None


async def test_with_no_cache_a_revocation_takes_effect_at_once(
    engine: AsyncEngine, signer: TokenSigner
) -> None:
    uncached = fresh(engine, signer)
    key = await new_key(engine, "at-once")
    await by_key(uncached, key)

    await store.revoke_api_key(engine, "at-once")

    assert await uncached.from_api_key(key) is None


async def test_forget_drops_cached_principals(
    engine: AsyncEngine, authenticator: Authenticator
) -> None:
    key = await new_key(engine, "forgotten")
    await by_key(authenticator, key)
    await store.revoke_api_key(engine, "forgotten")

    authenticator.forget()

    assert await authenticator.from_api_key(key) is None


async def test_a_disabled_users_token_works_until_the_cache_bound_and_not_after(
    engine: AsyncEngine,
    signer: TokenSigner,
    authenticator: Authenticator,
    clock: FakeClock,
) -> None:
    await store.set_role(engine, "clerk", ["products:read"])
    ident = await store.create_user(engine, "dora", "correct horse", ["clerk"])
    token = signer.issue(f"user:{ident}", 3600)
    principal = await authenticator.from_access_token(token)

    await store.set_user_active(engine, "dora", False)

    assert (principal.kind, principal.name, principal.roles) == ("user", "dora", ("clerk",))
    with pytest.raises(InvalidAccessTokenError):
        await fresh(engine, signer).from_access_token(token)
    clock.at(JUST_BEFORE)
    assert await authenticator.from_access_token(token) == principal
    clock.at(BOUND)
    with pytest.raises(InvalidAccessTokenError):
        await authenticator.from_access_token(token)
    with pytest.raises(InvalidAccessTokenError):
        await authenticator.authenticate(None, f"Bearer {token}")


async def test_a_revoked_clients_token_works_until_the_cache_bound_and_not_after(
    engine: AsyncEngine, authenticator: Authenticator, signer: TokenSigner, clock: FakeClock
) -> None:
    await store.set_role(engine, "sync", ["products:read"])
    await store.create_client(engine, "erp", ["sync"])
    ident = next(c.id for c in await store.list_clients(engine) if c.name == "erp")
    token = signer.issue(f"client:{ident}", 3600)
    principal = await authenticator.from_access_token(token)

    await store.set_client_active(engine, "erp", False)

    assert (principal.kind, principal.name) == ("client", "erp")
    clock.at(JUST_BEFORE)
    assert await authenticator.from_access_token(token) == principal
    clock.at(BOUND)
    with pytest.raises(InvalidAccessTokenError):
        await authenticator.from_access_token(token)


async def test_changed_role_grants_take_effect_after_the_cache_bound(
    engine: AsyncEngine, signer: TokenSigner, authenticator: Authenticator, clock: FakeClock
) -> None:
    key = await new_key(engine, "clerk", "products:read")
    ident = await store.create_user(engine, "erin", "correct horse", ["clerk-role"])
    token = signer.issue(f"user:{ident}", 3600)
    before = [await by_key(authenticator, key), await authenticator.from_access_token(token)]

    await store.set_role(engine, "clerk-role", ["categories:read,update"])

    clock.at(JUST_BEFORE)
    cached = [await by_key(authenticator, key), await authenticator.from_access_token(token)]
    clock.at(BOUND)
    after = [await by_key(authenticator, key), await authenticator.from_access_token(token)]
    for principal in before + cached:
        assert principal.allows("products", "read")
        assert not principal.allows("categories", "read")
    for principal in after:
        assert not principal.allows("products", "read")
        assert principal.allows("categories", "read")
        assert principal.allows("categories", "update")
        assert not principal.allows("categories", "delete")


async def test_changed_roles_of_a_key_take_effect_after_the_cache_bound(
    engine: AsyncEngine, authenticator: Authenticator, clock: FakeClock
) -> None:
    key = await new_key(engine, "promoted", "products:read")
    assert not (await by_key(authenticator, key)).is_admin
    k, pr = tables.api_key, tables.principal_role
    async with engine.begin() as connection:
        ident = await connection.scalar(sa.select(k.c.id).where(k.c.name == "promoted"))
        await connection.execute(
            pr.insert().values(principal_kind="apikey", principal_id=ident, role_name="admin")
        )

    clock.at(JUST_BEFORE)
    cached = await by_key(authenticator, key)
    clock.at(BOUND)
    after = await by_key(authenticator, key)

    assert not cached.is_admin
    assert after.is_admin
    assert after.roles == ("admin", "promoted-role")


async def test_each_use_of_a_key_is_noted_and_written_by_the_recorder_not_the_lookup(
    engine: AsyncEngine, authenticator: Authenticator, clock: FakeClock
) -> None:
    key = await new_key(engine, "tracked")
    await by_key(authenticator, key)
    before_flush = await last_used(engine, "tracked")
    await authenticator.usage.flush()
    first = await last_used(engine, "tracked")

    clock.at(JUST_BEFORE)  # served from the cache: still a use
    await by_key(authenticator, key)
    await authenticator.usage.flush()
    cached_use = await last_used(engine, "tracked")

    assert before_flush is None
    assert first is not None
    assert cached_use is not None
    assert cached_use > first
