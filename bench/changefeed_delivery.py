"""Scenario G, delivery: change-feed events sent by webhook from one ``dexgate serve`` process.

``python -m bench.changefeed_delivery [--events 20000] [--seconds 10] [--rate 500]
[--postgres URL] [--mariadb URL] [--no-sqlite]``

On each database (PostgreSQL, MariaDB, a SQLite file) the bench creates a database of its own
with a products-like table (``feed_product``, registered as ``feed-products`` with its change
feed on), a webhook to a local receiver (a bare ASGI app under uvicorn, in a process of its own,
that notes the arrival time, the event id and the row's new name of every POST and answers
204), and measures:

- **throughput**: ``--events`` rows are changed by plain SQL (batches of 1,000 rows, one
  transaction each) while no dexgate process runs; then (PostgreSQL: after an ``ANALYZE``, as
  autovacuum would have run on a database that grew by 20,000 events less suddenly: with the
  statistics of the empty tables, the feed's read planned a scan of every event of the
  entity, and delivery ran at about half the rate) one ``dexgate serve`` starts and the bench
  waits until every event has arrived. Events per second counts from the first arrival
  to the last (the process's start-up is not delivery).
- **latency**: with that process running, a writer commits ``--rate`` row changes per second
  (a small batch every 20 ms) for ``--seconds``; each change writes a name of its own, and the
  latency of an event is its arrival minus the commit of its change (both clocks of this
  machine): p50 and p99.

Targets (issue 17): at least 2,000 events/s; p50 ≤ 100 ms and p99 ≤ 1 s at 500 events/s.
The receiver, the writer and dexgate share the machine's cores with the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import server
from bench.dataset import dexgate, register
from bench.mariadb import MariaDB
from bench.postgres import Postgres
from bench.process import BenchError, environ_without
from bench.results import DeliveryResult

DATABASE = "dexgate_bench_g"
TABLE = "feed_product"  # written out in the SQL below
ALIAS = "feed-products"
BATCH = 1000
TICK = 0.02
RECEIVER_APP = "bench.changefeed_delivery:receiver_app"


# --- the receiver --------------------------------------------------------------------------


def receiver_app() -> Callable[..., Awaitable[None]]:
    """A bare ASGI app: POST notes (arrival, event id, new name) and answers 204; GET /ready
    answers 200; GET /count the number noted; GET /arrivals all of them as JSON."""
    arrivals: list[tuple[float, int, str]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        status, answer = 204, b""
        if scope["method"] == "POST":
            event = json.loads(body)
            name = (event.get("new") or {}).get("name", "")
            arrivals.append((time.time(), int(event["id"]), str(name)))
        elif scope["path"] == "/count":
            status, answer = 200, str(len(arrivals)).encode()
        elif scope["path"] == "/arrivals":
            status, answer = 200, json.dumps(arrivals).encode()
        elif scope["path"] == "/ready":
            status = 200
        headers = [(b"content-length", str(len(answer)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    return app


def receiver_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        RECEIVER_APP,
        "--factory",
        "--host",
        server.HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--http",
        "httptools",
        "--loop",
        "uvloop",
    ]


def _count(receiver: str) -> int:
    return int(httpx.get(receiver + "/count", timeout=30).text)


def _arrivals(receiver: str) -> list[tuple[float, int, str]]:
    return [(float(t), int(i), str(n)) for t, i, n in httpx.get(receiver + "/arrivals").json()]


def _wait_for(receiver: str, count: int, within: float) -> int:
    deadline = time.monotonic() + within
    seen = _count(receiver)
    while seen < count and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = _count(receiver)
    return seen


# --- the database --------------------------------------------------------------------------


def entry() -> dict[str, Any]:
    """``feed-products``: a product's fields, its change feed on."""

    def field(name: str, kind: str, creatable: bool = True) -> dict[str, Any]:
        return {
            "fieldName": name,
            "fieldVisibleName": name,
            "type": kind,
            "isCreatable": creatable,
            "isEditable": creatable,
            "validation": {"isRequired": False},
        }

    return {
        "tableName": TABLE,
        "tableAlias": ALIAS,
        "isActive": True,
        "changeFeed": True,
        "definition": {
            "identifier": "id",
            "isDeletable": True,
            "fields": [
                field("id", "integer", creatable=False),
                field("sku", "string"),
                field("name", "string"),
                field("price", "decimal"),
                field("is_active", "boolean"),
                field("created_at", "datetime"),
            ],
        },
    }


def _postgres_table(postgres: Postgres, rows: int) -> None:
    postgres.create_database(DATABASE)
    postgres.psql(
        f"CREATE TABLE {TABLE} (id serial PRIMARY KEY, sku text UNIQUE NOT NULL, "  # noqa: S608
        "name text NOT NULL, price numeric(12,2) NOT NULL, is_active boolean NOT NULL "
        "DEFAULT true, created_at timestamptz DEFAULT now());"
        f"INSERT INTO {TABLE} (sku, name, price) SELECT 'SKU-' || i, 'Product ' || i, "
        f"(i % 1000) + 0.99 FROM generate_series(1, {rows}) AS i;",
        DATABASE,
    )


def _mariadb_table(mariadb: MariaDB, rows: int) -> None:
    mariadb.create_database(DATABASE)
    mariadb.sql(
        "CREATE TABLE feed_product "  # noqa: S608
        "(id int AUTO_INCREMENT PRIMARY KEY, sku varchar(64) UNIQUE NOT NULL, "
        "name varchar(255) NOT NULL, price decimal(12,2) NOT NULL, is_active boolean NOT NULL "
        "DEFAULT true, created_at timestamp(6) DEFAULT current_timestamp(6));"
        f"INSERT INTO {TABLE} (sku, name, price) SELECT concat('SKU-', seq), "
        f"concat('Product ', seq), (seq % 1000) + 0.99 FROM seq_1_to_{rows};",
        DATABASE,
    )


def _sqlite_table(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE feed_product "  # noqa: S608
            "(id INTEGER PRIMARY KEY AUTOINCREMENT, sku TEXT UNIQUE NOT NULL, name TEXT NOT NULL, "
            "price NUMERIC(12,2) NOT NULL, is_active BOOLEAN NOT NULL "
            "DEFAULT 1, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);"
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "
            f"INSERT INTO {TABLE} (sku, name, price) SELECT 'SKU-' || i, 'Product ' || i, "
            "(i % 1000) + 0.99 FROM n;"
        )


# --- the writers ---------------------------------------------------------------------------


def _engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": 60})
    return create_async_engine(url, pool_size=2)


async def _change_all(url: str, rows: int) -> None:
    """Every row once, in batches of :data:`BATCH` rows, one transaction each."""
    engine = _engine(url)
    try:
        for start in range(1, rows + 1, BATCH):
            async with engine.begin() as connection:
                await connection.execute(
                    sa.text("UPDATE feed_product SET name = :name WHERE id BETWEEN :a AND :b"),
                    {"name": "Bulk change", "a": start, "b": min(rows, start + BATCH - 1)},
                )
    finally:
        await engine.dispose()


async def _steady(url: str, rows: int, rate: float, seconds: float) -> dict[str, float]:
    """``rate`` row changes a second for ``seconds``, a batch every :data:`TICK`; the commit
    time of every name written."""
    engine = _engine(url)
    committed: dict[str, float] = {}
    per_tick = max(1, round(rate * TICK))
    statement = sa.text("UPDATE feed_product SET name = :name WHERE id = :id")
    sequence = 0
    try:
        started = time.monotonic()
        ticks = int(seconds / TICK)
        for tick in range(ticks):
            names = [f"L{sequence + i}" for i in range(per_tick)]
            params = [
                {"name": name, "id": 1 + (sequence + i) % rows} for i, name in enumerate(names)
            ]
            sequence += per_tick
            async with engine.begin() as connection:
                await connection.execute(statement, params)
            now = time.time()
            committed.update(dict.fromkeys(names, now))
            delay = started + (tick + 1) * TICK - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        elapsed = time.monotonic() - started
    finally:
        await engine.dispose()
    committed["__rate__"] = len(committed) / elapsed
    return committed


def _analyze(postgres: Postgres) -> None:
    postgres.psql("ANALYZE", DATABASE)


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- one database --------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    events: int = 20_000
    seconds: float = 10.0
    rate: float = 500.0
    wait: float = 120.0


def measure(
    label: str,
    url: str,
    settings: Settings,
    work: Path,
    notes: list[str],
    progress: Callable[[str], None],
    analyze: Callable[[], None] | None = None,
) -> DeliveryResult:
    """Throughput, then latency, on the database at ``url`` (its table made already)."""
    environ = environ_without(
        "DEXGATE_", DEXGATE_DATABASE_URL=url, DEXGATE_WEBHOOK_ALLOW_PRIVATE="true"
    )
    api_key = register(environ, [entry()], work / f"g-{label}.json")
    receiver_port = server.free_port()
    receiver_log = work / f"receiver-{label}.log"
    with server.running(
        receiver_command(receiver_port), receiver_port, environ, receiver_log, None, "/ready"
    ) as receiver:
        dexgate(
            environ, "webhook", "create", "bench", "--url", receiver + "/hook", "--entity", ALIAS
        )
        progress(f"G delivery, {label}: {settings.events} rows changed by SQL, no server")
        asyncio.run(_change_all(url, settings.events))
        if analyze is not None:
            analyze()
        port = server.free_port()
        log = work / f"serve-g-{label}.log"
        with server.running(server.serve_command(port, 1), port, environ, log, api_key):
            progress(f"G delivery, {label}: delivering the {settings.events} events")
            arrived = _wait_for(receiver, settings.events, settings.wait)
            times = sorted(t for t, _, _ in _arrivals(receiver))
            span = times[-1] - times[0] if len(times) > 1 else 0.0
            throughput = (len(times) - 1) / span if span > 0 else 0.0
            if arrived < settings.events:
                notes.append(
                    f"G delivery, {label}: {arrived} of {settings.events} events arrived "
                    f"within {settings.wait:g} s"
                )
            before = len(times)
            progress(
                f"G delivery, {label}: {throughput:.0f} events/s; now {settings.rate:g} "
                f"changes/s for {settings.seconds:g} s"
            )
            committed = asyncio.run(_steady(url, settings.events, settings.rate, settings.seconds))
            rate = committed.pop("__rate__")
            _wait_for(receiver, before + len(committed), 30.0)
            latencies = [
                (t - committed[name]) * 1000
                for t, _, name in _arrivals(receiver)
                if name in committed
            ]
            missing = len(committed) - len({n for _, _, n in _arrivals(receiver) if n in committed})
            if missing:
                notes.append(f"G delivery, {label}: {missing} latency events did not arrive")
            error = server.last_error(log)
            if error:
                notes.append(f"G delivery, {label}: the server logged {error}")
    return DeliveryResult(
        label,
        arrived,
        round(throughput, 1),
        round(_percentile(latencies, 0.5), 1),
        round(_percentile(latencies, 0.99), 1),
        round(rate, 1),
    )


def run(
    postgres: Postgres,
    mariadb: str | None,
    sqlite: bool,
    work: Path,
    progress: Callable[[str], None] = print,
    settings: Settings | None = None,
    *,
    with_postgres: bool = True,
) -> tuple[list[DeliveryResult], list[str]]:
    """G's delivery on PostgreSQL, on MariaDB (with a ``mariadb`` URL) and on a SQLite file
    (``sqlite``): the results, and notes on what fell short or failed."""
    settings = settings or Settings()
    rows: list[DeliveryResult] = []
    notes: list[str] = []

    def attempt(
        label: str,
        prepare: Callable[[], str],
        drop: Callable[[], None],
        analyze: Callable[[], None] | None = None,
    ) -> None:
        try:
            url = prepare()
            rows.append(measure(label, url, settings, work, notes, progress, analyze))
        except (BenchError, OSError, httpx.HTTPError, sa.exc.SQLAlchemyError) as exc:
            notes.append(f"G delivery on {label} failed: {exc}")
        finally:
            drop()

    def on_postgres() -> str:
        _postgres_table(postgres, settings.events)
        return postgres.dexgate_url(DATABASE)

    if with_postgres:
        attempt(
            "postgresql",
            on_postgres,
            lambda: postgres.drop_database(DATABASE),
            lambda: _analyze(postgres),
        )
    if mariadb:
        maria = MariaDB.from_url(mariadb)

        def on_mariadb() -> str:
            _mariadb_table(maria, settings.events)
            return maria.dexgate_url(DATABASE)

        attempt("mariadb", on_mariadb, lambda: maria.drop_database(DATABASE))
    if sqlite:
        path = work / "g.db"

        def on_sqlite() -> str:
            _sqlite_table(path, settings.events)
            return f"sqlite+aiosqlite:///{path}"

        attempt("sqlite", on_sqlite, lambda: path.unlink(missing_ok=True))
    return rows, notes


def table(rows: list[DeliveryResult]) -> str:
    lines = [
        "| database | events | events/s | written/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.database} | {r.events} | {r.events_per_second:.0f} | {r.rate:.0f} | "
        f"{r.p50_ms:.0f} | {r.p99_ms:.0f} |"
        for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--wait", type=float, default=120.0, help="longest wait for delivery")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--mariadb",
        default="mysql://root@127.0.0.1:3306",
        help="the MariaDB server (an empty value skips it)",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    settings = Settings(options.events, options.seconds, options.rate, options.wait)
    postgres = Postgres.from_url(options.postgres)
    with tempfile.TemporaryDirectory(prefix="dexgate-bench-g-") as directory:
        rows, notes = run(
            postgres,
            options.mariadb or None,
            not options.no_sqlite,
            Path(directory),
            settings=settings,
            with_postgres=not options.no_postgres,
        )
    print(table(rows))
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
