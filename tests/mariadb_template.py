"""MariaDB test databases: every test on MariaDB gets a fresh database on the MariaDB server.

A template database is migrated and given the demo catalog and an admin API key once per run.
MariaDB has no ``CREATE DATABASE ... TEMPLATE``: each test's database is created and the
template's tables re-created in it from their ``SHOW CREATE TABLE`` (foreign keys, indexes and
``AUTO_INCREMENT`` counters included) and filled with ``INSERT ... SELECT``; it is dropped when
the test ends, and the template at the end of the run.

The server is found through ``DEXGATE_TEST_MARIADB_URL`` (default: the local server, as root);
when it is unreachable these tests are skipped with a message, unless
``DEXGATE_REQUIRE_MARIADB=1`` (as in CI), which turns that into a failure.

The root conftest's ``database_url`` and ``admin_key`` serve the ``mariadb`` backend from
here (:func:`mariadb_template`, :func:`template_copy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app import demo, migrate
from app.database import create_engine
from app.settings import Settings
from auth import store
from auth.permissions import ADMIN_ROLE
from schema_builder.registry import CatalogRegistry
from tests.run_id import RUN_ID

MARIADB_ADMIN_URL = os.environ.get(
    "DEXGATE_TEST_MARIADB_URL", "mysql+asyncmy://root@127.0.0.1:3306/test"
)
REQUIRE_MARIADB = os.environ.get("DEXGATE_REQUIRE_MARIADB") == "1"
_counter = itertools.count()


def mariadb_url(database: str) -> str:
    """The URL of ``database`` on the test server."""
    url = sa.make_url(MARIADB_ADMIN_URL).set(database=database)
    return url.render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def admin_connection() -> AsyncIterator[AsyncConnection]:
    """A connection to the test server that commits each statement."""
    engine = create_async_engine(MARIADB_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def _prepare(name: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Create the template database: migrated, with the demo and an admin API key. Returns
    the key and each table's name and CREATE TABLE statement."""
    async with admin_connection() as connection:
        await connection.exec_driver_sql(f"CREATE DATABASE `{name}`")
    engine = create_engine(Settings(database_url=mariadb_url(name)))
    try:
        await migrate.upgrade(engine)
        await demo.load(engine, CatalogRegistry(engine))
        key = await store.create_api_key(engine, "test-admin", [ADMIN_ROLE])
    finally:
        await engine.dispose()
    async with admin_connection() as connection:
        names = (
            await connection.exec_driver_sql(
                "SELECT TABLE_NAME FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                (name,),
            )
        ).scalars()
        tables = []
        for table in list(names):
            show = sa.text(f"SHOW CREATE TABLE `{name}`.`{table}`")
            row = (await connection.execute(show)).one()
            tables.append((str(table), str(row[1])))
    return key, tuple(tables)


@dataclass(frozen=True)
class MariaDBTemplate:
    name: str | None
    reason: str
    key: str
    tables: tuple[tuple[str, str], ...]  # name, CREATE TABLE statement


@pytest.fixture(scope="session", name="mariadb_template")
def mariadb_template_fixture() -> Iterator[MariaDBTemplate]:
    name = f"dexgate_test_{RUN_ID}_template"
    try:
        key, tables = asyncio.run(_prepare(name))
    except OSError as exc:  # the server is absent: say why
        template = MariaDBTemplate(None, f"MariaDB at {MARIADB_ADMIN_URL}: {exc}", "", ())
    except sa.exc.OperationalError as exc:  # it refuses us
        template = MariaDBTemplate(None, f"MariaDB at {MARIADB_ADMIN_URL}: {exc.orig}", "", ())
    else:
        template = MariaDBTemplate(name, "", key, tables)
    yield template
    if template.name is not None:
        asyncio.run(_drop(template.name))


async def _drop(name: str) -> None:
    async with admin_connection() as connection:
        await connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def _require(template: MariaDBTemplate) -> str:
    if template.name is None:
        if REQUIRE_MARIADB:
            pytest.fail(template.reason)
        pytest.skip(template.reason)
    return template.name


@contextlib.asynccontextmanager
async def template_copy(template: MariaDBTemplate, label: str = "") -> AsyncIterator[str]:
    """The URL of a fresh copy of the template database, dropped afterwards."""
    source = _require(template)
    name = f"dexgate_test_{RUN_ID}_{label}{next(_counter)}"
    async with admin_connection() as connection:
        await connection.exec_driver_sql(f"CREATE DATABASE `{name}`")
        await connection.exec_driver_sql(f"USE `{name}`")
        await connection.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        for _table, create in template.tables:
            await connection.exec_driver_sql(create)
        for table, _create in template.tables:
            await connection.exec_driver_sql(
                f"INSERT INTO `{table}` SELECT * FROM `{source}`.`{table}`"
            )
    try:
        yield mariadb_url(name)
    finally:
        await _drop(name)
