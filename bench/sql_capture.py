"""The SQL dexgate sends for each scenario, captured from its own log.

dexgate is started once more under uvicorn with a logging configuration that sends SQLAlchemy's
statement log (``sqlalchemy.engine.Engine`` at INFO) to :class:`CaptureHandler`. The handler
pairs each statement with its parameters, writes each parameter in PostgreSQL's text form for
it (:func:`pg_text`) and writes one JSON line per statement. The harness sends each scenario's
request (twice: the second one is the steady state that is kept), reads the lines it caused and
keeps those that read the dataset's tables; :mod:`bench.replay` turns them into a pgbench
script that replays what one request cost the database, at the same concurrency.

On MariaDB the handler also keeps each parameter's Python value (``values``: its type and its
text, :func:`typed`), for :mod:`bench.mariadb_raw` to send the statement again exactly as
dexgate's read pool sends it (prepared, its parameters in the binary protocol).
"""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.client import Client
from bench.scenarios import Scenario, check, send

_DATA_STATEMENT = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.I)
_DATASET_TABLE = re.compile(
    r"\b(FROM|JOIN)\s+(\"?public\"?\.)?[\"`]?(spy_)?(product|category|stock)\b", re.I
)
_INFINITY: dict[object, str] = {
    datetime.datetime.max: "infinity",
    datetime.datetime.min: "-infinity",
    datetime.date.max: "infinity",
    datetime.date.min: "-infinity",
}


@dataclass(frozen=True)
class Captured:
    """One statement as dexgate sent it: its text and the text form of each parameter
    (``$1`` first; None for NULL), or why the parameters could not be recorded."""

    statement: str
    parameters: tuple[str | None, ...]
    error: str | None = None
    # MariaDB: each parameter's type and text (see ``typed``), None when one has no such form
    values: tuple[tuple[str, str | None], ...] | None = None


def pg_text(value: object) -> str | None:
    """``value`` as PostgreSQL's text input reads it (None for NULL); ValueError for a type
    without one.

    Bound without a type, such a text is read as the type PostgreSQL infers for the parameter,
    the type asyncpg encodes the value for: ``100`` for an integer or a numeric, ``true``, an
    ISO timestamp, ``{"1","2"}`` for an array (a list for ``= ANY($n)``). A naive datetime gets
    this process's UTC offset, as asyncpg gives it for a ``timestamptz`` (a ``timestamp``
    ignores the offset); ``datetime.max`` and ``min`` are infinity, as in asyncpg.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, decimal.Decimal | uuid.UUID | str):
        return str(value)
    if isinstance(value, datetime.date) and value in _INFINITY:
        return _INFINITY[value]
    if isinstance(value, datetime.datetime):
        return (value if value.tzinfo else value.astimezone()).isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return f"{value.days} days {value.seconds} seconds {value.microseconds} microseconds"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return "{" + ",".join(_array_element(v) for v in value) + "}"
    raise ValueError(f"no PostgreSQL text form for a {type(value).__name__}")


def _array_element(value: object) -> str:
    if isinstance(value, list | tuple):
        return pg_text(value) or "{}"
    text = pg_text(value)
    if text is None:
        return "NULL"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def reads_dataset(captured: Captured) -> bool:
    """Whether the statement reads the benchmark's tables (or their ``spy_*`` copies for the
    Spryker-style configuration), not dexgate's own ``dexgate_*``."""
    return bool(_DATASET_TABLE.search(captured.statement))


def parse_lines(text: str) -> list[Captured]:
    """The statements of the handler's JSON lines, those whose parameters have no text form
    with the reason in ``error``."""
    captured = []
    for line in text.splitlines():
        if line.strip():
            entry = json.loads(line)
            parameters = tuple(entry.get("parameters", ()))
            values = entry.get("values")
            typed_values = None if values is None else tuple((k, t) for k, t in values)
            error = entry.get("error") or entry.get("values_error")
            captured.append(Captured(entry["statement"], parameters, error, typed_values))
    return captured


class CaptureHandler(logging.Handler):
    """A logging handler for ``sqlalchemy.engine.Engine`` and ``dexgate.sql``: statements and
    parameters as JSON.

    SQLAlchemy logs a statement, then ``"[%s] %r"`` with its parameters; the second argument
    keeps the parameters themselves in ``.params`` (the printed form is cut at 300 characters).
    dexgate's reader logs its statements the same way, the parameters as a tuple.
    """

    def __init__(self, filename: str, database: str = "postgresql") -> None:
        super().__init__()
        self._path = Path(filename)
        self._mariadb = database == "mariadb"
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
        entry: dict[str, Any] = {"statement": statement}
        if self._mariadb:
            try:
                entry["values"] = _typed_parameters(args[1])
            except ValueError as exc:
                entry["values_error"] = str(exc)
        try:
            entry["parameters"] = _parameters(args[1])
        except ValueError as exc:
            entry["error"] = str(exc)
        with self._path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")


def _parameters(logged: object) -> list[str | None]:
    if getattr(logged, "ismulti", False):
        raise ValueError("an executemany (one statement, many parameter sets) is not replayed")
    params = logged if isinstance(logged, tuple) else getattr(logged, "params", None)
    values = params if isinstance(params, list | tuple) else ()
    return [pg_text(v) for v in values]


_TYPES: dict[type, str] = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    decimal.Decimal: "decimal",
    datetime.datetime: "datetime",
    datetime.date: "date",
}


def typed(value: object) -> tuple[str, str | None]:
    """A parameter as ``(type, text)`` (``("none", None)`` for NULL), which
    :func:`untyped` turns back into the same value; ValueError for another type."""
    if value is None:
        return "none", None
    kind = _TYPES.get(type(value))
    if kind is None:
        raise ValueError(f"a {type(value).__name__} parameter is not replayed")
    if isinstance(value, datetime.date):
        return kind, value.isoformat()
    return kind, str(value)


def untyped(kind: str, text: str | None) -> object:
    """The value :func:`typed` wrote as ``(kind, text)``."""
    if kind == "none" or text is None:
        return None
    readers: dict[str, Any] = {
        "bool": lambda t: t == "True",
        "int": int,
        "float": float,
        "str": str,
        "decimal": decimal.Decimal,
        "datetime": datetime.datetime.fromisoformat,
        "date": datetime.date.fromisoformat,
    }
    return readers[kind](text)


def _typed_parameters(logged: object) -> list[tuple[str, str | None]]:
    if getattr(logged, "ismulti", False):
        raise ValueError("an executemany (one statement, many parameter sets) is not replayed")
    params = logged if isinstance(logged, tuple) else getattr(logged, "params", None)
    values = params if isinstance(params, list | tuple) else ()
    return [typed(v) for v in values]


def log_config(capture_file: Path, database: str = "postgresql") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document routing SQLAlchemy's statements to the handler
    (``database``: ``mariadb`` also keeps each parameter's type, see ``typed``)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "sql": {
                "()": f"{__name__}.CaptureHandler",
                "filename": str(capture_file),
                "database": database,
            },
        },
        "loggers": {
            "sqlalchemy.engine.Engine": {"level": "INFO", "handlers": ["sql"], "propagate": False},
            # the reads whose JSON the database writes, sent by dexgate's reader itself
            "dexgate.sql": {"level": "DEBUG", "handlers": ["sql"], "propagate": False},
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
