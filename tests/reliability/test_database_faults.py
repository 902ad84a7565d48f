"""The database going away: refused connections, connections dropped in the middle of a
request or while idle, a database that stops answering. Requests get 503 DX503 with
``Retry-After`` (504 DX504 when the request time runs out first), in the transport's shape,
never a 500 and never a hang past the request timeout; when the database returns, the same
gateway serves again without a restart.

PostgreSQL only: the database is reached through a proxy that each test cuts and reopens
(the server itself, shared with other tests, is never stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from auth import store
from tests.conftest import settings_with
from tests.reliability.conftest import count, listening, postgresql_only, serving, through
from tests.reliability.proxy import Proxy

pytestmark = postgresql_only

UNAVAILABLE = [
    {
        "status": 503,
        "code": "DX503",
        "message": "The database is unavailable. Retry the request shortly.",
    }
]
GRAPHQL_QUERY = {"query": "{ products(limit: 2) { items { sku } } }"}
NEW_CATEGORY = {"data": [{"name": "Outage", "url": "/outage"}]}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert response.json() == UNAVAILABLE


def assert_graphql_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    errors = response.json()["errors"]
    assert errors
    for error in errors:
        assert error["extensions"] == {"code": "DX503", "status": 503}


async def test_refused_connections_get_503_and_the_gateway_recovers_without_a_restart(
    settings: Settings, admin_key: str, proxy: Proxy, engine: AsyncEngine
) -> None:
    # The catalog is checked rarely, so that the requests below reach the operations.
    slow_checks = settings_with(through(settings, proxy), catalog_check_interval=3600)
    async with serving(slow_checks, admin_key) as server:
        assert (await server.client.get("/dynamic-entity/products")).status_code == 200
        await proxy.close()

        assert_unavailable(await server.client.get("/dynamic-entity/products"))
        assert_unavailable(await server.client.get("/dynamic-entity/products/1"))
        assert_unavailable(
            await server.client.post("/dynamic-entity/categories", json=NEW_CATEGORY)
        )
        assert_unavailable(await server.client.delete("/dynamic-entity/products/1"))
        assert_graphql_unavailable(await server.client.post("/graphql", json=GRAPHQL_QUERY))
        assert (await server.anonymous.get("/health/live")).status_code == 200
        ready = await server.anonymous.get("/health/ready")
        assert ready.status_code == 503
        assert ready.headers["Retry-After"] == "5"
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["code"] == "DX503"
        assert ready.json()["database"]["status"] == "unavailable"

        await proxy.open()

        assert (await server.client.get("/dynamic-entity/products")).status_code == 200
        created = await server.client.post("/dynamic-entity/categories", json=NEW_CATEGORY)
        assert created.status_code == 201, created.text
        assert (await server.client.post("/graphql", json=GRAPHQL_QUERY)).status_code == 200
        assert (await server.anonymous.get("/health/ready")).status_code == 200
    assert await count(engine, "category", "url = '/outage'") == 1


async def test_credentials_and_catalog_checked_while_the_database_is_away_get_503_not_500(
    settings: Settings, admin_key: str, proxy: Proxy, engine: AsyncEngine
) -> None:
    await store.create_user(engine, "operator", "a long enough password", ["admin"])
    async with serving(through(settings, proxy), admin_key) as server:
        form = {
            "grant_type": "password",
            "username": "operator",
            "password": "a long enough password",
        }
        issued = await server.anonymous.post(
            "/token", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        token = issued.json()["access_token"]
        await proxy.close()

        # Nothing is cached yet: the API key, the token's user and the catalog version are
        # all looked up in the database.
        key = {"X-Api-Key": admin_key}
        bearer = {"Authorization": f"Bearer {token}"}
        assert_unavailable(await server.anonymous.get("/dynamic-entity/products", headers=key))
        assert_unavailable(await server.anonymous.get("/dynamic-entity/products", headers=bearer))
        assert_graphql_unavailable(
            await server.anonymous.post("/graphql", json=GRAPHQL_QUERY, headers=key)
        )
        refused = await server.anonymous.post(
            "/token", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert refused.json()["error"] == "temporarily_unavailable"

        await proxy.open()

        assert (
            await server.anonymous.get("/dynamic-entity/products", headers=bearer)
        ).status_code == 200


async def wait_until_blocked_on_a_lock(engine: AsyncEngine) -> None:
    """Until a session of this database waits for a lock (the request under test)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(200):
        async with engine.connect() as connection:
            if await connection.scalar(query):
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the request never waited for the lock")


@contextlib.asynccontextmanager
async def product_table_locked(engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.connect() as connection:
        await connection.begin()
        await connection.exec_driver_sql("LOCK TABLE product IN ACCESS EXCLUSIVE MODE")
        yield
        await connection.rollback()


async def test_a_connection_dropped_in_the_middle_of_a_request_gets_503(
    settings: Settings, admin_key: str, proxy: Proxy, engine: AsyncEngine
) -> None:
    body = {
        "data": [
            {
                "name": "Cut",
                "url": "/cut",
                "products": [{"sku": "CUT-1", "name": "Cut product", "price": "1.00"}],
            }
        ]
    }
    async with serving(through(settings, proxy), admin_key) as server:
        async with product_table_locked(engine):
            read = asyncio.create_task(server.client.get("/dynamic-entity/products"))
            await wait_until_blocked_on_a_lock(engine)
            proxy.cut()
            assert_unavailable(await read)

        async with product_table_locked(engine):
            # the category is inserted, then its product waits for the lock
            write = asyncio.create_task(server.client.post("/dynamic-entity/categories", json=body))
            await wait_until_blocked_on_a_lock(engine)
            proxy.cut()
            assert_unavailable(await write)

        assert (await server.client.get("/dynamic-entity/products")).status_code == 200
    assert await count(engine, "category", "url = '/cut'") == 0


async def test_connections_dropped_while_idle_are_replaced_without_an_error(
    settings: Settings, admin_key: str, proxy: Proxy
) -> None:
    async with serving(through(settings, proxy), admin_key) as server:
        assert (await server.client.get("/dynamic-entity/products")).status_code == 200
        proxy.cut()  # as a database restart between two requests does
        await asyncio.sleep(0.05)

        response = await server.client.get("/dynamic-entity/products")

    assert response.status_code == 200, response.text


async def test_a_database_that_stops_answering_gets_an_answer_within_the_request_timeout(
    settings: Settings, admin_key: str, proxy: Proxy
) -> None:
    """Timed against a real server: the answer must reach the client, whatever the cancelled
    work does afterwards (closing a connection that gets no answer takes a while)."""
    limits = settings_with(
        through(settings, proxy), request_timeout=1.5, database_connect_timeout=0.5
    )
    async with listening(limits, admin_key) as client:
        assert (await client.get("/dynamic-entity/products")).status_code == 200
        proxy.stall()  # open connections go silent

        started = time.monotonic()
        stalled = await client.get("/dynamic-entity/products")
        stalled_after = time.monotonic() - started

        proxy.blackhole()  # and new ones are accepted but never answered
        started = time.monotonic()
        unanswered = await client.get("/dynamic-entity/products")
        unanswered_after = time.monotonic() - started
        started = time.monotonic()
        ready = await client.get("/health/ready")
        ready_after = time.monotonic() - started

        proxy.forward()
        recovered = await client.get("/dynamic-entity/products")

    assert stalled.status_code == 504, stalled.text
    assert stalled.json()[0]["code"] == "DX504"
    assert stalled_after < 1.5 + 1.0
    assert_unavailable(unanswered)
    assert unanswered_after < 1.5 + 1.0
    assert ready.status_code == 503
    assert ready_after < 1.5 + 1.0
    assert recovered.status_code == 200
