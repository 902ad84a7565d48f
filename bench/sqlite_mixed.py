"""Reads and writes at once on the embedded default: ``python bench/sqlite_mixed.py``.

    python bench/sqlite_mixed.py [--duration 10] [--concurrency 16] [--workers 1] > mixed.json

Creates a SQLite file in a temporary directory, loads the demo catalog, creates an admin API
key, starts ``dexgate serve`` on it and measures, one after the other:

- ``read_only``: ``--concurrency`` clients reading products by id (REST GET and a GraphQL
  query, alternately) for ``--duration`` seconds;
- ``mixed``: the same clients, 80 % of the requests such reads and 20 % single-row updates of
  a product's price (REST PATCH and a GraphQL update mutation, alternately);
- ``post_batches``: ``--batches`` sequential POSTs of 1,000 new products each (rows/s).

Prints the figures as JSON on stdout (requests/s, p50/p99 in ms, errors by kind and status: any
non-2xx answer, a GraphQL answer with ``errors``, or a failed connection) and a summary on
stderr. The server is stopped and the directory removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
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

from bench.soak import DEXGATE, ROOT, dexgate, free_port, wait_ready

PRODUCTS = "/dynamic-entity/products"
GRAPHQL_GET = "query($id: Int!) { product(id: $id) { id_product sku name price } }"
GRAPHQL_UPDATE = (
    "mutation($items: [ProductUpdateInput!]!) "
    "{ updateProducts(items: $items) { items { id_product } errors { code } } }"
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _one(web: httpx.AsyncClient, kind: str, rnd: random.Random, ids: list[int]) -> str | None:
    """Send one request of ``kind``; None when it succeeded, else what went wrong."""
    row = rnd.choice(ids)
    if kind == "rest_get":
        response = await web.get(f"{PRODUCTS}/{row}")
    elif kind == "graphql_get":
        response = await web.post("/graphql", json={"query": GRAPHQL_GET, "variables": {"id": row}})
    elif kind == "rest_patch":
        price = f"{rnd.randint(100, 99999) / 100:.2f}"
        response = await web.patch(f"{PRODUCTS}/{row}", json={"data": {"price": price}})
    else:
        price = f"{rnd.randint(100, 99999) / 100:.2f}"
        variables = {"items": [{"id_product": row, "price": price}]}
        response = await web.post(
            "/graphql", json={"query": GRAPHQL_UPDATE, "variables": variables}
        )
    if not response.is_success:
        return str(response.status_code)
    if kind.startswith("graphql"):
        body = response.json()
        if body.get("errors") or any(
            (result or {}).get("errors") for result in (body.get("data") or {}).values()
        ):
            return "graphql-errors"
    return None


async def load(
    base: str, key: str, ids: list[int], *, write_share: float, options: argparse.Namespace
) -> dict[str, Any]:
    latencies: list[float] = []
    write_latencies: list[float] = []
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + options.duration

    async def client(number: int) -> None:
        rnd = random.Random(number)  # noqa: S311 - a load mix, not secrets
        turn = 0
        async with httpx.AsyncClient(base_url=base, headers={"X-Api-Key": key}, timeout=60) as web:
            while time.monotonic() < deadline:
                turn += 1
                writes = rnd.random() < write_share
                kind = (
                    ("rest_patch" if turn % 2 else "graphql_update")
                    if writes
                    else ("rest_get" if turn % 2 else "graphql_get")
                )
                began = time.perf_counter()
                try:
                    error = await _one(web, kind, rnd, ids)
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                if error is None:
                    latencies.append((time.perf_counter() - began) * 1000)
                    if writes:
                        write_latencies.append(latencies[-1])
                else:
                    errors[f"{kind} {error}"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(options.concurrency)))
    elapsed = time.perf_counter() - started
    done = len(latencies) + sum(errors.values())
    return {
        "requests_per_second": round(done / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "write_p99_ms": round(percentile(write_latencies, 0.99), 2),
        "writes_per_second": round(len(write_latencies) / elapsed, 1),
        "requests": done,
        "errors": sum(errors.values()),
        "errors_by_kind": dict(errors),
    }


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


async def product_ids(base: str, key: str) -> list[int]:
    async with httpx.AsyncClient(base_url=base, headers={"X-Api-Key": key}, timeout=60) as web:
        response = await web.get(PRODUCTS, params={"page[limit]": 500})
        response.raise_for_status()
        return [row["id_product"] for row in response.json()["data"]]


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
            ids = await product_ids(base, key)
            result: dict[str, Any] = {"concurrency": options.concurrency}
            log("read_only ...")
            result["read_only"] = await load(base, key, ids, write_share=0.0, options=options)
            log("mixed ...")
            result["mixed"] = await load(base, key, ids, write_share=0.2, options=options)
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
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batches", type=int, default=10)
    options = parser.parse_args(argv)
    result = asyncio.run(bench(options))
    print(json.dumps(result, indent=2))
    for name in ("read_only", "mixed"):
        figures = result[name]
        log(
            f"{name}: {figures['requests_per_second']} req/s, p99 {figures['p99_ms']} ms, "
            f"writes {figures['writes_per_second']}/s p99 {figures['write_p99_ms']} ms, "
            f"{figures['errors']} errors {figures['errors_by_kind']}"
        )
    log(f"post_batches: {result['post_batches']['rows_per_second']} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
