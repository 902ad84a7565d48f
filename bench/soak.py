"""Soak test: mixed REST and GraphQL reads and writes against a dexgate it starts.

    python bench/soak.py [--database postgresql|sqlite] [--duration 600] [--concurrency 16]
                         [--warmup 60] > soak.json

Serves a database of its own: on PostgreSQL (the default) a database created on the server
given by ``--postgres`` (default the local one) and dropped at the end; on SQLite
(``--database sqlite``) a file in a temporary directory, removed at the end. Loads the demo
catalog, creates an admin API key, starts ``dexgate serve`` and drives it at a fixed
concurrency for a fixed time: lists, reads by id, reads with includes, and POST, PATCH and
DELETE of rows it created itself, over REST and GraphQL. Every ``--sample-every`` seconds it
reads the server's resident memory (``VmRSS`` in /proc, the server and its workers added up).

Prints the result as JSON on stdout and a short summary on stderr: errors by request kind and
status (any non-2xx answer, a GraphQL answer with ``errors``, or a failed connection), latency
percentiles per request kind after the warm-up, memory over time, and memory growth from the
end of the warm-up to the end of the run. The database is removed and the server stopped at the
end, whatever happens. Exit status 1 when there were errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
DEXGATE = Path(sys.executable).with_name("dexgate")
PRODUCTS = "/dynamic-entity/products"
DATABASES = ("postgresql", "sqlite")
OWN_ROWS_TARGET = 40  # rows each client keeps of its own: creates and deletes balance around it

# Request kinds and how often each is picked (weights).
MIX: dict[str, int] = {
    "rest_list": 16,
    "rest_get": 16,
    "rest_include": 8,
    "rest_post": 6,
    "rest_patch": 6,
    "rest_delete": 6,
    "graphql_list": 12,
    "graphql_get": 8,
    "graphql_create": 4,
    "graphql_update": 4,
    "graphql_delete": 4,
}
GRAPHQL_LIST = (
    "query($offset: Int!) { products(limit: 20, offset: $offset) "
    "{ items { id_product sku price category { name } stocks { warehouse quantity } } } }"
)
GRAPHQL_GET = "query($id: Int!) { product(id: $id) { id_product sku name price } }"
GRAPHQL_CREATE = (
    "mutation($items: [ProductCreateInput!]!) "
    "{ createProducts(items: $items) { items { id_product } errors { code message } } }"
)
GRAPHQL_UPDATE = (
    "mutation($items: [ProductUpdateInput!]!) "
    "{ updateProducts(items: $items) { items { id_product } errors { code message } } }"
)
GRAPHQL_DELETE = (
    "mutation($id: Int!) { deleteProducts(id: $id) { deletedCount errors { code message } } }"
)


def log(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def postgres(admin_url: str, statement: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def dexgate(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own console script with fixed arguments
        [str(DEXGATE), *args], env=env, capture_output=True, text=True, check=False, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(f"dexgate {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants (uvicorn workers), in KiB."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[parent].append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


async def wait_ready(url: str, process: asyncio.subprocess.Process, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=url, timeout=2) as web:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError("dexgate serve exited during start-up")
            try:
                if (await web.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"dexgate serve was not ready within {within} s")


# --- the load -----------------------------------------------------------------------------


@dataclass
class Results:
    started: float
    warmup_ends: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)
    errors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    error_samples: list[str] = field(default_factory=list)
    memory: list[tuple[float, int]] = field(default_factory=list)

    def record(self, kind: str, began: float, seconds: float, error: str | None) -> None:
        self.counts[kind] += 1
        if error is not None:
            self.errors[kind][error] += 1
        elif began >= self.warmup_ends:
            self.latencies[kind].append(seconds * 1000)


class Client:
    """One of the concurrent callers: its own rows, its own random sequence."""

    def __init__(self, web: httpx.AsyncClient, number: int, demo_ids: list[int], seed: int):
        self.web = web
        self.random = random.Random(seed * 1000 + number)  # noqa: S311 - a load mix, not secrets
        self.demo_ids = demo_ids
        self.own: list[int] = []
        self.prefix = f"SOAK-{uuid.uuid4().hex[:6].upper()}-{number}-"
        self.serial = 0
        self.kinds = list(MIX)
        self.weights = list(MIX.values())

    def new_product(self) -> dict[str, Any]:
        self.serial += 1
        return {
            "sku": f"{self.prefix}{self.serial}",
            "name": f"Soak product {self.serial}",
            "price": f"{self.random.randint(100, 99999) / 100:.2f}",
            "category_id": self.random.randint(1, 12),
        }

    def pick(self) -> str:
        kind = self.random.choices(self.kinds, self.weights)[0]
        writes_own = kind.endswith(("_patch", "_delete", "_update"))
        if writes_own and not self.own:
            return kind.split("_")[0] + ("_post" if kind.startswith("rest") else "_create")
        if kind.endswith(("_post", "_create")) and len(self.own) >= OWN_ROWS_TARGET:
            return kind.split("_")[0] + "_delete"
        return kind

    async def run(self, kind: str) -> str | None:
        """Send one request of ``kind``; None when it succeeded, else what went wrong."""
        web, rnd = self.web, self.random
        if kind == "rest_list":
            offset = rnd.randint(0, max(0, len(self.demo_ids) - 50))
            response = await web.get(PRODUCTS, params={"page[offset]": offset, "page[limit]": 50})
        elif kind == "rest_get":
            response = await web.get(f"{PRODUCTS}/{rnd.choice(self.demo_ids)}")
        elif kind == "rest_include":
            offset = rnd.randint(0, max(0, len(self.demo_ids) - 20))
            response = await web.get(
                PRODUCTS,
                params={"page[offset]": offset, "page[limit]": 20, "include": "stocks,category"},
            )
        elif kind == "rest_post":
            response = await web.post(PRODUCTS, json={"data": [self.new_product() for _ in "ab"]})
            if response.status_code == 201:
                self.own.extend(row["id_product"] for row in response.json()["data"])
        elif kind == "rest_patch":
            row = rnd.choice(self.own)
            response = await web.patch(f"{PRODUCTS}/{row}", json={"data": {"price": "12.34"}})
        elif kind == "rest_delete":
            response = await web.delete(f"{PRODUCTS}/{self.own.pop(rnd.randrange(len(self.own)))}")
        elif kind == "graphql_list":
            offset = rnd.randint(0, max(0, len(self.demo_ids) - 20))
            response = await self.graphql(GRAPHQL_LIST, {"offset": offset})
        elif kind == "graphql_get":
            response = await self.graphql(GRAPHQL_GET, {"id": rnd.choice(self.demo_ids)})
        elif kind == "graphql_create":
            response = await self.graphql(GRAPHQL_CREATE, {"items": [self.new_product()]})
            saved = response.json().get("data") or {}
            self.own.extend(
                i["id_product"] for i in (saved.get("createProducts") or {}).get("items", [])
            )
        elif kind == "graphql_update":
            item = {"id_product": rnd.choice(self.own), "price": "43.21"}
            response = await self.graphql(GRAPHQL_UPDATE, {"items": [item]})
        elif kind == "graphql_delete":
            own = self.own.pop(rnd.randrange(len(self.own)))
            response = await self.graphql(GRAPHQL_DELETE, {"id": own})
        else:
            raise ValueError(kind)
        if not response.is_success:
            return str(response.status_code)
        if kind.startswith("graphql"):
            body = response.json()
            if body.get("errors") or any(
                (result or {}).get("errors") for result in (body.get("data") or {}).values()
            ):
                return "graphql-errors"
        return None

    async def graphql(self, query: str, variables: dict[str, Any]) -> httpx.Response:
        return await self.web.post("/graphql", json={"query": query, "variables": variables})


async def drive(client: Client, results: Results, deadline: float) -> None:
    while time.monotonic() < deadline:
        kind = client.pick()
        began = time.monotonic()
        try:
            error = await client.run(kind)
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        results.record(kind, began, time.monotonic() - began, error)
        if error is not None and len(results.error_samples) < 20:
            results.error_samples.append(f"{kind}: {error}")


async def sample_memory(pid: int, results: Results, every: float, deadline: float) -> None:
    while True:
        now = time.monotonic()
        results.memory.append((now - results.started, rss_kib(pid)))
        done = sum(results.counts.values())
        failed = sum(sum(c.values()) for c in results.errors.values())
        log(
            f"{now - results.started:5.0f} s  {done} requests, {failed} errors, "
            f"RSS {results.memory[-1][1] / 1024:.1f} MiB"
        )
        if now >= deadline:
            return
        await asyncio.sleep(min(every, max(0.0, deadline - now)))


# --- the report ---------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(results: Results, options: argparse.Namespace, elapsed: float) -> dict[str, Any]:
    latency = {
        kind: {
            "count": len(values),
            "p50_ms": round(percentile(values, 0.50), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
            "p99_ms": round(percentile(values, 0.99), 2),
            "max_ms": round(max(values), 2),
        }
        for kind, values in sorted(results.latencies.items())
        if values
    }
    after = [(t, kib) for t, kib in results.memory if t >= options.warmup]
    memory: dict[str, Any] = {
        "samples": [
            {"seconds": round(t, 1), "rss_mib": round(k / 1024, 1)} for t, k in results.memory
        ],
    }
    if len(after) >= 2:
        first, last = after[0][1], after[-1][1]
        slope = statistics.linear_regression([t for t, _ in after], [k / 1024 for _, k in after])
        memory.update(
            after_warmup_mib=round(first / 1024, 1),
            final_mib=round(last / 1024, 1),
            peak_mib=round(max(k for _, k in after) / 1024, 1),
            growth_after_warmup_percent=round((last - first) / first * 100, 2),
            trend_mib_per_minute=round(slope.slope * 60, 3),
        )
    total = sum(results.counts.values())
    errors = {kind: dict(statuses) for kind, statuses in sorted(results.errors.items())}
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - elapsed)),
        "database": options.database,
        "duration_s": round(elapsed, 1),
        "warmup_s": options.warmup,
        "concurrency": options.concurrency,
        "workers": options.workers,
        "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "requests_by_kind": dict(sorted(results.counts.items())),
        "errors": sum(sum(c.values()) for c in results.errors.values()),
        "errors_by_kind": errors,
        "error_samples": results.error_samples,
        "latency_after_warmup": latency,
        "memory": memory,
    }


def summary(result: dict[str, Any]) -> str:
    lines = [
        f"{result['database']}: {result['requests']} requests in {result['duration_s']} s "
        f"({result['requests_per_s']}/s, concurrency {result['concurrency']}), "
        f"{result['errors']} errors {result['errors_by_kind'] or ''}".rstrip(),
        f"{'kind':<16}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}",
    ]
    for kind, row in result["latency_after_warmup"].items():
        lines.append(
            f"{kind:<16}{row['count']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}"
        )
    memory = result["memory"]
    if "growth_after_warmup_percent" in memory:
        lines.append(
            f"RSS after warm-up {memory['after_warmup_mib']} MiB, at the end "
            f"{memory['final_mib']} MiB (peak {memory['peak_mib']}): "
            f"{memory['growth_after_warmup_percent']:+} %, trend "
            f"{memory['trend_mib_per_minute']:+} MiB/min"
        )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A database of its own on the PostgreSQL server at ``admin_url``, dropped at the end;
    yields its URL."""
    database = f"dexgate_soak_{uuid.uuid4().hex[:8]}"
    url = sa.make_url(admin_url).set(database=database)
    await postgres(admin_url, f'CREATE DATABASE "{database}"')
    log(f"database {database} created")
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        await postgres(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        log(f"database {database} dropped")


@contextlib.asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    """A SQLite file in a temporary directory, removed at the end; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="dexgate-soak-") as directory:
        path = Path(directory) / "soak.db"
        log(f"SQLite file {path}")
        yield f"sqlite+aiosqlite:///{path}"
    log(f"SQLite file {path} removed")


def database(options: argparse.Namespace) -> contextlib.AbstractAsyncContextManager[str]:
    """The database the soak serves, as ``--database`` chose it."""
    if options.database == "sqlite":
        return sqlite_database()
    return postgres_database(options.postgres)


async def soak(options: argparse.Namespace) -> dict[str, Any]:
    async with database(options) as database_url:
        return await serve_and_load(options, database_url)


async def serve_and_load(options: argparse.Namespace, database_url: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
    env["DEXGATE_DATABASE_URL"] = database_url
    port = options.port or free_port()
    base = f"http://127.0.0.1:{port}"
    process: asyncio.subprocess.Process | None = None
    try:
        log("loading the demo catalog")
        dexgate(env, "demo")
        key = dexgate(env, "apikey", "create", "soak", "--role", "admin").strip()
        process = await asyncio.create_subprocess_exec(
            *(str(DEXGATE), "serve", "--port", str(port), "--workers", str(options.workers)),
            *("--no-access-log", "--log-level", "warning"),
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,  # stdout is the JSON result's
            stderr=sys.stderr,
            start_new_session=True,
        )
        await wait_ready(base, process)
        return await run_load(options, base, key, process.pid)
    finally:
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


async def run_load(options: argparse.Namespace, base: str, key: str, pid: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=options.concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers={"X-Api-Key": key}, limits=limits, timeout=60
    ) as web:
        listed = await web.get(PRODUCTS, params={"page[limit]": 1000})
        listed.raise_for_status()
        demo_ids = [row["id_product"] for row in listed.json()["data"]]
        started = time.monotonic()
        deadline = started + options.duration
        results = Results(started, started + options.warmup)
        log(
            f"{options.concurrency} clients for {options.duration} s on {base} "
            f"({len(demo_ids)} demo products; warm-up {options.warmup} s)"
        )
        clients = [Client(web, n, demo_ids, options.seed) for n in range(options.concurrency)]
        tasks: list[Awaitable[None]] = [drive(c, results, deadline) for c in clients]
        tasks.append(sample_memory(pid, results, options.sample_every, deadline))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
    return report(results, options, elapsed)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=600, help="seconds of load (600)")
    parser.add_argument("--warmup", type=float, default=60, help="seconds not counted (60)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (1)")
    parser.add_argument("--sample-every", type=float, default=5, help="RSS sampling, s (5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the mix (1)")
    parser.add_argument("--port", type=int, default=0, help="server port (a free one)")
    parser.add_argument(
        "--database",
        choices=DATABASES,
        default="postgresql",
        help="serve a PostgreSQL database of its own, or a SQLite file in a temporary directory",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "DEXGATE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL URL whose user may create databases (--database postgresql)",
    )
    options = parser.parse_args(argv)
    if options.warmup >= options.duration:
        parser.error("--warmup must be shorter than --duration")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    result = asyncio.run(soak(options))
    json.dump(result, sys.stdout, indent=2)
    print()
    print(summary(result), file=sys.stderr)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
