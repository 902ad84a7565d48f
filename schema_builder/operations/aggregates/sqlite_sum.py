"""The exact sum of a ``decimal`` field on SQLite, an aggregate function of dexgate's own.

SQLite stores a ``NUMERIC``/``REAL`` value that is not an integer as a double, and its ``SUM``
adds doubles: ``0.1 + 0.2`` is ``0.30000000000000004``, and the error grows with the rows.
``dexgate_decimal_sum(value, scale)`` takes each value as the row path reads it (SQLAlchemy's
result processor for the column's scale: the double rounded to the places the column
declares; text and integers as they are) and adds them as :class:`~decimal.Decimal`, so the
sum of a group is exact and equals what PostgreSQL's and MariaDB's ``SUM`` of a ``DECIMAL``
column gives. It runs inside the statement, once per row, as SQLite's own ``SUM`` would: no
row is read into Python. The result is the sum's text (NULL when every value is NULL).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import pysqlite

DECIMAL_SUM = "dexgate_decimal_sum"
# The scale argument of a column whose values are read as they are (a ``Float``, text).
AS_STORED = -1
# Digits kept while adding: far beyond PostgreSQL's numeric sums of 15-digit prices.
_PRECISION = 80

_DIALECT = pysqlite.dialect()


@functools.cache
def decimal_processor(scale: int) -> Callable[[Any], Any] | None:
    """SQLAlchemy's result processor of a ``NUMERIC`` column of ``scale`` places on SQLite (the
    row path's reading of its doubles); None for :data:`AS_STORED`."""
    if scale == AS_STORED:
        return None
    numeric = sa.Numeric(asdecimal=True, decimal_return_scale=scale)
    processor: Callable[[Any], Any] | None
    processor = numeric.result_processor(_DIALECT, None)  # type: ignore[no-untyped-call]
    return processor


def _exact(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return Decimal(value if isinstance(value, int | Decimal) else str(value).strip())


class DecimalSum:
    """One group's sum (sqlite3 creates an instance per group)."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any, scale: int) -> None:
        if value is None:
            return
        process = decimal_processor(scale)
        try:
            if process is not None and isinstance(value, int | float):
                number = process(value)
            else:
                number = _exact(value)
        except (InvalidOperation, ValueError):
            return  # text that is no number: SUM would take it as 0
        with localcontext() as context:
            context.prec = _PRECISION
            self.total = number if self.total is None else self.total + number

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


def scale_argument(column_type: Any) -> int:
    """The scale argument for a ``decimal`` field over ``column_type``: the places SQLAlchemy's
    result processor rounds its doubles to, :data:`AS_STORED` for a ``Float`` or another
    column type."""
    impl = column_type.dialect_impl(_DIALECT) if hasattr(column_type, "dialect_impl") else None
    if isinstance(impl, sa.Numeric) and not isinstance(impl, sa.Float) and impl.asdecimal:
        scale = impl._effective_decimal_return_scale
        if isinstance(scale, int) and scale >= 0:
            return scale
    return AS_STORED


AGGREGATES: tuple[tuple[str, int, type[DecimalSum]], ...] = ((DECIMAL_SUM, 2, DecimalSum),)
