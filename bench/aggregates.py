"""Scenario F: a dashboard's grouped totals, against the raw database rate for the same SQL.

``python -m bench.aggregates [--seconds 10] [--postgres URL] [--mariadb URL]``

The question: the sum of stock quantity and the number of products, grouped by the products'
category and month of creation, over the bench dataset (20,000 stock rows of 10,000 products).
It is asked of the stocks through their belongsTo relationship to the product, over REST::

    /dynamic-entity/stocks?aggregate[sum]=quantity&aggregate[countDistinct]=product_id
        &groupBy[]=product.category_id&groupBy[]=month(product.created_at)

and GraphQL (``stocksAggregate(groupBy: [PRODUCT_CATEGORY_ID, PRODUCT_CREATED_AT_MONTH])``),
in both configurations of the bench (``entities.json``; the Spryker-style one, whose
``createdAt`` is a string field over the timestamp column), on PostgreSQL, on the SQLite copy
and on MariaDB. The raw rate is the statement dexgate compiles for the REST request, replayed at
the same concurrency: pgbench on PostgreSQL, the same number of threads running it through
sqlite3 on SQLite, a driver loop on dexgate's own read connections on MariaDB. Target (issue
16): dexgate at least half the raw rate. dexgate and wrk share the machine's two cores with the
database, as in every scenario of ``make bench``.

On PostgreSQL, the same question is also asked of PostGraphile 5 with ``@graphile/pg-aggregates``
(``bench/aggregate_peer.py``: installed with npm under /tmp when npm and the registry allow it,
started for F and stopped after it), checked to answer the same groups, and measured with the
same wrk settings. Target (issue 16): dexgate at least twice its rate.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.datastructures import QueryParams

from app.database import create_engine
from app.rest.aggregate_query import aggregate_plan
from app.settings import Settings
from bench import aggregate_peer, cpu, dataset, mariadb_raw, raw, server
from bench.configurations import CONFIGURATIONS, DEXGATE, Configuration
from bench.load import HttpRequest, LoadSettings, drive
from bench.mariadb import MariaDB
from bench.postgres import Postgres
from bench.process import BenchError
from bench.report import aggregates_table
from bench.results import AggregateResult, Failure, LoadResult, PgbenchResult
from schema_builder.operations.aggregates.compile import compile_aggregate
from schema_builder.operations.reads.sql import sqlite_functions
from schema_builder.registry import CatalogRegistry

DATABASE = "dexgate_bench_f"


@dataclass(frozen=True)
class Question:
    """F in one configuration: the entity it adds and the requests that ask it."""

    configuration: str
    label: str
    alias: str
    entry: dict[str, Any]
    rest: str
    graphql: str
    # The answer's group keys (as written in groupBy[]) and the visible names of quantity and
    # product_id; the stock and product tables (the peer's view joins them).
    keys: tuple[str, str]
    measures: tuple[str, str]
    tables: tuple[str, str]


def _visible(entry: dict[str, Any], column: str) -> str:
    for field in entry["definition"]["fields"]:
        if field["fieldName"] == column:
            name: str = field["fieldVisibleName"]
            return name
    raise KeyError(column)


def _graphql_name(*parts: str) -> str:
    if any("_" in part for part in parts):
        return "_".join(parts)
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def question(configuration: Configuration) -> Question:
    """The stock entity of ``configuration`` with a belongsTo relationship ``product`` to the
    configuration's products (the bench's files have only the hasMany the other way)."""
    entries = json.loads(configuration.entities.read_text())
    stocks = next(e for e in entries if e["tableName"].endswith("stock"))
    products = next(e for e in entries if e["tableName"].endswith("product"))
    alias = stocks["tableAlias"]
    entry = {
        **stocks,
        "tableAlias": alias,
        "parentRelations": [
            {
                "name": "product",
                "isEditable": False,
                "parentDynamicEntityConfiguration": {"tableAlias": products["tableAlias"]},
                "relationFieldMappings": [
                    {"childFieldName": "product_id", "parentFieldName": "id"}
                ],
            }
        ],
    }
    quantity = _visible(stocks, "quantity")
    product_id = _visible(stocks, "product_id")
    category = _visible(products, "category_id")
    created = _visible(products, "created_at")
    rest = f"/dynamic-entity/{alias}?" + urlencode(
        [
            ("aggregate[sum]", quantity),
            ("aggregate[countDistinct]", product_id),
            ("groupBy[]", f"product.{category}"),
            ("groupBy[]", f"month(product.{created})"),
        ]
    )
    key_category = _graphql_name("product", category)
    key_month = _graphql_name(_graphql_name("product", created), "month")
    root = alias.split("-")[0] + "".join(w.capitalize() for w in alias.split("-")[1:])
    graphql = (
        f"{{ {root}Aggregate(groupBy: [{_upper(key_category)}, {_upper(key_month)}]) "
        f"{{ groups {{ key {{ {key_category} {key_month} }} sum {{ {quantity} }} "
        f"countDistinct {{ {product_id} }} }} }} }}"
    )
    return Question(
        configuration.key,
        configuration.label,
        alias,
        entry,
        rest,
        graphql,
        (f"product.{category}", f"month(product.{created})"),
        (quantity, product_id),
        (stocks["tableName"], products["tableName"]),
    )


def _upper(name: str) -> str:
    out = ""
    for i, char in enumerate(name):
        if char.isupper() and i and name[i - 1] != "_":
            out += "_"
        out += char.upper()
    return out


async def compiled_sql(url: str, alias: str, rest: str) -> str:
    """The statement dexgate sends for the REST request, its values written in."""
    engine = create_engine(Settings(database_url=url))
    try:
        catalog = await CatalogRegistry(engine).current()
        params = QueryParams(rest.split("?", 1)[1])
        plan = aggregate_plan(alias, params, 1000)
        compiled = compile_aggregate(catalog, catalog.entity(alias), plan, engine.dialect.name)
        statement = compiled.statement.compile(
            dialect=engine.dialect, compile_kwargs={"literal_binds": True}
        )
        sql = str(statement)
        # A "format" driver's compiler doubles the percent signs it leaves for the driver.
        return (
            sql.replace("%%", "%") if engine.dialect.paramstyle in ("format", "pyformat") else sql
        )
    finally:
        await engine.dispose()


def sqlite_rate(path: str, sql: str, settings: LoadSettings) -> float:
    """Statements per second from ``settings.connections`` threads, each on its own sqlite3
    connection with dexgate's functions, after a warm-up."""
    stop = threading.Event()
    counts = [0] * settings.connections

    def work(slot: int) -> None:
        connection = sqlite3.connect(path, check_same_thread=False)
        sqlite_functions.register(connection)
        while not stop.is_set():
            connection.execute(sql).fetchall()
            counts[slot] += 1
        connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(settings.connections)]
    for thread in threads:
        thread.start()
    time.sleep(settings.warmup)
    before = sum(counts)
    started = time.monotonic()
    time.sleep(settings.duration)
    done, elapsed = sum(counts) - before, time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join()
    return done / elapsed


def _check(base_url: str, api_key: str, asked: Question) -> list[dict[str, Any]]:
    """The groups of the REST answer (and that GraphQL answers the same groups)."""
    headers = {"X-Api-Key": api_key}
    rest = httpx.get(base_url + asked.rest, headers=headers, timeout=60)
    rest.raise_for_status()
    groups = rest.json()["data"]
    answer = httpx.post(
        base_url + "/graphql", json={"query": asked.graphql}, headers=headers, timeout=60
    ).json()
    if "errors" in answer:
        raise RuntimeError(f"GraphQL F failed: {answer['errors']}")
    (field,) = answer["data"].values()
    if len(field["groups"]) != len(groups):
        raise RuntimeError("GraphQL F answered other groups than REST")
    found: list[dict[str, Any]] = groups
    return found


def _measure(
    database: str,
    environ: dict[str, str],
    api_key: str,
    asked: Question,
    raw_rate: float,
    settings: LoadSettings,
    work: Path,
    peer: server.Served | Failure | None = None,
) -> AggregateResult:
    """dexgate's REST and GraphQL; with ``peer`` (the server, or why it is not there),
    then the peer, once dexgate's server is stopped."""
    port = server.free_port()
    log = work / f"serve-f-{database}-{asked.configuration}.log"
    try:
        command = server.serve_command(port, 1)
        with server.running_server(command, port, environ, log, api_key) as served:
            base, meter = served.base_url, cpu.meter(served.pid)
            answer = _check(base, api_key, asked)
            rest = drive(HttpRequest(base + asked.rest), api_key, settings, meter)
            body = json.dumps({"query": asked.graphql})
            graphql = drive(HttpRequest(base + "/graphql", body, "POST"), api_key, settings, meter)
    except (BenchError, RuntimeError, OSError, httpx.HTTPError) as exc:
        failed = Failure(f"F on {database}, {asked.label}: {exc}")
        return AggregateResult(database, asked.label, 0, raw_rate, failed, failed)
    measured = AggregateResult(database, asked.label, len(answer), raw_rate, rest, graphql)
    if peer is None:
        return measured
    if isinstance(peer, Failure):
        return dataclasses.replace(measured, peer=peer)
    return dataclasses.replace(measured, peer=_measure_peer(peer, asked, answer, settings))


def _measure_peer(
    peer: server.Served, asked: Question, answer: list[dict[str, Any]], settings: LoadSettings
) -> LoadResult | Failure:
    """PostGraphile with pg-aggregates: its answer checked against dexgate's, then wrk (and
    its CPU time per request)."""
    base_url = peer.base_url
    stock = asked.tables[0]
    body = json.dumps({"query": aggregate_peer.query(stock)})
    try:
        response = httpx.post(
            base_url + "/graphql",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        theirs = aggregate_peer.peer_groups(response.json())
        ours = aggregate_peer.dexgate_groups(answer, asked.keys, asked.measures)
        if theirs != ours:
            return Failure(
                f"F, PostgreSQL, {asked.label}: {aggregate_peer.LABEL} answered other groups "
                f"than dexgate ({len(theirs)} against {len(ours)}; first {theirs[:1]} "
                f"against {ours[:1]})"
            )
        request = HttpRequest(base_url + "/graphql", body, "POST")
        return drive(request, None, settings, cpu.meter(peer.pid))
    except (BenchError, ValueError, KeyError, OSError, httpx.HTTPError) as exc:
        return Failure(f"F, PostgreSQL, {asked.label}: {aggregate_peer.LABEL}: {exc}")


def _start_peer(
    stack: ExitStack,
    postgres: Postgres,
    questions: list[Question],
    root: Path | None,
    work: Path,
    progress: Callable[[str], None],
) -> server.Served | Failure:
    """The peer, started on F's database (and stopped when ``stack`` closes); or
    why it cannot be measured (not installable, not starting)."""
    if root is None:
        return Failure(f"{aggregate_peer.LABEL} not measured (left out)")
    progress(f"F: installing (once) and starting {aggregate_peer.LABEL}")
    try:
        installed = aggregate_peer.install(root)
        postgres.psql(aggregate_peer.views_sql([q.tables for q in questions]), DATABASE)
        url = postgres.dexgate_url(DATABASE).replace("postgresql+asyncpg://", "postgres://")
        log = work / "pg-aggregates.log"
        return stack.enter_context(aggregate_peer.running(installed, url, log))
    except (BenchError, OSError) as exc:
        return Failure(f"{aggregate_peer.LABEL} not measured: {exc}")


def _entries(
    questions: list[Question], configurations: tuple[Configuration, ...], probe: bool = True
) -> str:
    """``entities apply`` takes the whole set: the bench's entries, F's stocks instead, and
    the probe entity where its table is (not on the SQLite copy)."""
    changed = {q.alias: q.entry for q in questions}
    every = [
        changed.get(e["tableAlias"], e)
        for c in configurations
        for e in json.loads(c.entities.read_text())
    ]
    return json.dumps([*every, *([dataset.probe_entry(with_note=False)] if probe else [])])


def run(
    postgres: Postgres,
    mariadb: str | None,
    sqlite: bool,
    settings: LoadSettings,
    work: Path,
    progress: Callable[[str], None] = print,
    peer_root: Path | None = aggregate_peer.ROOT,
) -> tuple[list[AggregateResult], list[str]]:
    """F on PostgreSQL (both configurations, and PostGraphile with pg-aggregates installed
    under ``peer_root``; None leaves it out), on a SQLite copy (entities.json) and, with a
    ``mariadb`` URL, on MariaDB (both): the results, and notes on what failed."""
    questions = [question(c) for c in CONFIGURATIONS]
    rows: list[AggregateResult] = []
    notes: list[str] = []
    progress("F: building the dataset again with a belongsTo product on the stocks")
    built = dataset.build(postgres, DATABASE, work)
    try:
        extra = work / "f.json"
        extra.write_text(_entries(questions, CONFIGURATIONS))
        dataset.dexgate(built.environ, "entities", "apply", str(extra))
        with ExitStack() as stack:
            peer = _start_peer(stack, postgres, questions, peer_root, work, progress)
            rows.extend(
                _on_postgresql(postgres, built, questions, peer, settings, work, notes, progress)
            )
        for row in rows:
            if isinstance(row.peer, Failure) and row.peer.error not in notes:
                notes.append(row.peer.error)
        if sqlite:
            built_sqlite = dataset.build_sqlite(postgres, DATABASE, work)
            sqlite_entries = work / "f-sqlite.json"
            sqlite_entries.write_text(_entries(questions[:1], (DEXGATE,), probe=False))
            dataset.dexgate(built_sqlite.environ, "entities", "apply", str(sqlite_entries))
            asked = questions[0]
            url = f"sqlite+aiosqlite:///{built_sqlite.database}"
            sql = asyncio.run(compiled_sql(url, asked.alias, asked.rest))
            progress(f"F, SQLite, {asked.configuration}: sqlite3 threads, then REST and GraphQL")
            rate = sqlite_rate(built_sqlite.database, sql, settings)
            rows.append(
                _measure(
                    "sqlite",
                    built_sqlite.environ,
                    built_sqlite.api_key,
                    asked,
                    rate,
                    settings,
                    work,
                )
            )
        if mariadb:
            # MariaDB's copy is read from the PostgreSQL database: before it is dropped.
            rows.extend(_on_mariadb(mariadb, postgres, questions, settings, work, notes, progress))
    finally:
        postgres.drop_database(DATABASE)
    return rows, notes


def _on_postgresql(
    postgres: Postgres,
    built: dataset.Dataset,
    questions: list[Question],
    peer: server.Served | Failure,
    settings: LoadSettings,
    work: Path,
    notes: list[str],
    progress: Callable[[str], None],
) -> list[AggregateResult]:
    """F on PostgreSQL, both configurations: pgbench on dexgate's SQL, dexgate, the peer."""
    rows = []
    for asked in questions:
        sql = asyncio.run(compiled_sql(postgres.dexgate_url(DATABASE), asked.alias, asked.rest))
        script = work / f"f-{asked.configuration}.sql"
        script.write_text(sql + ";\n")
        progress(f"F, PostgreSQL, {asked.configuration}: pgbench, REST, GraphQL and the peer")
        replayed = raw.pgbench(postgres, DATABASE, script, settings)
        rate = replayed.tps if isinstance(replayed, PgbenchResult) else 0.0
        if isinstance(replayed, Failure):
            notes.append(f"F, PostgreSQL, {asked.configuration}: pgbench: {replayed.error}")
        rows.append(
            _measure("postgresql", built.environ, built.api_key, asked, rate, settings, work, peer)
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--mariadb",
        default="mysql://root@127.0.0.1:3306",
        help="the MariaDB server for F there (an empty value skips it)",
    )
    parser.add_argument(
        "--no-pg-aggregates",
        action="store_true",
        help="leave out PostGraphile with @graphile/pg-aggregates (installed with npm otherwise)",
    )
    options = parser.parse_args()
    settings = LoadSettings(duration=options.seconds, warmup=min(3.0, options.seconds / 3))
    postgres = Postgres.from_url(options.postgres)
    with tempfile.TemporaryDirectory(prefix="dexgate-bench-f-") as directory:
        rows, notes = run(
            postgres,
            options.mariadb or None,
            True,
            settings,
            Path(directory),
            peer_root=None if options.no_pg_aggregates else aggregate_peer.ROOT,
        )
    print(aggregates_table(rows))
    for note in notes:
        print(f"- {note}")


def _on_mariadb(
    url: str,
    postgres: Postgres,
    questions: list[Question],
    settings: LoadSettings,
    work: Path,
    notes: list[str],
    progress: Callable[[str], None],
) -> list[AggregateResult]:
    """F on MariaDB: the same rows there, its raw rate from a driver loop on dexgate's own
    read connections (prepared statements, as dexgate reads)."""
    server = MariaDB.from_url(url)
    rows: list[AggregateResult] = []
    try:
        built = dataset.build_mariadb(postgres, server, DATABASE, work)
        entries = work / "f-mariadb.json"
        entries.write_text(_entries(questions, CONFIGURATIONS))
        dataset.dexgate(built.environ, "entities", "apply", str(entries))
        dexgate_url = server.dexgate_url(DATABASE)
        for asked in questions:
            sql = asyncio.run(compiled_sql(dexgate_url, asked.alias, asked.rest))
            # The driver formats the text with the (no) parameters: its % signs doubled.
            sent = mariadb_raw.Request(((sql.replace("%", "%%"), ()),))
            progress(f"F, MariaDB, {asked.configuration}: driver loop, then REST and GraphQL")
            replayed = mariadb_raw.replay(dexgate_url, sent, settings)
            rate = replayed.tps if isinstance(replayed, PgbenchResult) else 0.0
            if isinstance(replayed, Failure):
                notes.append(f"F, MariaDB, {asked.configuration}: driver loop: {replayed.error}")
            rows.append(
                _measure("mariadb", built.environ, built.api_key, asked, rate, settings, work)
            )
    finally:
        server.drop_database(DATABASE)
    return rows


if __name__ == "__main__":
    main()
