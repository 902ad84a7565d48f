"""Scenario F: a dashboard's grouped totals, against the raw database rate for the same SQL.

``python -m bench.aggregates [--seconds 10] [--postgres postgresql://postgres@127.0.0.1:5432]``

The question: the sum of stock quantity and the number of products, grouped by the products'
category and month of creation, over the bench dataset (20,000 stock rows of 10,000 products).
It is asked of the stocks through their belongsTo relationship to the product, over REST::

    /dynamic-entity/stocks?aggregate[sum]=quantity&aggregate[countDistinct]=product_id
        &groupBy[]=product.category_id&groupBy[]=month(product.created_at)

and GraphQL (``stocksAggregate(groupBy: [PRODUCT_CATEGORY_ID, PRODUCT_CREATED_AT_MONTH])``),
in both configurations of the bench (``entities.json``; the Spryker-style one, whose
``createdAt`` is a string field over the timestamp column), on PostgreSQL and on the SQLite copy.
The raw rate is the statement dexgate compiles for the REST request, replayed at the same
concurrency: pgbench on PostgreSQL, the same number of threads running it through sqlite3 on
SQLite. Target (issue 16): dexgate at least half the raw rate. dexgate and wrk share the machine's
two cores with the database, as in every scenario of ``make bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from app.database import create_engine
from app.rest.aggregate_query import aggregate_plan
from app.settings import Settings
from bench import dataset, raw, server
from bench.configurations import CONFIGURATIONS, DEXGATE, Configuration
from bench.load import HttpRequest, LoadSettings, drive
from bench.postgres import Postgres
from bench.results import Failure, LoadResult, PgbenchResult
from schema_builder.operations.aggregates.compile import compile_aggregate
from schema_builder.operations.reads.sql import sqlite_functions
from schema_builder.registry import CatalogRegistry

DATABASE = "dexgate_bench_f"
TARGET = 0.5  # of the raw database rate


@dataclass(frozen=True)
class Question:
    """F in one configuration: the entity it adds and the requests that ask it."""

    configuration: str
    alias: str
    entry: dict[str, Any]
    rest: str
    graphql: str


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
    return Question(configuration.key, alias, entry, rest, graphql)


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
        return str(statement)
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


def _check(base_url: str, api_key: str, asked: Question) -> int:
    """The groups of the REST answer (and that GraphQL answers the same groups)."""
    import httpx

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
    return len(groups)


@dataclass(frozen=True)
class Row:
    database: str
    configuration: str
    groups: int
    raw: float
    rest: LoadResult
    graphql: LoadResult


def _measure(
    database: str,
    environ: dict[str, str],
    api_key: str,
    asked: Question,
    raw_rate: float,
    settings: LoadSettings,
    work: Path,
) -> Row:
    port = server.free_port()
    log = work / f"serve-{database}-{asked.configuration}.log"
    with server.running(server.serve_command(port, 1), port, environ, log, api_key) as base:
        groups = _check(base, api_key, asked)
        rest = drive(HttpRequest(base + asked.rest), api_key, settings)
        body = json.dumps({"query": asked.graphql})
        graphql = drive(HttpRequest(base + "/graphql", body, "POST"), api_key, settings)
    return Row(database, asked.configuration, groups, raw_rate, rest, graphql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    settings = LoadSettings(duration=options.seconds, warmup=min(3.0, options.seconds / 3))
    postgres = Postgres.from_url(options.postgres)
    questions = [question(c) for c in CONFIGURATIONS]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="dexgate-bench-f-") as directory:
        work = Path(directory)
        built = dataset.build(postgres, DATABASE, work)
        try:
            # `entities apply` takes the whole set: the bench's entries, F's stocks instead.
            changed = {q.alias: q.entry for q in questions}
            every = [
                changed.get(e["tableAlias"], e)
                for c in CONFIGURATIONS
                for e in json.loads(c.entities.read_text())
            ]
            extra = work / "f.json"
            extra.write_text(json.dumps([*every, dataset.probe_entry(with_note=False)]))
            dataset.dexgate(built.environ, "entities", "apply", str(extra))
            sqlite = dataset.build_sqlite(postgres, DATABASE, work)
            sqlite_entry = work / "f-sqlite.json"
            sqlite_entry.write_text(
                json.dumps(
                    [
                        changed.get(e["tableAlias"], e)
                        for e in json.loads(DEXGATE.entities.read_text())
                    ]
                )
            )
            dataset.dexgate(sqlite.environ, "entities", "apply", str(sqlite_entry))
            for asked in questions:
                sql = asyncio.run(
                    compiled_sql(postgres.dexgate_url(DATABASE), asked.alias, asked.rest)
                )
                script = work / f"f-{asked.configuration}.sql"
                script.write_text(sql + ";\n")
                replayed = raw.pgbench(postgres, DATABASE, script, settings)
                rate = replayed.tps if isinstance(replayed, PgbenchResult) else 0.0
                if isinstance(replayed, Failure):
                    print(f"pgbench failed: {replayed}")
                rows.append(
                    _measure(
                        "postgresql", built.environ, built.api_key, asked, rate, settings, work
                    )
                )
            asked = questions[0]
            sql = asyncio.run(
                compiled_sql(f"sqlite+aiosqlite:///{sqlite.database}", asked.alias, asked.rest)
            )
            rate = sqlite_rate(sqlite.database, sql, settings)
            rows.append(
                _measure("sqlite", sqlite.environ, sqlite.api_key, asked, rate, settings, work)
            )
        finally:
            postgres.drop_database(DATABASE)
    print(report(rows, settings))


def report(rows: list[Row], settings: LoadSettings) -> str:
    lines = [
        f"F (grouped totals), {settings.connections} connections, {settings.duration:.0f} s, "
        f"target REST and GraphQL >= {TARGET}x the raw rate",
        "",
        "| database | configuration | groups | raw SQL/s | REST req/s (p99 ms) | ratio "
        "| GraphQL req/s (p99 ms) | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        rest_ratio = row.rest.rps / row.raw if row.raw else 0.0
        graphql_ratio = row.graphql.rps / row.raw if row.raw else 0.0
        lines.append(
            f"| {row.database} | {row.configuration} | {row.groups} | {row.raw:,.0f} "
            f"| {row.rest.rps:,.0f} ({row.rest.p99_ms:.1f}) | {rest_ratio:.2f}x "
            f"| {row.graphql.rps:,.0f} ({row.graphql.p99_ms:.1f}) | {graphql_ratio:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
