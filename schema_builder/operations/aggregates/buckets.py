"""Date buckets written per SQL dialect: the group key of a date or timestamp.

Every bucket is computed in UTC and written as the same text on every database, so that the
text orders as the time does: ``year`` 2026 (an integer), ``quarter`` ``2026-Q1``, ``month``
``2026-03``, ``week`` ``2026-W09`` (ISO 8601: weeks start on Monday, a week belongs to the
year of its Thursday), ``day`` ``2026-03-01``, ``hour`` ``2026-03-01T14``.

- PostgreSQL: ``to_char``; a ``timestamptz`` is taken to UTC first (``timezone('UTC', x)``).
- SQLite: ``strftime`` over the stored text (SQLAlchemy's ``2026-03-01 14:05:00.000000``, or
  ISO 8601 text, whose offset SQLite applies). SQLite 3.40 has no ISO week: the week is the
  one of the date's Thursday (``date(x, '-3 days', 'weekday 4')``), numbered from that year's
  first day.
- MariaDB and MySQL: ``DATE_FORMAT`` (``%x-W%v`` is the ISO year and week); dexgate's
  sessions run in UTC, so ``TIMESTAMP`` columns are read in UTC and ``DATETIME`` values are
  taken as UTC, as everywhere else in dexgate.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from schema_builder.operations.aggregates.plan import Bucket

Expression = sa.ColumnElement[Any]

_POSTGRESQL = {
    "quarter": 'YYYY-"Q"Q',
    "month": "YYYY-MM",
    "week": 'IYYY-"W"IW',
    "day": "YYYY-MM-DD",
    "hour": 'YYYY-MM-DD"T"HH24',
}
_MARIADB = {
    "month": "%Y-%m",
    "week": "%x-W%v",
    "day": "%Y-%m-%d",
    "hour": "%Y-%m-%dT%H",
}
_SQLITE = {"month": "%Y-%m", "day": "%Y-%m-%d", "hour": "%Y-%m-%dT%H"}


def bucket(dialect: str, column: sa.ColumnElement[Any], kind: Bucket) -> Expression:
    """The bucket ``kind`` of ``column``'s values on ``dialect`` (a dialect's ``name``)."""
    if dialect == "postgresql":
        return _postgresql(column, kind)
    if dialect == "sqlite":
        return _sqlite(column, kind)
    return _mariadb(column, kind)


def _postgresql(column: sa.ColumnElement[Any], kind: Bucket) -> Expression:
    value: sa.ColumnElement[Any] = column
    if isinstance(column.type, sa.DateTime) and column.type.timezone:
        value = sa.func.timezone("UTC", column)
    if kind == "year":
        return sa.cast(sa.extract("year", value), sa.Integer)
    return sa.func.to_char(value, _POSTGRESQL[kind], type_=sa.String)


def _sqlite(column: sa.ColumnElement[Any], kind: Bucket) -> Expression:
    # ``||`` keeps a NULL NULL (printf would write it as 0).
    if kind == "year":
        return sa.cast(sa.func.strftime("%Y", column), sa.Integer)
    if kind == "quarter":
        month = sa.cast(sa.func.strftime("%m", column), sa.Integer)
        year = sa.func.strftime("%Y", column, type_=sa.String)
        return year.concat("-Q").concat(sa.cast((month + 2) // 3, sa.String))
    if kind == "week":
        thursday = sa.func.date(column, "-3 days", "weekday 4")
        day = sa.cast(sa.func.strftime("%j", thursday), sa.Integer)
        year = sa.func.strftime("%Y", thursday, type_=sa.String)
        return year.concat("-W").concat(sa.func.printf("%02d", (day - 1) // 7 + 1))
    return sa.func.strftime(_SQLITE[kind], column, type_=sa.String)


def _mariadb(column: sa.ColumnElement[Any], kind: Bucket) -> Expression:
    if kind == "year":
        return sa.func.year(column, type_=sa.Integer)
    if kind == "quarter":
        return sa.func.concat(sa.func.year(column), "-Q", sa.func.quarter(column), type_=sa.String)
    return sa.func.date_format(column, _MARIADB[kind], type_=sa.String)


def is_datelike(column_type: Any) -> bool:
    """Whether a column holds dates or timestamps that buckets apply to."""
    return isinstance(column_type, sa.Date | sa.DateTime)
