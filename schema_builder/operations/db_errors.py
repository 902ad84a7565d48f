"""The one boundary where database driver errors become dexgate's vocabulary.

Integrity problems (duplicate key, missing parent, child rows, not-null, out-of-range data) are
classified into :class:`IntegrityProblemError` for the write path to attribute to an item; a lost or
refused connection becomes 503; anything else propagates as a server error.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from schema_builder.errors import ServiceUnavailableError

ProblemKind = Literal["duplicate", "foreign_key", "not_null", "invalid_value"]

_SQLITE_COLUMN = re.compile(r"constraint failed: ([\w\"]+\.[\w\"]+(?:, [\w\"]+\.[\w\"]+)*)")
_PG_KEY = re.compile(r"Key \(([^)]+)\)")
_PG_REFERENCED = re.compile(r'referenced from table "([^"]+)"')


@dataclass
class IntegrityProblemError(Exception):
    """A write the database refused because of the data: attributable to one item."""

    kind: ProblemKind
    column: str | None = None
    table: str | None = None


def classify(exc: sa.exc.DBAPIError) -> IntegrityProblemError | None:
    orig = exc.orig
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


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OSError | ConnectionError):
        return True
    name = type(getattr(exc, "orig", None) or exc).__name__
    text = str(exc).lower()
    return name in {"InterfaceError", "ConnectionDoesNotExistError"} or any(
        marker in text
        for marker in (
            "connection refused",
            "could not connect",
            "connection was closed",
            "unable to open database",
        )
    )


@asynccontextmanager
async def translating() -> AsyncIterator[None]:
    """Turn driver errors into :class:`IntegrityProblemError` or a 503; let others through."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        problem = classify(exc)
        if problem is not None:
            raise problem from exc
        if _is_unavailable(exc):
            raise ServiceUnavailableError(
                "The database is unavailable. Retry the request shortly."
            ) from exc
        raise
    except (OSError, ConnectionError) as exc:
        raise ServiceUnavailableError(
            "The database is unavailable. Retry the request shortly."
        ) from exc
