"""Fixtures of the MariaDB tests (tests/mariadb): the root conftest's database fixtures on
the ``mariadb`` backend only (tests/mariadb_template.py), and an empty database."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest

from tests.mariadb_template import (
    MariaDBTemplate,
    _drop,
    _require,
    admin_connection,
    mariadb_url,
)
from tests.run_id import RUN_ID

_counter = itertools.count()


@pytest.fixture
async def empty_database(mariadb_template: MariaDBTemplate) -> AsyncIterator[str]:
    """The URL of a new, empty database on the MariaDB server, dropped afterwards."""
    _require(mariadb_template)
    name = f"dexgate_test_{RUN_ID}_empty{next(_counter)}"
    async with admin_connection() as connection:
        await connection.exec_driver_sql(f"CREATE DATABASE `{name}`")
    try:
        yield mariadb_url(name)
    finally:
        await _drop(name)


@pytest.fixture
def backend() -> str:
    return "mariadb"
