"""Reads and writes at once on the embedded default: ``python -m bench.sqlite_mixed``.

    python -m bench.sqlite_mixed [--duration 10] [--warmup 0] [--concurrency 16] [--workers 1]
                                [--batches 10] > mixed.json

Creates a SQLite file in a temporary directory, loads the demo catalog, creates an admin API
key, starts ``dexgate serve`` on it and measures, one after the other:

- ``read_only``: ``--concurrency`` clients reading products by id (REST GET and a GraphQL
  query, alternately) for ``--duration`` seconds, after ``--warmup`` seconds of the same
  load whose figures are dropped;
- ``mixed``: the same clients, 80 % of the requests such reads and 20 % single-row updates of
  a product's price (REST PATCH and a GraphQL update mutation, alternately);
- ``post_batches``: ``--batches`` sequential POSTs of 1,000 new products each (rows/s).

Prints the figures as JSON on stdout (requests/s, p50/p99 in ms, errors by kind and status: any
non-2xx answer, a GraphQL answer with ``errors``, or a failed connection) and a summary on
stderr. The server is stopped and the directory removed at the end, whatever happens.

``python -m bench`` measures ``read_only`` and ``mixed`` with :func:`measure` against the
SQLite file it serves (the benchmark's dataset, not the demo catalog).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.load import LoadSettings
from bench.results import Failure, MixedResult
from bench.soak import DEXGATE, ROOT, dexgate, free_port, wait_ready

PRODUCTS = "/dynamic-entity/products"
PRODUCT_IDS = 500  # the products read and updated: the first ones listed
DEMO_IDENTIFIER = "id_product"  # the demo catalog's; the benchmark's dataset names it ``id``


def graphql_get(identifier: str) -> str:
    return f"query($id: Int!) {{ product(id: $id) {{ {identifier} sku name price }} }}"


def graphql_update(identifier: str) -> str:
    return (
        "mutation($items: [ProductUpdateInput!]!) "
        f"{{ updateProducts(items: $items) {{ items {{ {identifier} }} errors {{ code }} }} }}"
    )


READ_KINDS = ("rest_get", "graphql_get")
WRITE_KINDS = ("rest_patch", "graphql_update")
MIXED_WRITE_SHARE = 0.2  # the mixed scenario: 80 % reads, 20 % single-row updates


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def choose(rnd: random.Random, turn: int, write_share: float) -> str:
    """The kind of a client's ``turn``-th request: an update with probability
    ``write_share``, else a read; REST and GraphQL alternate by turn."""
    kinds = WRITE_KINDS if rnd.random() < write_share else READ_KINDS
    return kinds[turn % 2]


async def request_once(
    web: httpx.AsyncClient,
    kind: str,
    rnd: random.Random,
    ids: list[int],
    identifier: str = DEMO_IDENTIFIER,
) -> str | None:
    """Send one request of ``kind`` about a product of ``ids`` (``identifier`` names the
    products' identifier field); None when it succeeded, else what went wrong."""
    row = rnd.choice(ids)
    if kind == "rest_get":
        response = await web.get(f"{PRODUCTS}/{row}")
    elif kind == "graphql_get":
        document = {"query": graphql_get(identifier), "variables": {"id": row}}
        response = await web.post("/graphql", json=document)
    elif kind == "rest_patch":
        price = f"{rnd.randint(100, 99999) / 100:.2f}"
        response = await web.patch(f"{PRODUCTS}/{row}", json={"data": {"price": price}})
    elif kind == "graphql_update":
        price = f"{rnd.randint(100, 99999) / 100:.2f}"
        variables = {"items": [{identifier: row, "price": price}]}
        response = await web.post(
            "/graphql", json={"query": graphql_update(identifier), "variables": variables}
        )
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


def summarise(
    *,
    write_share: float,
    clients: int,
    seconds: float,
    latencies: dict[str, list[float]],
    errors: Counter[str],
) -> MixedResult:
    """The figures of a load run: ``latencies`` in ms of the answers without errors, by
    kind; ``errors`` counted by ``"kind status"``."""
    every = [ms for values in latencies.values() for ms in values]
    writes = [ms for kind in WRITE_KINDS for ms in latencies.get(kind, [])]
    done = len(every) + sum(errors.values())
    return MixedResult(
        write_share=write_share,
        clients=clients,
        seconds=round(seconds, 3),
        requests=done,
        rps=round(done / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=round(percentile(every, 0.50), 2),
        p99_ms=round(percentile(every, 0.99), 2),
        writes_per_second=round(len(writes) / seconds, 1) if seconds > 0 else 0.0,
        write_p99_ms=round(percentile(writes, 0.99), 2),
        errors=sum(errors.values()),
        errors_by_kind=dict(sorted(errors.items())),
    )


async def load(
    base: str,
    key: str,
    ids: list[int],
    *,
    write_share: float,
    duration: float,
    clients: int,
    identifier: str = DEMO_IDENTIFIER,
) -> MixedResult:
    """``clients`` clients, each on a connection of its own, sending one request after the
    other for ``duration`` seconds: updates of a random product's price with probability
    ``write_share``, else reads of a random product by id (``ids``)."""
    latencies: dict[str, list[float]] = {kind: [] for kind in READ_KINDS + WRITE_KINDS}
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + duration

    async def client(number: int) -> None:
        rnd = random.Random(number)  # noqa: S311 - a load mix, not secrets
        turn = 0
        async with httpx.AsyncClient(base_url=base, headers={"X-Api-Key": key}, timeout=60) as web:
            while time.monotonic() < deadline:
                turn += 1
                kind = choose(rnd, turn, write_share)
                began = time.perf_counter()
                try:
                    error = await request_once(web, kind, rnd, ids, identifier)
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                if error is None:
                    latencies[kind].append((time.perf_counter() - began) * 1000)
                else:
                    errors[f"{kind} {error}"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    return summarise(
        write_share=write_share,
        clients=clients,
        seconds=elapsed,
        latencies=latencies,
        errors=errors,
    )


async def read_only_and_mixed(
    base: str,
    key: str,
    *,
    duration: float,
    warmup: float,
    clients: int,
    identifier: str = DEMO_IDENTIFIER,
) -> tuple[MixedResult, MixedResult]:
    """Reads alone, then with ``MIXED_WRITE_SHARE`` of updates, each after ``warmup``
    seconds of the same load whose figures are dropped."""
    ids = await product_ids(base, key, identifier)

    async def run(share: float, seconds: float) -> MixedResult:
        return await load(
            base,
            key,
            ids,
            write_share=share,
            duration=seconds,
            clients=clients,
            identifier=identifier,
        )

    results = []
    for share in (0.0, MIXED_WRITE_SHARE):
        if warmup > 0:
            await run(share, warmup)
        results.append(await run(share, duration))
    return results[0], results[1]


def measure(
    base: str, key: str, settings: LoadSettings, identifier: str
) -> tuple[MixedResult | Failure, MixedResult | Failure]:
    """The harness's read-only and mixed measurements against a running server, at
    ``settings.connections`` clients; a Failure for both when the load could not run."""
    try:
        return asyncio.run(
            read_only_and_mixed(
                base,
                key,
                duration=settings.duration,
                warmup=settings.warmup,
                clients=settings.connections,
                identifier=identifier,
            )
        )
    except (httpx.HTTPError, OSError, ValueError, KeyError) as exc:
        failed = Failure(f"reads with updates: {type(exc).__name__}: {exc}")
        return failed, failed


async def post_batches(base: str, key: str, batches: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6].upper()
    async with httpx.AsyncClient(base_url=base, headers={"X-Api-Key": key}, timeout=120) as web:
        started = time.perf_counter()
        for b in range(batches):
            rows = [
                {
                    "sku": f"M{run}-{b:03d}-{i:05d}",
                    "name": f"Bench product {i}",
                    "price": f"{(i % 9000) + 0.99:.2f}",
                    "category_id": (i % 12) + 1,
                }
                for i in range(1000)
            ]
            response = await web.post(PRODUCTS, json={"data": rows})
            response.raise_for_status()
        elapsed = time.perf_counter() - started
    return {"rows_per_second": round(batches * 1000 / elapsed), "batches": batches}


async def product_ids(base: str, key: str, identifier: str = DEMO_IDENTIFIER) -> list[int]:
    async with httpx.AsyncClient(base_url=base, headers={"X-Api-Key": key}, timeout=60) as web:
        response = await web.get(PRODUCTS, params={"page[limit]": PRODUCT_IDS})
        response.raise_for_status()
        ids = [row[identifier] for row in response.json()["data"]]
    if not ids:
        raise ValueError(f"GET {PRODUCTS} listed no products to read and update")
    return ids


async def bench(options: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dexgate-mixed-") as directory:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
        env["DEXGATE_DATABASE_URL"] = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        dexgate(env, "demo")
        key = dexgate(env, "apikey", "create", "bench", "--role", "admin").strip()
        process = await asyncio.create_subprocess_exec(
            *(str(DEXGATE), "serve", "--port", str(port), "--workers", str(options.workers)),
            *("--no-access-log", "--log-level", "warning"),
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,
            stderr=sys.stderr,
            start_new_session=True,
        )
        try:
            await wait_ready(base, process)
            result: dict[str, Any] = {"concurrency": options.concurrency}
            log("read_only, then mixed ...")
            read_only, mixed = await read_only_and_mixed(
                base,
                key,
                duration=options.duration,
                warmup=options.warmup,
                clients=options.concurrency,
            )
            result["read_only"] = dataclasses.asdict(read_only)
            result["mixed"] = dataclasses.asdict(mixed)
            log("post_batches ...")
            result["post_batches"] = await post_batches(base, key, options.batches)
            return result
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    os.killpg(process.pid, signal.SIGKILL)
                    await process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batches", type=int, default=10)
    options = parser.parse_args(argv)
    result = asyncio.run(bench(options))
    print(json.dumps(result, indent=2))
    for name in ("read_only", "mixed"):
        figures = result[name]
        log(
            f"{name}: {figures['rps']} req/s, p99 {figures['p99_ms']} ms, "
            f"writes {figures['writes_per_second']}/s p99 {figures['write_p99_ms']} ms, "
            f"{figures['errors']} errors {figures['errors_by_kind']}"
        )
    log(f"post_batches: {result['post_batches']['rows_per_second']} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
