"""The one boundary where database driver errors become dexgate's vocabulary.

Integrity problems (duplicate key, missing parent, child rows, not-null, out-of-range data) are
classified into :class:`IntegrityProblemError` for the write path to attribute to an item.
Failures of the database itself rather than of the request's data are infrastructure errors
(:func:`infrastructure_error`): a refused, lost or timed-out connection, a server shutting
down, starting up or out of connections, an exhausted pool, a deadlock, a SQLite file locked by
another writer become 503 ``DX503``; a statement cancelled for running past the request's time
limit (PostgreSQL's ``statement_timeout``, MariaDB's ``max_statement_time``, SQLite's
interrupt) becomes 504 ``DX504``. Anything else propagates as a server error.

MariaDB's and MySQL's errors (asyncmy) are told apart by their error numbers, which are more
precise than their SQLSTATEs (one ``23000`` for duplicates, missing parents and NULLs alike).

:data:`request_deadline` is the deadline of the request being served, set by the application
around each request: SQLite statements are interrupted when it passes (see app.database), and
timeout messages name its limit.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from schema_builder.errors import DexgateError, RequestTimeoutError, ServiceUnavailableError

ProblemKind = Literal["duplicate", "foreign_key", "not_null", "invalid_value"]

_SQLITE_COLUMN = re.compile(r"constraint failed: ([\w\"]+\.[\w\"]+(?:, [\w\"]+\.[\w\"]+)*)")
_PG_KEY = re.compile(r"Key \(([^)]+)\)")
_PG_REFERENCED = re.compile(r'referenced from table "([^"]+)"')

UNAVAILABLE = "The database is unavailable. Retry the request shortly."
BUSY = "The database is busy. Retry the request shortly."
_DRIVERS = ("asyncpg", "sqlite3", "aiosqlite", "asyncmy")
# PostgreSQL SQLSTATEs of a server that cannot serve now: connection exceptions (08), not
# enough resources (53: too many connections, out of memory, disk full), shutting down or
# starting up (57P0x). A deadlock or serialization failure (40P01, 40001) succeeds if retried.
_UNAVAILABLE_CLASSES = ("08", "53", "57P0")
_RETRYABLE_STATES = ("40001", "40P01")
_QUERY_CANCELED = "57014"

# MariaDB and MySQL error numbers.
_MY_DUPLICATE = frozenset({1062, 1586})
_MY_PARENT_MISSING = frozenset({1216, 1452})  # inserting or updating a child row
_MY_CHILD_ROWS = frozenset({1217, 1451})  # deleting or updating a parent row
_MY_NOT_NULL = frozenset({1048, 1364})  # NULL given; no value and no default
# Too long, out of range, truncated (an ENUM value not listed), of the wrong type, an
# invalid date, a CHECK constraint (MariaDB's JSON columns), invalid JSON (MySQL).
_MY_INVALID = frozenset({1264, 1265, 1292, 1366, 1367, 1406, 1411, 1690, 3140, 3819, 4025})
# max_statement_time (MariaDB), max_execution_time (MySQL)
_MY_TIMEOUT = frozenset({1969, 3024})
_MY_LOCK_WAIT = 1205
_MY_DEADLOCK = 1213
# Too many connections, out of memory, disk full, shutting down, connection killed, lost,
# refused or aborted.
_MY_UNAVAILABLE = frozenset(
    {1021, 1037, 1038, 1040, 1041, 1053, 1152, 1158, 1159, 1160, 1161, 1927}
    | {2002, 2003, 2005, 2006, 2013, 2055}
)
_MY_KEY = re.compile(r"for key '(?:[^']*\.)?([^'.]+)'")
_MY_COLUMN = re.compile(
    r"[Cc]olumn '([^']+)'"
    r"|[Ff]ield '([^']+)'"
    r"|for column `[^`]*`\.`[^`]*`\.`([^`]+)`"
    r"|CONSTRAINT `[^`.]*\.([^`]+)` failed"  # a column's CHECK (MariaDB's JSON)
)
_MY_FOREIGN_KEY = re.compile(r"\(`[^`]*`\.`([^`]+)`, CONSTRAINT `[^`]*` FOREIGN KEY \(([^)]+)\)")


@dataclass(frozen=True, slots=True)
class Deadline:
    """When the request being served must be done (``time.monotonic()``), and its limit."""

    at: float
    seconds: float


request_deadline: ContextVar[Deadline | None] = ContextVar("dexgate_request_deadline", default=None)


@dataclass
class IntegrityProblemError(Exception):
    """A write the database refused because of the data: attributable to one item.

    ``column`` names the column(s), "a, b" for a composite key, when the database said; a
    duplicate on MariaDB names its ``key`` (index) instead, see :func:`key_columns`."""

    kind: ProblemKind
    column: str | None = None
    table: str | None = None
    key: str | None = None


def key_columns(table: sa.Table, key: str | None) -> str | None:
    """The columns of ``table``'s unique key named ``key`` ("a, b"), or None."""
    if key is None:
        return None
    if key == "PRIMARY":
        columns = [c.name for c in table.primary_key.columns]
        return ", ".join(columns) or None
    for index in table.indexes:
        if index.name == key:
            return ", ".join(c.name for c in index.columns if isinstance(c, sa.Column))
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and constraint.name == key:
            return ", ".join(c.name for c in constraint.columns)
    return None


def _mysql_code(driver: BaseException | None) -> int | None:
    """A MariaDB or MySQL error's number, when ``driver`` is one."""
    if driver is None or not type(driver).__module__.startswith("asyncmy"):
        return None
    code = driver.args[0] if driver.args else None
    return code if isinstance(code, int) else None


def _mysql_problem(code: int, message: str) -> IntegrityProblemError | None:
    column_match = _MY_COLUMN.search(message)
    column = next((g for g in column_match.groups() if g), None) if column_match else None
    if code in _MY_DUPLICATE:
        key = _MY_KEY.search(message)
        return IntegrityProblemError("duplicate", key=key.group(1) if key else None)
    if code in _MY_PARENT_MISSING or code in _MY_CHILD_ROWS:
        found = _MY_FOREIGN_KEY.search(message)
        if found is None:
            return IntegrityProblemError("foreign_key")
        columns = ", ".join(part.strip().strip("`") for part in found.group(2).split(","))
        if code in _MY_CHILD_ROWS:  # named as PostgreSQL does: the referring table
            return IntegrityProblemError("foreign_key", None, found.group(1))
        return IntegrityProblemError("foreign_key", columns)
    if code in _MY_NOT_NULL:
        return IntegrityProblemError("not_null", column)
    if code in _MY_INVALID:
        return IntegrityProblemError("invalid_value", column)
    return None


def classify(exc: sa.exc.DBAPIError) -> IntegrityProblemError | None:
    orig = exc.orig
    code = _mysql_code(orig)
    if code is not None:
        return _mysql_problem(code, str(orig.args[1]) if orig is not None else "")
    cause = orig.__cause__ if orig is not None else None
    state = (
        getattr(cause, "sqlstate", None)
        or getattr(orig, "sqlstate", None)
        or getattr(orig, "pgcode", None)
    )
    message = str(orig)
    if state:
        detail = getattr(cause, "detail", None) or ""
        column = getattr(cause, "column_name", None)
        key = _PG_KEY.search(detail)
        if state == "23505":
            return IntegrityProblemError("duplicate", key.group(1) if key else column)
        if state == "23503":
            referenced = _PG_REFERENCED.search(detail)
            if referenced:
                return IntegrityProblemError(
                    "foreign_key", key.group(1) if key else None, referenced.group(1)
                )
            return IntegrityProblemError("foreign_key", key.group(1) if key else column)
        if state == "23502":
            return IntegrityProblemError("not_null", column)
        if state.startswith("22") or state.startswith("23"):
            return IntegrityProblemError("invalid_value", column)
        return None
    if isinstance(exc, sa.exc.IntegrityError):
        found = _SQLITE_COLUMN.search(message)
        # "table.a, table.b" for a composite key: named "a, b" as PostgreSQL's detail does
        column = (
            ", ".join(part.split(".", 1)[1] for part in found.group(1).split(", "))
            if found
            else None
        )
        if "UNIQUE constraint failed" in message:
            return IntegrityProblemError("duplicate", column)
        if "FOREIGN KEY constraint failed" in message:
            return IntegrityProblemError("foreign_key", column)
        if "NOT NULL constraint failed" in message:
            return IntegrityProblemError("not_null", column)
        return IntegrityProblemError("invalid_value", column)
    return None


def _driver_error(exc: BaseException) -> BaseException | None:
    """The database driver's own exception behind ``exc``, or None when it is not one."""
    if isinstance(exc, sa.exc.DBAPIError):
        return exc.orig
    if type(exc).__module__.split(".", 1)[0] in _DRIVERS:
        return exc  # raised while connecting, before SQLAlchemy could wrap it
    return None


def _sqlstate(driver: BaseException) -> str | None:
    for candidate in (driver.__cause__, driver):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def _timed_out() -> RequestTimeoutError:
    deadline = request_deadline.get()
    return RequestTimeoutError(None if deadline is None else deadline.seconds)


def infrastructure_error(exc: BaseException) -> DexgateError | None:
    """The 503 or 504 that ``exc`` stands for when the database itself failed the request
    (rather than the request's data), or None."""
    if isinstance(exc, DexgateError):
        return None
    if isinstance(exc, sa.exc.TimeoutError):  # no pooled connection came free in time
        return ServiceUnavailableError(BUSY)
    driver = _driver_error(exc)
    if driver is None:
        # Refused, reset, or timed out while connecting (TimeoutError is an OSError).
        return ServiceUnavailableError(UNAVAILABLE) if isinstance(exc, OSError) else None
    code = _mysql_code(driver)
    if code is not None:
        if code in _MY_TIMEOUT:
            return _timed_out()
        if code == _MY_LOCK_WAIT:  # innodb_lock_wait_timeout is the request's limit
            if request_deadline.get() is not None:
                return _timed_out()
            return ServiceUnavailableError(BUSY)
        if code == _MY_DEADLOCK:
            return ServiceUnavailableError(BUSY)
        if code in _MY_UNAVAILABLE:
            return ServiceUnavailableError(UNAVAILABLE)
        if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
            return ServiceUnavailableError(UNAVAILABLE)
        return None
    state = _sqlstate(driver)
    if state is not None:
        if state == _QUERY_CANCELED:
            return _timed_out()
        if state.startswith(_UNAVAILABLE_CLASSES):
            return ServiceUnavailableError(UNAVAILABLE)
        if state in _RETRYABLE_STATES:
            return ServiceUnavailableError(BUSY)
        return None
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return ServiceUnavailableError(UNAVAILABLE)
    # Only the driver's text, never str(exc): a DBAPIError's text carries the statement's
    # parameters, which are the client's values.
    text = str(driver).lower()
    if text == "interrupted":  # SQLite, by the progress handler at the request's deadline
        return _timed_out()
    if "database is locked" in text or "database table is locked" in text:
        return ServiceUnavailableError(BUSY)
    if isinstance(driver, OSError) or type(driver).__name__ == "ConnectionDoesNotExistError":
        return ServiceUnavailableError(UNAVAILABLE)
    if any(
        marker in text
        for marker in (
            "connection refused",
            "could not connect",
            "connection was closed",
            "connection is closed",
            "unable to open database",
            "disk i/o error",
        )
    ):
        return ServiceUnavailableError(UNAVAILABLE)
    return None


@asynccontextmanager
async def translating() -> AsyncIterator[None]:
    """Turn driver errors into :class:`IntegrityProblemError`, a 503 or a 504; let every
    other exception through unchanged."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, sa.exc.DBAPIError):
            problem = classify(exc)
            if problem is not None:
                raise problem from exc
        failure = infrastructure_error(exc)
        if failure is None:
            raise
        raise failure from exc
