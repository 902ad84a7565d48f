"""Starting and stopping the dexgate server under test, on a free loopback port.

The server runs as a child process of the harness, in a session of its own, and is stopped by
its process id (SIGTERM, then SIGKILL to its process group if it does not exit in time): the
harness never ends a process it did not start.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench.client import Client
from bench.process import BenchError, dexgate_executable

HOST = "127.0.0.1"
APP_FACTORY = "app.application:create_app_from_env"


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def serve_command(port: int, workers: int) -> list[str]:
    """``dexgate serve`` as the benchmark runs it: no access log, warnings only."""
    return [
        dexgate_executable(),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def uvicorn_command(port: int, log_config: Path) -> list[str]:
    """dexgate's application under uvicorn with a logging configuration of our own."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        APP_FACTORY,
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-config",
        str(log_config),
    ]


@dataclass(frozen=True)
class Served:
    """A server the harness started: its base URL and its process id (``bench.cpu``)."""

    base_url: str
    pid: int


@contextmanager
def running(
    argv: Sequence[str],
    port: int,
    environ: dict[str, str],
    log: Path,
    api_key: str | None,
    ready_path: str = "/health/ready",
) -> Iterator[str]:
    """Start ``argv``, wait until ``ready_path`` answers 200, yield the base URL, stop it."""
    with running_server(argv, port, environ, log, api_key, ready_path) as served:
        yield served.base_url


@contextmanager
def running_server(
    argv: Sequence[str],
    port: int,
    environ: dict[str, str],
    log: Path,
    api_key: str | None,
    ready_path: str = "/health/ready",
) -> Iterator[Served]:
    """:func:`running`, yielding the base URL and the server's process id."""
    with log.open("ab") as sink:
        process = subprocess.Popen(  # noqa: S603 - argv is built by the harness
            list(argv),
            env=environ,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://{HOST}:{port}"
    try:
        _wait_ready(process, base_url, api_key, log, ready_path)
        yield Served(base_url, process.pid)
    finally:
        stop(process)


def _wait_ready(
    process: subprocess.Popen[bytes],
    base_url: str,
    api_key: str | None,
    log: Path,
    ready_path: str,
) -> None:
    deadline = time.monotonic() + 90
    with Client(base_url, api_key, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"the server exited with {process.returncode}:\n{_tail(log)}")
            try:
                if client.get(ready_path).status == 200:
                    return
            except OSError:
                client.close()
            time.sleep(0.1)
    raise BenchError(f"the server was not ready within 90 s:\n{_tail(log)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL; then SIGKILL to the session it was started in."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # Workers left behind by a supervisor that did not stop cleanly: the group is the session
    # the process was started in, so it holds only processes the harness started.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


_ERROR_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b.*$")


def last_error(log: Path) -> str | None:
    """The last exception line (``sqlite3.OperationalError: ...``) of a server's log, if any."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return None
    found = [line.strip() for line in text.splitlines() if _ERROR_LINE.match(line.strip())]
    return found[-1][:300] if found else None


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]
