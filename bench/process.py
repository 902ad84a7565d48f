"""Running the programs the benchmark drives: dexgate's CLI, psql, pgbench, wrk, the peer bed.

Every external command goes through :func:`run`, so a failure always reads the same way: the
command, its exit status and the end of its standard error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


class BenchError(Exception):
    """The benchmark cannot go on (or one measurement cannot), with a message for the user."""


class CommandError(BenchError):
    """A command exited with a non-zero status; ``stderr`` is all it wrote there."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


class MissingToolError(BenchError):
    """A program the benchmark needs is not installed."""


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    cwd: Path | None = None,
) -> str:
    """Run ``argv`` to completion and return its standard output; raise CommandError otherwise."""
    try:
        completed = subprocess.run(  # noqa: S603 - argv is built by the harness, never from input
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CommandError(f"{_shown(argv)} did not finish within {timeout:.0f} s") from exc
    if completed.returncode != 0:
        tail = (completed.stderr.strip() or completed.stdout.strip())[-2000:]
        raise CommandError(
            f"{_shown(argv)} exited with {completed.returncode}:\n{tail}", completed.stderr
        )
    return completed.stdout


def require(program: str, hint: str) -> str:
    """The full path of ``program``, or MissingToolError saying how to install it."""
    found = shutil.which(program)
    if found is None:
        raise MissingToolError(f"`{program}` is not installed: {hint}")
    return found


def dexgate_executable() -> str:
    """The ``dexgate`` console script next to the running interpreter (the project's venv)."""
    beside = Path(sys.executable).parent / "dexgate"
    if beside.exists():
        return str(beside)
    return require("dexgate", "run `make install` (or `pip install -e .`) first")


def environ_without(prefix: str, **extra: str) -> dict[str, str]:
    """This process's environment minus the variables starting with ``prefix``, plus ``extra``."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
    return {**kept, **extra}


def _shown(argv: Sequence[str]) -> str:
    shown = " ".join(argv[:4])
    return f"`{shown}{' ...' if len(argv) > 4 else ''}`"
