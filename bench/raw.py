"""The raw database rate: the scenarios' SQL replayed by pgbench at the same concurrency.

Two kinds of scripts, each one transaction per request:

- the peer bed's reference statements (``pgbench/``, copied from it unchanged): the flat page
  (A), PostGraphile's single statement and Directus's three statements for B, the row by id (C);
- the statements dexgate itself sent for each scenario (see ``sql_capture``), with their
  parameters bound as pgbench variables (see ``replay``).

pgbench runs with ``-M prepared`` (dexgate, through asyncpg, prepares its statements too),
``-c`` connections and ``-j`` threads as wrk, after a warm-up. It reports throughput and the mean
latency only; when it fails, its first error on one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.load import LoadSettings
from bench.postgres import Postgres
from bench.process import BenchError, CommandError, require, run
from bench.results import Failure, PgbenchResult

SCRIPTS = Path(__file__).resolve().parent / "pgbench"

_ERROR = re.compile(
    r"^pgbench: error: (?:client \d+ script \d+ (?:aborted in )?command \d+ query \d+: )?(.*)$",
    re.M,
)
_ABORTED_CLIENT = re.compile(r"^pgbench: error: client (\d+) script \d+ aborted", re.M)


@dataclass(frozen=True)
class Reference:
    """A reference script of the peer bed and the scenario it stands for."""

    name: str
    scenario: str
    statements: int
    quick: bool

    @property
    def path(self) -> Path:
        return SCRIPTS / f"{self.name}.sql"


REFERENCES = (
    Reference("a_flat", "A", 1, quick=True),
    Reference("b_nested_pgl", "B", 1, quick=True),
    Reference("b_nested_rows", "B", 3, quick=False),
    Reference("c_one", "C", 1, quick=True),
)


def pgbench(
    postgres: Postgres,
    database: str,
    script: Path,
    settings: LoadSettings,
    variables: Sequence[tuple[str, str]] = (),
) -> PgbenchResult | Failure:
    """Warm up, then measure ``script`` with pgbench, its ``variables`` given with ``-D``."""
    try:
        executable = require("pgbench", "install PostgreSQL's client tools (pgbench)")
        if settings.warmup > 0:
            run(
                _argv(executable, postgres, database, script, settings, settings.warmup, variables),
                env=postgres.environ(),
                timeout=settings.warmup + 60,
            )
        output = run(
            _argv(executable, postgres, database, script, settings, settings.duration, variables),
            env=postgres.environ(),
            timeout=settings.duration + 60,
        )
        return parse_pgbench_output(output)
    except CommandError as exc:
        lines = str(exc).splitlines()
        return Failure(pgbench_error(exc.stderr) or " ".join(lines[:1] + lines[1:][-1:]))
    except BenchError as exc:
        return Failure(str(exc))


def pgbench_error(stderr: str) -> str | None:
    """pgbench's first error on one line, with the number of clients that stopped on an error
    (it prints the same error once per client); None when it printed no error."""
    errors = [e for e in _ERROR.findall(stderr) if not e.startswith("Run was aborted")]
    if not errors:
        return None
    clients = len(set(_ABORTED_CLIENT.findall(stderr)))
    aborted = f" ({clients} client{'' if clients == 1 else 's'} aborted)" if clients else ""
    return " ".join(errors[0].split()) + aborted


def parse_pgbench_output(output: str) -> PgbenchResult:
    """The throughput, mean latency and counts of pgbench's summary; BenchError if absent."""
    tps = re.search(r"^tps = ([0-9.]+)", output, re.M)
    mean = re.search(r"^latency average = ([0-9.]+) ms", output, re.M)
    done = re.search(r"^number of transactions actually processed: (\d+)", output, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", output, re.M)
    if tps is None or mean is None or done is None:
        raise BenchError(f"unreadable pgbench output:\n{output[-1500:]}")
    return PgbenchResult(
        tps=float(tps.group(1)),
        mean_ms=float(mean.group(1)),
        transactions=int(done.group(1)),
        failed=int(failed.group(1)) if failed else 0,
    )


def _argv(
    executable: str,
    postgres: Postgres,
    database: str,
    script: Path,
    settings: LoadSettings,
    seconds: float,
    variables: Sequence[tuple[str, str]],
) -> list[str]:
    return [
        executable,
        *postgres.connection_args(),
        "-n",
        f"-c{settings.connections}",
        f"-j{settings.threads}",
        f"-T{max(1, math.ceil(seconds))}",
        "-M",
        "prepared",
        *(f"-D{name}={value}" for name, value in variables),
        "-f",
        str(script),
        database,
    ]
