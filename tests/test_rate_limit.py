"""Request rate limits: per principal, per client address without one; 429 ``DX125``.

Rate limiting does not depend on the database, so these tests run on SQLite only. Limits shared
through Redis are tested with two applications on one database, as two processes would be.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.settings import Settings
from auth import store
from tests.lifespan import lifespan

COUNTRIES = "/dynamic-entity/countries"
ANONYMOUS_REFUSAL = [{"status": 403, "code": "DX120", "message": "Unauthorized request."}]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@asynccontextmanager
async def serving(
    settings: Settings, key: str | None = None, address: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    headers = {"X-Api-Key": key} if key else {}
    async with (
        lifespan(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(address, 40000)),
            base_url="http://dexgate.test",
            headers=headers,
        ) as client,
    ):
        yield client


def assert_limited(response: httpx.Response, limit: int) -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60 / limit + 1
    return retry_after


async def test_a_principal_over_its_limit_gets_429_dx125_with_retry_after(
    settings: Settings, admin_key: str
) -> None:
    async with serving(replace(settings, rate_limit=3), admin_key) as client:
        statuses = [(await client.get(COUNTRIES)).status_code for _ in range(3)]
        refused = await client.get(COUNTRIES)
    assert statuses == [200, 200, 200]
    assert assert_limited(refused, 3) == 20
    assert refused.json() == [
        {
            "status": 429,
            "code": "DX125",
            "message": "Too many requests: the limit is 3 per minute for API key test-admin; "
            "retry in 20 s.",
        }
    ]


async def test_graphql_answers_the_limit_in_its_error_shape(
    settings: Settings, admin_key: str
) -> None:
    query = {"query": "{ countries(limit: 1) { items { name } } }"}
    async with serving(replace(settings, rate_limit=1), admin_key) as client:
        assert (await client.post("/graphql", json=query)).status_code == 200
        refused = await client.post("/graphql", json=query)
    assert_limited(refused, 1)
    [error] = refused.json()["errors"]
    assert error["extensions"] == {"code": "DX125", "status": 429}
    assert error["message"].startswith("Too many requests: the limit is 1 per minute")


async def test_each_principal_has_a_bucket_of_its_own(
    settings: Settings, admin_key: str, engine: AsyncEngine
) -> None:
    other_key = await store.create_api_key(engine, "other", ["admin"])
    async with serving(replace(settings, rate_limit=2), admin_key) as client:
        assert [(await client.get(COUNTRIES)).status_code for _ in range(3)] == [200, 200, 429]
        other = [
            (await client.get(COUNTRIES, headers={"X-Api-Key": other_key})).status_code
            for _ in range(3)
        ]
    assert other == [200, 200, 429]


async def test_requests_without_credentials_are_limited_per_client_address(
    settings: Settings, admin_key: str
) -> None:
    limited = replace(settings, rate_limit_anonymous=2)
    async with serving(limited, address="203.0.113.7") as guesser:
        first = [await guesser.get(COUNTRIES) for _ in range(2)]
        refused = await guesser.get(COUNTRIES, headers={"X-Api-Key": "dxg_guess"})
        # the same address with valid credentials counts against its principal instead
        keyed = await guesser.get(COUNTRIES, headers={"X-Api-Key": admin_key})
        # the address's limit holds on the open paths too
        open_path = await guesser.get("/")
    assert [r.json() for r in first] == [ANONYMOUS_REFUSAL, ANONYMOUS_REFUSAL]
    assert assert_limited(refused, 2) == 30
    assert refused.json()[0]["code"] == "DX125"
    assert refused.json()[0]["message"] == (
        "Too many requests: the limit is 2 per minute for requests without credentials from "
        "203.0.113.7; retry in 30 s."
    )
    assert keyed.status_code == 200
    assert_limited(open_path, 2)


async def test_each_address_has_a_bucket_of_its_own(settings: Settings) -> None:
    limited = replace(settings, rate_limit_anonymous=1)
    app = create_app(limited)
    async with lifespan(app):
        statuses = []
        for address in ("203.0.113.7", "203.0.113.8", "203.0.113.7"):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                base_url="http://dexgate.test",
            ) as client:
                statuses.append((await client.get(COUNTRIES)).status_code)
    assert statuses == [403, 403, 429]


async def test_the_token_endpoint_answers_the_limit_as_oauth_does(settings: Settings) -> None:
    form = {"grant_type": "password", "username": "nobody", "password": "whatever-it-is"}
    async with serving(replace(settings, rate_limit_anonymous=1)) as client:
        assert (await client.post("/token", data=form)).status_code == 400
        refused = await client.post("/token", data=form)
    assert assert_limited(refused, 1) == 60
    assert refused.json()["error"] == "too_many_requests"
    assert "60 s" in refused.json()["error_description"]


async def test_health_probes_and_preflight_requests_are_never_limited(
    settings: Settings,
) -> None:
    async with serving(replace(settings, rate_limit_anonymous=1)) as client:
        live = [(await client.get("/health/live")).status_code for _ in range(5)]
        ready = [(await client.get("/health/ready")).status_code for _ in range(5)]
        preflight = [(await client.options(COUNTRIES)).status_code for _ in range(3)]
    assert live == ready == [200] * 5
    assert 429 not in preflight


async def test_principals_are_not_limited_by_default(settings: Settings, admin_key: str) -> None:
    defaults = Settings(database_url=settings.database_url, secret_key="test")
    assert defaults.rate_limit == 0
    async with serving(defaults, admin_key) as client:
        statuses = {(await client.get(COUNTRIES)).status_code for _ in range(30)}
    assert statuses == {200}


# --- shared through Redis --------------------------------------------------------------------


@asynccontextmanager
async def two_processes(
    settings: Settings, key: str | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with serving(settings, key) as first, serving(settings, key) as second:
        yield first, second


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
async def test_a_principals_limit_holds_across_processes_only_with_redis(
    settings: Settings, admin_key: str, shared: bool, request: pytest.FixtureRequest
) -> None:
    limited = replace(settings, rate_limit=4)
    if shared:
        redis_url: str = request.getfixturevalue("redis_url")
        limited = replace(
            limited, redis_url=redis_url, redis_prefix=request.getfixturevalue("redis_prefix")
        )
    async with two_processes(limited, admin_key) as (first, second):
        statuses = []
        for _ in range(3):
            statuses.append((await first.get(COUNTRIES)).status_code)
            statuses.append((await second.get(COUNTRIES)).status_code)
    if shared:
        assert statuses == [200, 200, 200, 200, 429, 429]
    else:
        assert statuses == [200] * 6


async def test_failed_logins_are_throttled_across_processes_with_redis(
    settings: Settings, redis_url: str, redis_prefix: str
) -> None:
    shared = replace(settings, redis_url=redis_url, redis_prefix=redis_prefix)
    form = {"grant_type": "password", "username": "mallory", "password": "not-her-password"}
    async with two_processes(shared) as (first, second):
        failures = [(await first.post("/token", data=form)).status_code for _ in range(3)]
        failures += [(await second.post("/token", data=form)).status_code for _ in range(2)]
        throttled = await first.post("/token", data=form), await second.post("/token", data=form)
    assert failures == [400] * 5
    for response in throttled:
        assert response.status_code == 429
        assert response.json()["error"] == "too_many_requests"
        assert 299 <= int(response.headers["Retry-After"]) <= 301


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_redis_leaves_limits_to_each_process_and_serves(
    settings: Settings, admin_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    down = replace(settings, rate_limit=2, redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    with caplog.at_level(logging.WARNING, logger="dexgate.counters"):
        async with serving(down, admin_key) as client:
            statuses = [(await client.get(COUNTRIES)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert any("did not answer" in r.getMessage() for r in caplog.records)
