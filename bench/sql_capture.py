"""The SQL dexgate sends for each scenario, captured from its own log, as pgbench scripts.

dexgate is started once more under uvicorn with a logging configuration that sends SQLAlchemy's
statement log (``sqlalchemy.engine.Engine`` at INFO) to :class:`CaptureHandler`. The handler
pairs each statement with its parameters, renders the parameters as SQL literals and writes one
JSON line per statement. The harness sends each scenario's request (twice: the second one is
the steady state that is kept), reads the lines it caused and keeps those that read the
dataset's tables. :func:`pgbench_script` inlines the literals, so pgbench can replay exactly
what one request cost the database, at the same concurrency.
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.client import Client
from bench.scenarios import Scenario, check, send

_PLACEHOLDER = re.compile(r"\$(\d+)")
_DATA_STATEMENT = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.I)
_DATASET_TABLE = re.compile(r"\b(FROM|JOIN)\s+(\"?public\"?\.)?\"?(product|category|stock)\b", re.I)


@dataclass(frozen=True)
class Captured:
    """One statement as dexgate sent it, with its parameters as SQL literals."""

    statement: str
    literals: tuple[str, ...]


def sql_literal(value: object) -> str:
    """``value`` as a PostgreSQL literal that pgbench passes through unchanged.

    Strings holding ``:`` or ``\\`` become ``E''`` literals with the colon escaped, because
    pgbench reads ``:name`` as one of its variables.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        if not value:
            return "'{}'"
        return "ARRAY[" + ", ".join(sql_literal(v) for v in value) + "]"
    if isinstance(value, datetime.date | datetime.time | uuid.UUID):
        return sql_literal(str(value))
    if isinstance(value, str):
        if ":" in value or "\\" in value:
            escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\x3a")
            return f"E'{escaped}'"
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"no SQL literal for a {type(value).__name__}")


def inline(captured: Captured) -> str:
    """The statement with each ``$n`` replaced by its literal."""

    def literal(match: re.Match[str]) -> str:
        return captured.literals[int(match.group(1)) - 1]

    return _PLACEHOLDER.sub(literal, captured.statement)


def pgbench_script(statements: Sequence[Captured]) -> str:
    """One pgbench transaction replaying ``statements`` in order."""
    return "".join(inline(c).strip().rstrip(";") + ";\n" for c in statements)


def reads_dataset(captured: Captured) -> bool:
    """Whether the statement reads the benchmark's tables (not dexgate's own ``dexgate_*``)."""
    return bool(_DATASET_TABLE.search(captured.statement))


def parse_lines(text: str) -> list[Captured]:
    """The statements of the handler's JSON lines (lines naming an error are dropped)."""
    captured = []
    for line in text.splitlines():
        if line.strip():
            entry = json.loads(line)
            if "literals" in entry:
                captured.append(Captured(entry["statement"], tuple(entry["literals"])))
    return captured


class CaptureHandler(logging.Handler):
    """A logging handler for ``sqlalchemy.engine.Engine``: statements and parameters as JSON.

    SQLAlchemy logs a statement, then ``"[%s] %r"`` with its parameters; the second argument
    keeps the parameters themselves in ``.params`` (the printed form is cut at 300 characters).
    """

    def __init__(self, filename: str) -> None:
        super().__init__()
        self._path = Path(filename)
        self._pending: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if not args:
            message = str(record.msg)
            self._pending = message if _DATA_STATEMENT.match(message) else None
            return
        if self._pending is None or len(args) != 2:
            return
        statement, self._pending = self._pending, None
        params = getattr(args[1], "params", None)
        entry: dict[str, Any] = {"statement": statement}
        try:
            values = params if isinstance(params, list | tuple) else ()
            entry["literals"] = [sql_literal(v) for v in values]
        except ValueError as exc:
            entry["error"] = str(exc)
        with self._path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")


def log_config(capture_file: Path) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document routing SQLAlchemy's statements to the handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "sql": {"()": f"{__name__}.CaptureHandler", "filename": str(capture_file)},
        },
        "loggers": {
            "sqlalchemy.engine.Engine": {"level": "INFO", "handlers": ["sql"], "propagate": False},
        },
    }


def capture(
    scenarios: Sequence[Scenario], base_url: str, api_key: str, capture_file: Path
) -> dict[str, list[Captured]]:
    """Send each scenario twice to a server logging into ``capture_file``; the second's SQL."""
    found: dict[str, list[Captured]] = {}
    with Client(base_url, api_key) as client:
        for scenario in scenarios:
            check(scenario, *send(client, scenario))
            before = capture_file.stat().st_size if capture_file.exists() else 0
            check(scenario, *send(client, scenario))
            with capture_file.open(encoding="utf-8") as log:
                log.seek(before)
                lines = log.read()
            found[scenario.name] = [c for c in parse_lines(lines) if reads_dataset(c)]
    return found
