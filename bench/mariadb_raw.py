"""The raw MariaDB rate: the statements dexgate sent for a scenario, replayed by a driver loop.

dexgate's reads on MariaDB run on asyncmy connections of their own, each statement prepared on
the server once and then executed with its parameters in the binary protocol (see
``app.mariadb``). A tool that sends statement texts (``mariadb-slap``) would make MariaDB parse
every one, which dexgate does not: the loop here sends them as dexgate does, on connections
opened by dexgate's own :func:`app.mariadb.read_connect` (the same session settings, the same
statement cache), through the same :class:`~app.mariadb.ReadConnection`, reading every row.

``connections`` clients (wrk's ``-c``), one connection each, in one asyncio loop in the
harness's process, each sending one request's statements (captured by ``sql_capture``, with
their parameters' values) one request after the other: a warm-up, then the measured run;
requests/s and the mean time per request. The loop itself is Python and shares the machine's
cores with MariaDB, as dexgate does: its own CPU time per request is reported too.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

from app.mariadb import ReadConnection, read_connect
from bench.load import LoadSettings
from bench.results import Failure, PgbenchResult
from bench.sql_capture import Captured, untyped


class NotReplayableError(Exception):
    """A captured statement that cannot be sent again as it was."""


@dataclass(frozen=True)
class Request:
    """One request's statements and their parameters, as dexgate sent them."""

    statements: tuple[tuple[str, tuple[Any, ...]], ...]


def request(statements: Sequence[Captured]) -> Request:
    """The captured statements of one request, ready to be sent again."""
    sent = []
    for captured in statements:
        if captured.values is None:
            raise NotReplayableError(captured.error or "its parameters were not captured")
        values = tuple(untyped(kind, text) for kind, text in captured.values)
        sent.append((captured.statement, values))
    return Request(tuple(sent))


def replay(url: str, requests: Request, settings: LoadSettings) -> PgbenchResult | Failure:
    """Send ``requests`` over ``settings.connections`` connections to the database of the
    SQLAlchemy URL ``url``: a warm-up, then the measured run."""
    try:
        return asyncio.run(_replay(url, requests, settings))
    except Exception as exc:  # the driver's errors, whatever they are: reported, not raised
        return Failure(f"{type(exc).__name__}: {exc}")


async def _replay(url: str, requests: Request, settings: LoadSettings) -> PgbenchResult:
    engine = create_async_engine(url)
    try:
        connect = read_connect(engine, 10.0, None)
        connections = [await connect() for _ in range(settings.connections)]
    finally:
        await engine.dispose()
    try:
        await _run(connections, requests, settings.warmup)
        before = resource.getrusage(resource.RUSAGE_SELF)
        done, seconds = await _run(connections, requests, settings.duration)
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        for connection in connections:
            connection.terminate()
    tps = done / seconds if seconds > 0 else 0.0
    spent = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return PgbenchResult(
        tps=tps,
        mean_ms=settings.connections / tps * 1000 if tps else 0.0,
        transactions=done,
        client_cpu_us=spent / done * 1e6 if done else None,
    )


async def _run(
    connections: Sequence[ReadConnection], requests: Request, seconds: float
) -> tuple[int, float]:
    """Every connection sends the request again and again for ``seconds``: how many were
    answered, and the time it took."""
    started = time.monotonic()
    deadline = started + seconds
    counts = [0] * len(connections)

    async def client(position: int, connection: ReadConnection) -> None:
        while time.monotonic() < deadline:
            for statement, values in requests.statements:
                await connection.fetch(statement, *values)
            counts[position] += 1

    await asyncio.gather(*(client(i, c) for i, c in enumerate(connections)))
    return sum(counts), time.monotonic() - started
