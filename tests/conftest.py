"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Each test gets its own database, cloned from a template that holds dexgate's migrated tables and
the demo catalog: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. The
PostgreSQL server is found through ``DEXGATE_TEST_POSTGRES_URL`` (default: the local server);
when it is unreachable the PostgreSQL half is skipped with a message, unless
``DEXGATE_REQUIRE_POSTGRES=1`` (as in CI), which turns that into a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app import demo, migrate
from app.application import create_app
from app.database import create_engine
from app.gateway import Gateway
from app.settings import Settings
from auth import store
from auth.permissions import ADMIN_ROLE
from schema_builder.operations.reads.reader import Reader
from schema_builder.registry import CatalogRegistry
from tests.lifespan import lifespan
from tests.mariadb_template import (
    MariaDBTemplate,
    mariadb_template_fixture,  # noqa: F401 - for `mariadb`
)
from tests.mariadb_template import template_copy as mariadb_copy
from tests.run_id import RUN_ID

POSTGRES_ADMIN_URL = os.environ.get(
    "DEXGATE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("DEXGATE_REQUIRE_POSTGRES") == "1"
_counter = itertools.count()


def _postgres_url(database: str) -> str:
    return (
        sa.make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    )


async def _admin(statement: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def _prepare(url: str) -> str:
    """Migrate, load the demo and create an admin API key; returns the key."""
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine)
        await demo.load(engine, CatalogRegistry(engine, denied_tables=settings.denied_tables))
        return await store.create_api_key(engine, "test-admin", [ADMIN_ROLE])
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Templates:
    sqlite: Path
    postgres: str | None
    postgres_reason: str
    sqlite_key: str
    postgres_key: str


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    sqlite_path = tmp_path_factory.mktemp("template") / "template.db"
    sqlite_key = asyncio.run(_prepare(f"sqlite+aiosqlite:///{sqlite_path}"))
    postgres: str | None = None
    reason = ""
    name = f"dexgate_test_{RUN_ID}_template"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        postgres = name
    except Exception as exc:  # the server is absent or refuses us: say why
        reason = f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {exc}"
    postgres_key = ""
    if postgres is not None:
        postgres_key = asyncio.run(_prepare(_postgres_url(postgres)))
    yield Templates(sqlite_path, postgres, reason, sqlite_key, postgres_key)
    if postgres is not None:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{postgres}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@contextlib.asynccontextmanager
async def template_copy(
    backend: str, templates: Templates, directory: Path, label: str = ""
) -> AsyncIterator[str]:
    """The URL of a fresh copy of the template database (migrated tables, demo catalog) on
    ``backend``, dropped afterwards; SQLite's file goes in ``directory``."""
    if backend == "sqlite":
        path = directory / "test.db"
        shutil.copyfile(templates.sqlite, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    if templates.postgres is None:
        if REQUIRE_POSTGRES:
            pytest.fail(templates.postgres_reason)
        pytest.skip(templates.postgres_reason)
    name = f"dexgate_test_{RUN_ID}_{label}{next(_counter)}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{templates.postgres}" STRATEGY FILE_COPY')
    try:
        yield _postgres_url(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database_url(
    backend: str, templates: Templates, mariadb_template: MariaDBTemplate, tmp_path: Path
) -> AsyncIterator[str]:
    """A fresh database holding the migrated tables and the demo catalog."""
    if backend == "mariadb":
        async with mariadb_copy(mariadb_template) as url:
            yield url
        return
    async with template_copy(backend, templates, tmp_path) as url:
        yield url


@pytest.fixture
def admin_key(backend: str, templates: Templates, mariadb_template: MariaDBTemplate) -> str:
    """An API key with the admin role, present in every test database."""
    if backend == "mariadb":
        return mariadb_template.key
    return templates.sqlite_key if backend == "sqlite" else templates.postgres_key


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key="test", catalog_check_interval=0)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


# A statement on one of dexgate's own tables (its catalog check, credential lookups), as
# opposed to dexgate's SQL functions (``dexgate_decimal``) in a read of an entity's table.
_OWN_TABLE = re.compile(r"\b(FROM|JOIN|INTO|UPDATE)\s+[\"`]?dexgate_", re.IGNORECASE)


def is_bookkeeping(statement: str) -> bool:
    """Whether ``statement`` reads or writes one of dexgate's own tables."""
    return _OWN_TABLE.search(statement) is not None


class StatementLog:
    """The SQL statements an engine ran, and those its application's reader sent on its own
    connections, to assert that work does not grow with rows."""

    def __init__(self, engine: AsyncEngine, reads: Reader | None = None) -> None:
        self.statements: list[str] = []
        self.enabled = False
        sa.event.listen(engine.sync_engine, "before_cursor_execute", self._record)
        if reads is not None and reads.pool is not None:
            # statements on the reader's own connections; through the engine, events see them
            reads.listen(self._sent)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self._sent(statement)

    def _sent(self, statement: str, *_parameters: Any) -> None:
        if self.enabled:
            self.statements.append(statement)

    @property
    def data_statements(self) -> list[str]:
        """SELECT/INSERT/UPDATE/DELETE (or WITH ... SELECT) on entity tables: not BEGIN,
        SAVEPOINT or RELEASE, and not dexgate's own bookkeeping (credential lookups, cached for
        a few seconds)."""
        return [
            s
            for s in self.statements
            if s.lstrip().split(None, 1)[0].upper()
            in ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")
            and not is_bookkeeping(s)
        ]

    def start(self) -> None:
        self.statements.clear()
        self.enabled = True


@pytest.fixture
def statements(engine: AsyncEngine, gateway_app: Any) -> StatementLog:
    return StatementLog(engine, gateway_app.state.gateway.reads)


@pytest.fixture
async def gateway_app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    app = create_app(settings, engine=engine)
    # The Starlette app itself: it keeps its collaborators on ``app.state`` (manager.app is a
    # bare wrapper function without ``.state``), and it needs no lifespan state per request.
    async with lifespan(app):
        yield app


@pytest.fixture
def gateway(gateway_app: Any) -> Gateway:
    result: Gateway = gateway_app.state.gateway
    return result


@pytest.fixture
async def anonymous(gateway_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no credentials."""
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://dexgate.test",
        headers={"Content-Type": "application/json"},
    ) as client:
        yield client


@pytest.fixture
async def client(gateway_app: Any, admin_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends the admin API key."""
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://dexgate.test",
        headers={"Content-Type": "application/json", "X-Api-Key": admin_key},
    ) as client:
        yield client


def settings_with(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)


REDIS_URL = os.environ.get("DEXGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("DEXGATE_REQUIRE_REDIS") == "1"


def _redis_unreachable() -> str | None:
    """Why the Redis server of the tests cannot be used, or None when it answers."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} is not reachable: {exc}"
    finally:
        client.close()
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server for tests of shared counters: skipped when it is unreachable, unless
    ``DEXGATE_REQUIRE_REDIS=1`` (as in CI), which makes that a failure."""
    reason = _redis_unreachable()
    if reason is not None:
        if REQUIRE_REDIS:
            pytest.fail(reason)
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own, its keys deleted afterwards."""
    prefix = f"dexgate-test:{RUN_ID}:{next(_counter)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
    finally:
        client.close()
