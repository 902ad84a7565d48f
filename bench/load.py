"""Driving one request with wrk at fixed concurrency, and reading what wrk measured.

wrk runs ``wrk_report.lua``, which sends the API key (and a JSON body for GraphQL) and prints
one ``BENCH_RESULT {...}`` line; :func:`parse_wrk_output` turns that line into a LoadResult.
Each measurement is preceded by a warm-up run of the same request whose figures are dropped.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.process import BenchError, environ_without, require, run
from bench.results import LoadResult

LUA = Path(__file__).resolve().parent / "wrk_report.lua"
RESULT_PREFIX = "BENCH_RESULT "
# Seconds wrk waits for an answer (its default is 2): a slow answer is measured, not dropped as
# a timeout (datasette-graphql's B takes seconds each at 16 connections).
WRK_TIMEOUT = 60


@dataclass(frozen=True)
class LoadSettings:
    """How hard and how long: wrk's ``-c``, ``-t``, ``-d`` and the warm-up before it."""

    connections: int = 16
    threads: int = 2
    duration: float = 10.0
    warmup: float = 3.0


@dataclass(frozen=True)
class HttpRequest:
    """One request as wrk sends it over and over."""

    url: str
    body: str | None = None
    method: str | None = None


def drive(
    request: HttpRequest,
    api_key: str | None,
    settings: LoadSettings,
    cpu: Callable[[], float] | None = None,
) -> LoadResult:
    """Warm up, then measure ``request`` for ``settings.duration`` seconds; with ``cpu`` (the
    server's CPU seconds so far, ``bench.cpu``), also the server's CPU time per request."""
    if settings.warmup > 0:
        _wrk(request, api_key, settings, settings.warmup)
    before = cpu() if cpu is not None else 0.0
    result = parse_wrk_output(_wrk(request, api_key, settings, settings.duration))
    if cpu is None or result.requests == 0:
        return result
    spent = cpu() - before
    return dataclasses.replace(result, cpu_us=spent / result.requests * 1e6)


def wrk_command(request: HttpRequest, settings: LoadSettings, seconds: float) -> list[str]:
    wrk = require("wrk", "apt-get install wrk")
    return [
        wrk,
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{max(1, math.ceil(seconds))}s",
        "--latency",
        "--timeout",
        f"{WRK_TIMEOUT}s",
        "-s",
        str(LUA),
        request.url,
    ]


def parse_wrk_output(output: str) -> LoadResult:
    """The LoadResult in wrk's output (the ``BENCH_RESULT`` line), or BenchError if none."""
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            try:
                data = json.loads(line[len(RESULT_PREFIX) :])
                return LoadResult(
                    rps=float(data["rps"]),
                    requests=int(data["requests"]),
                    mean_ms=float(data["mean_ms"]),
                    p50_ms=float(data["p50_ms"]),
                    p99_ms=float(data["p99_ms"]),
                    p90_ms=float(data["p90_ms"]),
                    max_ms=float(data["max_ms"]),
                    socket_errors=int(data["socket_errors"]),
                    non2xx=int(data["non2xx"]),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise BenchError(f"unreadable wrk result {line!r}: {exc}") from exc
    raise BenchError(f"wrk printed no result line:\n{output[-1500:]}")


def _wrk(request: HttpRequest, api_key: str | None, settings: LoadSettings, seconds: float) -> str:
    environ = environ_without(
        "BENCH_",
        BENCH_API_KEY=api_key or "",
        BENCH_BODY=request.body or "",
        BENCH_METHOD=request.method or "",
    )
    command = wrk_command(request, settings, seconds)
    return run(command, env=environ, timeout=seconds + WRK_TIMEOUT + 60)
