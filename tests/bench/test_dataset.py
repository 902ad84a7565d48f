"""The bench's databases, built as ``python -m bench`` builds them, and its requests on them.

Against the PostgreSQL server of the tests (see tests/conftest.py): the benchmark database with
both configurations, and its SQLite copy. Every scenario's request is sent to dexgate in this
process and its answer checked as the bench checks it; datasette's cases, when datasette is
installed (the ``bench`` dependency group), go to a datasette serving the peer's copy.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.application import create_app
from app.settings import Settings
from bench import dataset, sqlite_data, sqlite_peers
from bench.client import Client
from bench.postgres import Postgres
from bench.process import BenchError
from bench.scenarios import ALL_SCENARIOS, SCENARIOS, Scenario, check
from bench.server import free_port, running
from tests.conftest import POSTGRES_ADMIN_URL, REQUIRE_POSTGRES
from tests.lifespan import lifespan
from tests.run_id import RUN_ID


@dataclass(frozen=True)
class Built:
    postgres: Postgres
    database: str
    on_postgres: dataset.Dataset
    on_sqlite: dataset.SqliteDataset


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The benchmark database (dropped afterwards) and its SQLite copy."""
    url = sa.make_url(POSTGRES_ADMIN_URL)
    postgres = Postgres(
        url.host or "127.0.0.1", url.port or 5432, url.username or "postgres", url.password
    )
    try:
        postgres.server_version()
    except BenchError as exc:
        reason = f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"dexgate_test_{RUN_ID}_bench"
    work = tmp_path_factory.mktemp("bench")
    try:
        on_postgres = dataset.build(postgres, name, work)
        on_sqlite = dataset.build_sqlite(postgres, name, work)
        yield Built(postgres, name, on_postgres, on_sqlite)
    finally:
        postgres.drop_database(name)


async def answers(
    url: str, api_key: str, scenarios: Sequence[Scenario]
) -> AsyncIterator[tuple[Scenario, int, bytes]]:
    """Each scenario's request sent to dexgate (in this process) on ``url``."""
    settings = Settings(database_url=url, secret_key="test", catalog_check_interval=0)
    app = create_app(settings)
    async with lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": api_key}
        ) as client:
            for scenario in scenarios:
                if scenario.body is None:
                    answer = await client.get(scenario.path)
                else:
                    answer = await client.post(
                        scenario.path,
                        content=scenario.body,
                        headers={"Content-Type": "application/json"},
                    )
                yield scenario, answer.status_code, answer.content


async def test_both_configurations_answer_every_scenario_on_postgresql(built: Built) -> None:
    seen = []
    url = built.on_postgres.environ["DEXGATE_DATABASE_URL"]
    async for scenario, status, body in answers(url, built.on_postgres.api_key, ALL_SCENARIOS):
        check(scenario, status, body)
        seen.append(scenario.name)
    assert len(seen) == 12


async def test_the_spryker_style_configuration_serves_the_same_rows(built: Built) -> None:
    url = built.on_postgres.environ["DEXGATE_DATABASE_URL"]
    by_name = {s.name: s for s in ALL_SCENARIOS}
    rows = {}
    chosen = [by_name["rest C"], by_name["spryker rest C"]]
    async for scenario, _status, body in answers(url, built.on_postgres.api_key, chosen):
        rows[scenario.name] = json.loads(body)["data"]
    ours, spryker = rows["rest C"], rows["spryker rest C"]
    assert spryker["idProduct"] == ours["id"] == 4242
    assert (spryker["sku"], spryker["price"], spryker["isActive"], spryker["fkCategory"]) == (
        ours["sku"],
        ours["price"],
        ours["is_active"],
        ours["category_id"],
    )


def test_the_sqlite_copy_holds_the_same_rows(built: Built) -> None:
    path = Path(built.on_sqlite.database)
    assert sqlite_data.counts(path) == dataset.EXPECTED_ROWS
    with closing(sqlite3.connect(path)) as connection:
        product = connection.execute("SELECT * FROM product WHERE id = 4242").fetchone()
    expected = built.postgres.psql(
        "SELECT id, sku, name, price, is_active, category_id,"
        " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
        " FROM product WHERE id = 4242",
        built.database,
    )
    assert expected == "4242|SKU-004242|Product 4242|924.98|t|42|2024-01-03 22:42:00"
    assert product == (
        4242,
        "SKU-004242",
        "Product 4242",
        924.98,
        1,
        42,
        "2024-01-03 22:42:00.000000",
    )


def test_datasettes_copy_holds_no_dexgate_tables(built: Built) -> None:
    def tables(path: Path) -> set[str]:
        with closing(sqlite3.connect(path)) as connection:
            found = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
            return {name for (name,) in found}

    assert tables(built.on_sqlite.peer_copy) == {"category", "product", "stock"}
    assert {"category", "product", "stock"} < tables(Path(built.on_sqlite.database))


async def test_every_scenario_is_answered_on_sqlite(built: Built) -> None:
    url = built.on_sqlite.environ["DEXGATE_DATABASE_URL"]
    seen = []
    async for scenario, status, body in answers(url, built.on_sqlite.api_key, SCENARIOS):
        check(scenario, status, body)
        seen.append(scenario.name)
    assert len(seen) == 6


def test_datasette_answers_each_case_on_the_copy(built: Built, tmp_path: Path) -> None:
    installed = {s.system for s in sqlite_peers.detect() if s.installed}
    if installed != {sqlite_peers.DATASETTE, sqlite_peers.DATASETTE_GRAPHQL}:
        pytest.skip("datasette 0.65 and datasette-graphql are not installed (.[bench])")
    copy = tmp_path / "bench.db"
    shutil.copyfile(built.on_sqlite.peer_copy, copy)
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps(sqlite_peers.metadata()))
    port = free_port()
    command = sqlite_peers.serve_command(copy, port, metadata)
    log = tmp_path / "datasette.log"
    environ = {"PATH": "/usr/bin:/bin"}
    with running(command, port, environ, log, None, "/-/versions.json") as base:
        client = Client(base, None)
        for case in sqlite_peers.CASES:
            body = case.body.encode() if case.body else None
            answer = client.request("POST" if body else "GET", case.path, body)
            sqlite_peers.check(case, answer.status, answer.body)
        client.close()
