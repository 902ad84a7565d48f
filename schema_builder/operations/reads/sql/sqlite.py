"""SQLite's pieces of the JSON-writing statement (see :mod:`.dialect`).

Values as JSON text written by SQLite, byte for byte what the row path writes on SQLite:
aiosqlite returns what SQLite stores, converted by the reflected column type's result processor
(SQLAlchemy's SQLite types), the catalog's converters, then orjson.

- integer columns: the integer's text (``CAST(x AS TEXT)``).
- boolean columns (stored 0/1): ``true``/``false``.
- text columns: ``json_quote(x)``, which escapes as orjson does (``\\"``, ``\\\\``, ``\\n``,
  other control characters as lowercase ``\\u00xx``, everything else as UTF-8).
- ``DATE`` columns: the stored text (``YYYY-MM-DD``, what SQLAlchemy writes; the row path
  reads it with ``date.fromisoformat`` and writes ``isoformat()``, the same text).
- ``DATETIME``/``TIMESTAMP`` columns, stored by SQLAlchemy as ``YYYY-MM-DD HH:MM:SS.ffffff``
  (or without the fraction, or only the date): ``isoformat()`` of what
  ``datetime.fromisoformat`` reads, ``T`` between date and time, the fraction padded to six
  digits and left out when zero.
- ``decimal`` over an integer column: the integer's text as a string.
- ``string`` over a ``DATETIME`` column: as a ``datetime`` field (orjson writes the
  datetime the row path reads with the same text).
- ``float`` over an integer column is left to the row path for the reason given in
  :mod:`schema_builder.operations.reads.sql.postgresql`.

- ``decimal`` over ``NUMERIC``/``REAL`` columns: written by dexgate's own SQL function
  (:mod:`schema_builder.operations.reads.sql.sqlite_functions`), with the row path's own
  pieces; SQLite stores such a value as a double, and no SQLite expression writes a double
  as the row path does.

Not rendered here (the read takes the row path):

- ``float`` fields over ``NUMERIC``/``REAL`` columns, for the reason given in
  :mod:`schema_builder.operations.reads.sql.postgresql` (REST and GraphQL write them
  differently on the row path).
- ``json`` fields and ``string`` fields over ``JSON`` columns (the row path decodes and
  re-encodes the document: see :mod:`schema_builder.operations.reads.sql.postgresql`).
- ``date``/``datetime`` fields over text columns, other column types.

What these renderers assume of the stored values, as SQLAlchemy and dexgate write them: an
integer column holds integers (SQLite keeps a non-integral value written to an ``INTEGER``
column as a double, which orjson would write as a float); date and timestamp text has no time
zone and the layout above.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.functions import Function

from schema_builder.catalog import Field
from schema_builder.operations.reads.sql.dialect import JsonDialect
from schema_builder.operations.reads.sql.json_list import JsonList
from schema_builder.operations.reads.sql.postgresql import Render, Text, concat
from schema_builder.operations.reads.sql.sqlite_functions import DECIMAL, UNCONVERTED, scale_of
from schema_builder.operations.reads.sql.text import integer_boolean as _boolean
from schema_builder.operations.reads.sql.text import literal as _literal
from schema_builder.operations.reads.sql.text import number as _number
from schema_builder.operations.reads.sql.text import or_null as _or_null

_COMMA = sa.literal_column("','", sa.Text)


def _as_text(column: sa.ColumnElement[Any]) -> Text:
    return _or_null(sa.cast(column, sa.Text))


def _quoted_text(column: sa.ColumnElement[Any]) -> Text:
    return _or_null(concat([_literal('"'), sa.cast(column, sa.Text), _literal('"')]))


def _string(column: sa.ColumnElement[Any]) -> Text:
    return sa.func.json_quote(column, type_=sa.Text)


def _date(column: sa.ColumnElement[Any]) -> Text:
    return _quoted_text(column)


def _datetime(column: sa.ColumnElement[Any]) -> Text:
    text = sa.cast(column, sa.Text)
    clock = sa.case(
        (sa.func.length(text) <= _number(10), _literal("00:00:00")),
        else_=sa.func.substr(text, _number(12), _number(8)),
    )
    digits = sa.func.substr(
        concat([sa.func.substr(text, _number(21)), _literal("000000")]), _number(1), _number(6)
    )
    fraction = sa.case(
        (sa.func.length(text) <= _number(20), _literal("")),
        (digits == _literal("000000"), _literal("")),
        else_=concat([_literal("."), digits]),
    )
    return _or_null(
        concat(
            [
                _literal('"'),
                sa.func.substr(text, _number(1), _number(10)),
                _literal("T"),
                clock,
                fraction,
                _literal('"'),
            ]
        )
    )


def _is_integer(column_type: Any) -> bool:
    return isinstance(column_type, sa.Integer) and not isinstance(column_type, sa.Boolean)


def _is_text(column_type: Any) -> bool:
    return isinstance(column_type, sa.String) and not isinstance(column_type, sa.JSON)


def renderer(field: Field) -> Render | None:
    """The expression writing ``field``'s value as the row path writes it on SQLite, or None."""
    column_type = field.column.type
    kind = field.type
    if kind == "integer" and _is_integer(column_type):
        return _as_text
    if kind == "decimal" and _is_integer(column_type):
        return _quoted_text
    if kind == "boolean" and isinstance(column_type, sa.Boolean):
        return _boolean
    if kind in ("date", "datetime", "string") and isinstance(column_type, sa.DateTime):
        return _datetime
    if kind in ("string", "date") and isinstance(column_type, sa.Date):
        return _date
    if kind == "string" and _is_text(column_type):
        return _string
    if kind == "decimal":
        scale = scale_of(column_type)
        if scale is not None:
            return _decimal(scale)
    return None


def _decimal(scale: int) -> Render:
    """A ``decimal`` field over a ``NUMERIC`` column read with ``scale`` digits: SQLite writes
    the common values, dexgate's function the others.

    - an integer (SQLite keeps an integral value as one) below 2**53 in magnitude: its text
      and ``scale`` zeros, as ``'%.<scale>f' %`` writes the float Python makes of it;
    - a double below ``10**(15 - scale)`` in magnitude, other than zero (and, past six
      places, not below ``1e-6``, which ``str()`` writes with an exponent), whose ``printf``
      text ``d`` reads back as the same double: ``d``. SQLite's ``printf`` rounds the double
      at ``scale`` digits; when ``d`` reads back as the double, the double lies within an
      ulp of ``d``, far closer than half a unit of the last digit (the magnitude bound keeps
      an ulp below it), so ``d`` is also the correctly rounded text Python writes. A tie
      (``0.125``), which SQLite rounds up and Python to even, does not read back;
    - anything else (ties, larger values, text, zero's sign): the function
      (:mod:`schema_builder.operations.reads.sql.sqlite_functions`).

    The function alone costs about 2 µs a value (a call into Python); this about 0.3 µs."""
    if scale == UNCONVERTED:
        return _decimal_function(scale)
    zeros = "." + "0" * scale if scale else ""

    def render(column: sa.ColumnElement[Any]) -> Text:
        text = sa.func.printf(_literal(f"%.{scale}f"), column, type_=sa.Text)
        kind = sa.func.typeof(column, type_=sa.Text)

        # Beyond six places, str() of a Decimal below 1e-6 (zero too) is written with an
        # exponent ("0E-10"): the function writes those. Bounds are comparisons, not abs():
        # SQLite's abs() of the smallest integer overflows.
        def within(bound: str) -> sa.ColumnElement[bool]:
            return sa.and_(column < _bound(bound), column > _bound(f"-{bound}"))

        exact = sa.and_(
            kind == _literal("real"),
            sa.or_(column >= _bound("1e-6"), column <= _bound("-1e-6"))
            if scale > 6
            else column != _number(0),
            within(f"1e{15 - scale}"),
            sa.cast(text, sa.Float) == column,
        )
        whole = sa.and_(kind == _literal("integer"), within(str(2**53)))
        if scale > 6:
            whole = sa.and_(whole, column != _number(0))
        return sa.case(
            (column.is_(None), _literal("null")),
            (whole, concat([_literal('"'), sa.cast(column, sa.Text), _literal(f'{zeros}"')])),
            (exact, concat([_literal('"'), text, _literal('"')])),
            else_=Function(DECIMAL, column, _number(scale), type_=sa.Text),
        )

    return render


def _bound(number: str) -> sa.ColumnElement[Any]:
    return sa.literal_column(number)


def _decimal_function(scale: int) -> Render:
    def render(column: sa.ColumnElement[Any]) -> Text:
        return Function(DECIMAL, column, _number(scale), type_=sa.Text)

    return render


class SqliteJson(JsonDialect):
    """SQLite: no arrays (a list parameter is JSON text read by ``json_each``); related rows
    joined by ``group_concat`` as a window function, whose rows are taken in the window's
    ``ORDER BY`` (as an aggregate, before 3.44, its order is not defined); the page's rows
    returned one per row (``per_row``)."""

    name = "sqlite"
    lateral = False  # SQLite has no LATERAL
    per_row = True

    def renderer(self, field: Field) -> Render | None:
        return renderer(field)

    def member(self, column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
        values = sa.func.json_each(sa.bindparam(name, type_=JsonList(column.type)))
        return column.in_(sa.select(sa.literal_column("value")).select_from(values))

    def within(self, remote: sa.ColumnElement[Any], keys: sa.Select[Any]) -> sa.ColumnElement[bool]:
        return remote.in_(keys)

    def grouped(
        self,
        source: sa.FromClause,
        key: sa.ColumnElement[Any],
        json: Text,
        position: sa.ColumnElement[Any],
        counted: bool,
    ) -> sa.Select[Any]:
        whole = {"partition_by": key, "order_by": position, "rows": (None, None)}
        columns: list[sa.ColumnElement[Any]] = [
            key.label("__m"),
            sa.func.group_concat(json, _COMMA).over(**whole).label("j"),  # type: ignore[arg-type]
            sa.func.row_number().over(partition_by=key, order_by=position).label("__k"),
        ]
        if counted:
            columns.append(sa.func.count().over(partition_by=key).label("c"))
        windowed = sa.select(*columns).select_from(source).subquery()
        kept = [windowed.c["__m"], windowed.c["j"]] + ([windowed.c["c"]] if counted else [])
        return sa.select(*kept).where(windowed.c["__k"] == _number(1))

    def page_arrays(
        self,
        source: sa.FromClause,
        jsons: Sequence[Text],
        order: Sequence[sa.ColumnElement[Any]],
        nested: sa.ColumnElement[Any] | None,
        total: sa.ColumnElement[Any] | None,
    ) -> tuple[list[sa.ColumnElement[Any]], sa.FromClause, list[sa.ColumnElement[Any]]]:
        """One row per page row, in the page's order, for the reader to join. Joining them
        here (``group_concat`` over a window, the only ordered concatenation before SQLite
        3.44) copies the growing text once per row: half as much time again for a page of
        100 rows. With the total, the rows are joined to a single row, so that an empty page
        still answers one (of NULLs but the total), and numbered in the page's order."""
        rows: list[sa.ColumnElement[Any]] = [
            json.label(f"j{position}") for position, json in enumerate(jsons)
        ]
        if nested is not None:
            rows.append(nested.label("n"))
        if total is None:
            return rows, source, list(order)
        rows.append(sa.func.row_number().over(order_by=list(order)).label("__k"))
        items = sa.select(*rows).select_from(source).subquery("items")
        one = sa.select(_number(1).label("one")).subquery("one")
        columns = [c for c in items.c if c.name != "__k"] + [total]
        return columns, one.outerjoin(items, sa.true()), [items.c["__k"]]


SQLITE = SqliteJson()
