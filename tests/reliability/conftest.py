"""Fixtures for limits, timeouts and database faults: a gateway started with the settings a
test chooses, and PostgreSQL behind a proxy the test can cut, close and reopen.

Fault tests that need the proxy run on PostgreSQL only: they take ``postgresql_only``, which
narrows the ``backend`` parameter of tests/conftest.py to ``postgresql``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from tests.lifespan import lifespan
from tests.reliability.proxy import Proxy

postgresql_only = pytest.mark.parametrize("backend", ["postgresql"])


@dataclass(frozen=True)
class Server:
    """A started gateway: a client sending the admin key, one sending nothing."""

    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    gateway: Gateway


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, admin_key: str, engine: AsyncEngine | None = None
) -> AsyncIterator[Server]:
    app: Any = create_app(settings, engine=engine)
    transport = httpx.ASGITransport(app=app)
    base = "http://dexgate.test"
    json_body = {"Content-Type": "application/json"}
    async with (
        lifespan(app),
        httpx.AsyncClient(
            transport=transport, base_url=base, headers={**json_body, "X-Api-Key": admin_key}
        ) as client,
        httpx.AsyncClient(transport=transport, base_url=base, headers=json_body) as anonymous,
    ):
        yield Server(client, anonymous, app.state.gateway)


@contextlib.asynccontextmanager
async def listening(settings: Settings, admin_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway served by uvicorn on a free port, and a client sending the admin key to it.

    Where timing matters: httpx's ASGI transport returns a response only once the application
    has returned, while a server sends it to the client as soon as it is written."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    serving_task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or serving_task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"X-Api-Key": admin_key}, timeout=30
        ) as client:
            yield client
    finally:
        server.should_exit = True
        await serving_task


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[Proxy]:
    """A proxy in front of the test's PostgreSQL database (see ``through``)."""
    url = sa.make_url(database_url)
    forwarder = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await forwarder.open()
    yield forwarder
    await forwarder.stop()


def through(settings: Settings, proxy: Proxy) -> Settings:
    """The settings with the database reached through ``proxy``."""
    url = sa.make_url(settings.database_url).set(host="127.0.0.1", port=proxy.port)
    return replace(settings, database_url=url.render_as_string(hide_password=False))


async def count(engine: AsyncEngine, table: str, where: str = "") -> int:
    """Rows of ``table`` (read directly, not through the gateway)."""
    statement = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.text(statement)) or 0)
