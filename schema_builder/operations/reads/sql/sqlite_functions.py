"""Functions of dexgate's own that SQLite connections call in the JSON-writing statement.

SQLite stores a ``NUMERIC``/``REAL`` value as a double when it is not an integer, and the row
path writes a ``decimal`` field over such a column from the double: SQLAlchemy's ``Numeric``
reads it with ``'%.<scale>f' %`` (the double's exact binary expansion rounded, ties to even),
a ``Float`` column as the double itself, and the catalog's converter writes ``str()`` of the
Decimal (of ``repr()`` for a float). No SQLite 3.40 expression gives that text for every double:
its ``printf`` rounds half up and writes at most 16 significant digits. The statement therefore
calls :data:`DECIMAL` on each such value, a function registered on every connection that runs
these statements (:func:`register`), which writes the value with the row path's own pieces: the
same SQLAlchemy result processor, the same converter, the same JSON writer. The text is the
same by construction; SQLite calls it once per value (about a microsecond), where the row path
reads every row into Python.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import pysqlite

from schema_builder.catalog import output_converter
from schema_builder.json_output import dumps
from schema_builder.operations.aggregates.sqlite_sum import (
    AGGREGATES,
    AS_STORED,
    decimal_processor,
)

DECIMAL = "dexgate_decimal"
# The scale argument of a ``Float`` column's values, which the row path reads unconverted.
UNCONVERTED = AS_STORED

_DIALECT = pysqlite.dialect()
_DECIMAL_OUT: Callable[[Any], Any] = output_converter("decimal")


class _DecimalWriter:
    """``DECIMAL(value, scale)``: the value as the row path writes a ``decimal`` field."""

    def __call__(self, value: Any, scale: int) -> str:
        if value is None:
            return "null"
        process = decimal_processor(scale)
        if process is not None:
            value = process(value)
        return dumps(_DECIMAL_OUT(value))


def scale_of(column_type: Any) -> int | None:
    """The scale argument for a ``decimal`` field over ``column_type``: what SQLAlchemy's
    result processor rounds to, :data:`UNCONVERTED` for a ``Float`` column, None for a column
    the function does not cover."""
    impl = column_type.dialect_impl(_DIALECT) if hasattr(column_type, "dialect_impl") else None
    if not isinstance(impl, (sa.Numeric, sa.Float)):
        return None
    if impl.asdecimal:
        scale = impl._effective_decimal_return_scale
        return scale if isinstance(scale, int) and scale >= 0 else None
    processor = impl.result_processor(_DIALECT, None)  # type: ignore[no-untyped-call]
    return UNCONVERTED if processor is None else None


Function = tuple[str, int, Callable[..., Any]]


def functions() -> tuple[Function, ...]:
    """Name, argument count and implementation of each function, for a connection's
    ``create_function`` (deterministic)."""
    return ((DECIMAL, 2, _DecimalWriter()),)


def register(connection: sqlite3.Connection) -> None:
    """Make the functions (and the aggregate functions of
    :mod:`schema_builder.operations.aggregates.sqlite_sum`) available to statements run on
    ``connection``."""
    for name, arguments, function in functions():
        connection.create_function(name, arguments, function, deterministic=True)
    for name, arguments, aggregate in AGGREGATES:
        connection.create_aggregate(name, arguments, aggregate)  # type: ignore[arg-type]
