"""Real ``dexgate serve`` processes on one PostgreSQL or MariaDB database.

Each server runs the console script in a process group of its own, on a free port, with its
output in a file; it counts as started when ``/health/ready`` answers. Teardown always ends the
group: SIGTERM, then SIGKILL if it has not exited within a few seconds. Every wait is bounded.
Each test runs on PostgreSQL and on MariaDB (several processes writing one SQLite file:
tests/concurrency); without a server they are skipped, or fail under
``DEXGATE_REQUIRE_POSTGRES=1`` / ``DEXGATE_REQUIRE_MARIADB=1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEXGATE = Path(sys.executable).with_name("dexgate")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@pytest.fixture(params=["postgresql", "mariadb"])
def backend(request: pytest.FixtureRequest) -> str:
    """Several processes share a database on PostgreSQL and MariaDB (several processes on one
    SQLite file: tests/concurrency)."""
    name: str = request.param
    return name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Server:
    """One ``dexgate serve`` process (with its workers, if any) and its output."""

    process: asyncio.subprocess.Process
    port: int
    log_path: Path
    log: IO[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def signal(self, number: signal.Signals) -> None:
        """Send ``number`` to the server process (not its workers: they hear it from it)."""
        self.process.send_signal(number)

    def kill_group(self) -> None:
        """SIGKILL the server and every process it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    async def exited(self, within: float) -> int | None:
        """The exit status once the process has exited, or None after ``within`` seconds."""
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            return None

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.signal(signal.SIGTERM)
            if await self.exited(STOP_TIMEOUT) is None:
                self.kill_group()
        else:
            self.kill_group()  # workers left behind by a killed server
        await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        self.log.close()


StartServer = Callable[..., Awaitable[Server]]


@pytest.fixture
def propagation(backend: str) -> dict[str, str]:
    """The settings under which a configuration change made through one process reaches the
    others: on PostgreSQL the notification (LISTEN/NOTIFY), the periodic version check slowed
    down so that it is not what is measured; on MariaDB, which has no notifications, the
    periodic check, at half a second (docs/compatibility.md: within the check interval)."""
    interval = "60" if backend == "postgresql" else "0.5"
    return {"DEXGATE_CATALOG_CHECK_INTERVAL": interval}


def server_environment(database_url: str, **settings: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
    environ.update(
        DEXGATE_DATABASE_URL=database_url,
        # uvicorn takes the client address from X-Forwarded-For sent from here, as it would
        # from a proxy on this host: tests use that to speak for several addresses.
        FORWARDED_ALLOW_IPS="127.0.0.1",
        **settings,
    )
    return environ


async def spawn(
    args: Sequence[str], database_url: str, cwd: Path, log: IO[bytes], **settings: str
) -> asyncio.subprocess.Process:
    """``dexgate ARGS`` on the test's database, in a session of its own (so that its whole
    group can be killed), its output into ``log``."""
    return await asyncio.create_subprocess_exec(
        str(DEXGATE),
        *args,
        env=server_environment(database_url, **settings),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def _ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=server.url, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.returncode is not None:
                raise RuntimeError(f"dexgate serve exited early:\n{server.output()}")
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"dexgate serve not ready within {START_TIMEOUT} s:\n{server.output()}")


@pytest.fixture
async def start_server(
    database_url: str, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    """``await start_server(*serve_args, **DEXGATE_settings)``: a running server on a free
    port of this test's database; all of them are stopped after the test."""
    servers: list[Server] = []

    async def start(*args: str, **settings: str) -> Server:
        for _attempt in range(3):  # another program may take the free port first
            port = free_port()
            log_path = tmp_path / f"server-{port}.log"
            log = log_path.open("wb")
            process = await spawn(
                ("serve", "--port", str(port), "--log-level", "warning", *args),
                database_url,
                tmp_path,
                log,
                **settings,
            )
            server = Server(process, port, log_path, log)
            servers.append(server)
            try:
                await _ready(server)
            except RuntimeError:
                if "address already in use" in server.output().lower():
                    await server.stop()
                    servers.remove(server)
                    continue
                raise
            return server
        raise RuntimeError("no free port for dexgate serve after 3 attempts")

    try:
        yield start
    finally:
        for server in servers:
            await server.stop()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database, for looking behind the servers' backs."""
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


# What another connection to the test's database runs: PostgreSQL's statistics show a
# statement while it runs and, in an open transaction, after it; MariaDB's process list shows
# it while it runs (the bulk writes watched here run for a while).
RUNNING = {
    "postgresql": (
        "SELECT state FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid() "
        "AND xact_start IS NOT NULL AND query LIKE :pattern "
        "AND state IN ('active', 'idle in transaction')"
    ),
    "mysql": (
        "SELECT COALESCE(STATE, COMMAND) FROM information_schema.PROCESSLIST WHERE DB = :name "
        "AND ID <> CONNECTION_ID() AND INFO LIKE :pattern"
    ),
}
CONNECTED = {
    "postgresql": (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
    ),
    "mysql": (
        "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = :name "
        "AND ID <> CONNECTION_ID()"
    ),
}


async def wait_for_statement(
    database: AsyncEngine, database_name: str, pattern: str, within: float = 30.0
) -> str:
    """Wait until a backend of another connection runs (or, on PostgreSQL, in an open
    transaction, last ran) a statement matching the SQL LIKE ``pattern``; return its state."""
    query = sa.text(RUNNING[database.dialect.name])
    deadline = time.monotonic() + within
    async with database.connect() as connection:
        while time.monotonic() < deadline:
            state = (
                await connection.execute(query, {"name": database_name, "pattern": pattern})
            ).scalar()
            await connection.rollback()  # a fresh snapshot of the statistics each time
            if state is not None:
                return str(state)
            await asyncio.sleep(0.005)
    raise AssertionError(f"no statement like {pattern!r} within {within} s")


async def wait_until_disconnected(
    database: AsyncEngine, database_name: str, within: float = 15.0
) -> None:
    """Wait until no other connection to the database remains (the killed server's backends
    have noticed and rolled back)."""
    query = sa.text(CONNECTED[database.dialect.name])
    deadline = time.monotonic() + within
    async with database.connect() as connection:
        while time.monotonic() < deadline:
            count = (await connection.execute(query, {"name": database_name})).scalar()
            await connection.rollback()
            if count == 0:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"connections to {database_name} still open after {within} s")
