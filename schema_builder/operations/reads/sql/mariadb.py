"""MariaDB's (and MySQL's) pieces of the JSON-writing statement (see :mod:`.dialect`).

Values as JSON text written by MariaDB, byte for byte what the row path writes there: asyncmy
reads each value (integers, ``Decimal`` from the server's text, ``datetime``/``date``), the
catalog's converters convert it and orjson writes it.

- integer columns: the integer's text (``CAST(x AS CHAR)``; ``BIGINT UNSIGNED`` included);
  ``decimal`` over one: that text as a string.
- ``boolean`` over ``TINYINT(1)``/``BOOLEAN`` (or another integer column): ``true`` when not
  zero, as Python's ``bool()`` of the integer.
- ``decimal`` over ``DECIMAL(p, s)`` with ``s`` up to 6: the server's text of the value, which
  asyncmy reads into the Decimal whose ``str()`` the row path writes (with more places,
  ``str()`` writes small values with an exponent, ``0E-10``: those columns take the row path).
- text columns (``CHAR``, ``VARCHAR``, ``TEXT``, ``ENUM``): ``JSON_QUOTE(x)``, which escapes as
  orjson does except that it writes the hexadecimal digits of ``\\u00XX`` in upper case: a
  value whose quoted text holds ``\\u00`` (a control character other than ``\\b \\f \\n \\r
  \\t``, or a backslash followed by ``u00``) is escaped by a chain of ``REPLACE`` on the raw
  value instead, exactly as orjson escapes.
- ``DATE``: its text; ``DATETIME``/``TIMESTAMP`` (and ``string`` or ``date`` fields over
  them): ``isoformat()`` of the naive datetime asyncmy reads, ``T`` between date and time,
  microseconds (six digits) only when not zero. A ``TIMESTAMP`` is read in the session's time
  zone, by both paths.

Not rendered (the read takes the row path): ``float`` fields and ``decimal`` over ``FLOAT``/
``DOUBLE`` (Python's shortest round-trip text), ``json`` fields and ``string`` fields over
``JSON`` columns, ``decimal`` with more than six places, other column types.

The rows are joined by ``GROUP_CONCAT(... ORDER BY ...)``, an ordered aggregate: its result is
cut at ``group_concat_max_len`` (with only a warning), so every connection that runs these
statements must set that to its maximum (the engine's connections do: ``app.database``). No
LATERAL: related rows are read once for the whole page and grouped per parent key. Text is
joined by ``CONCAT()``: ``||`` is ``OR`` there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from schema_builder.catalog import Field
from schema_builder.operations.reads.sql.dialect import JsonDialect
from schema_builder.operations.reads.sql.json_list import JsonList
from schema_builder.operations.reads.sql.postgresql import Render, Text, constant
from schema_builder.operations.reads.sql.text import integer_boolean as _boolean
from schema_builder.operations.reads.sql.text import literal as _literal
from schema_builder.operations.reads.sql.text import number as _number
from schema_builder.operations.reads.sql.text import or_null as _or_null

# Control characters orjson writes with a short escape; the others as \u00xx (lower case).
_SHORT = {0x08: "b", 0x09: "t", 0x0A: "n", 0x0C: "f", 0x0D: "r"}


def _concat(parts: Sequence[sa.ColumnElement[Any]]) -> Text:
    return sa.func.concat(*parts, type_=sa.Text)


def _character(code: int) -> Text:
    return sa.literal_column(f"CHAR({code} USING utf8mb4)", sa.Text)


def _backslash() -> Text:
    return _character(92)


def _as_text(column: sa.ColumnElement[Any]) -> Text:
    return sa.cast(column, sa.CHAR)


def _integer(column: sa.ColumnElement[Any]) -> Text:
    return _or_null(_as_text(column))


def _quoted(value: Text) -> Text:
    return _or_null(_concat([_literal('"'), value, _literal('"')]))


def _quoted_text(column: sa.ColumnElement[Any]) -> Text:
    return _quoted(_as_text(column))


def _escaped(column: sa.ColumnElement[Any]) -> Text:
    """``column`` escaped as orjson escapes it, quoted: backslash and quote first, then every
    control character."""
    text: sa.ColumnElement[Any] = sa.func.replace(
        column, _backslash(), _concat([_backslash(), _backslash()])
    )
    text = sa.func.replace(text, _literal('"'), _concat([_backslash(), _literal('"')]))
    for code in range(0x20):
        short = _SHORT.get(code)
        escape = _literal(short if short else f"u{code:04x}")
        text = sa.func.replace(text, _character(code), _concat([_backslash(), escape]))
    return _concat([_literal('"'), text, _literal('"')])


def _string(column: sa.ColumnElement[Any]) -> Text:
    quoted = sa.func.json_quote(column, type_=sa.Text)
    marker = _concat([_backslash(), _literal("u00")])
    return sa.case(
        (column.is_(None), _literal("null")),
        (sa.func.instr(quoted, marker) == _number(0), quoted),
        else_=_escaped(column),
    )


def _datetime(column: sa.ColumnElement[Any]) -> Text:
    text = _as_text(column)
    micro = sa.func.microsecond(column)
    fraction = sa.case(
        (micro == _number(0), _literal("")),
        else_=_concat([_literal("."), sa.func.lpad(micro, _number(6), _literal("0"))]),
    )
    return _quoted(
        _concat(
            [
                sa.func.left(text, _number(10)),
                _literal("T"),
                sa.func.substring(text, _number(12), _number(8)),
                fraction,
            ]
        )
    )


def _is_integer(column_type: Any) -> bool:
    return isinstance(column_type, sa.Integer) and not isinstance(column_type, sa.Boolean)


def _is_text(column_type: Any) -> bool:
    return isinstance(column_type, sa.String) and not isinstance(column_type, sa.JSON)


def _decimal_scale(column_type: Any) -> int | None:
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        scale = column_type.scale
        return 0 if scale is None else scale
    return None


def renderer(field: Field) -> Render | None:
    """The expression writing ``field``'s value as the row path writes it on MariaDB, or
    None."""
    column_type = field.column.type
    kind = field.type
    if kind == "integer" and _is_integer(column_type):
        return _integer
    if kind == "decimal" and _is_integer(column_type):
        return _quoted_text
    if kind == "decimal":
        scale = _decimal_scale(column_type)
        if scale is not None and scale <= 6:
            return _quoted_text
        return None
    if kind == "boolean" and isinstance(column_type, (sa.Boolean, sa.Integer)):
        return _boolean
    if kind in ("date", "datetime", "string") and isinstance(column_type, sa.DateTime):
        return _datetime
    if kind in ("string", "date") and isinstance(column_type, sa.Date):
        return _quoted_text
    if kind == "string" and _is_text(column_type):
        return _string
    return None


class MariaDbJson(JsonDialect):
    """MariaDB 10.6+ and MySQL 8: ``CONCAT`` for text, ``GROUP_CONCAT`` with ``ORDER BY`` for
    rows, ``JSON_TABLE`` for a list parameter, no LATERAL."""

    name = "mysql"
    lateral = False

    def renderer(self, field: Field) -> Render | None:
        return renderer(field)

    def concat(self, parts: Sequence[Text]) -> Text:
        return _concat(parts)

    def member(self, column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
        """``column IN`` the values of the JSON array ``name``, read by ``JSON_TABLE`` as the
        column's own type (and, for text, its collation: no mix of collations)."""
        column_type = column.type
        compiled = column_type.compile(dialect=_MARIADB)
        if isinstance(column_type, sa.String) and not getattr(column_type, "length", None):
            compiled = "LONGTEXT"
        elif isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
            # the filter's values exactly, whatever the column's scale (a decimal filter
            # compares the value given, not the value rounded to the column)
            compiled = "DECIMAL(65, 30)"
        collation = getattr(column_type, "collation", None)
        if collation:
            compiled += f" COLLATE {collation}"
        table = sa.text(
            f"JSON_TABLE(:{name}, '$[*]' COLUMNS (v {compiled} PATH '$')) AS jt_{name}"
        ).bindparams(sa.bindparam(name, type_=JsonList(column_type)))
        values: sa.Select[Any] = sa.select(sa.literal_column(f"jt_{name}.v")).select_from(table)
        return column.in_(values)

    def within(self, remote: sa.ColumnElement[Any], keys: sa.Select[Any]) -> sa.ColumnElement[bool]:
        return remote.in_(keys)

    def joined_in_order(self, json: Text, order: Sequence[sa.ColumnElement[Any]]) -> Text:
        return sa.aggregate_order_by(sa.func.group_concat(json, type_=sa.Text), *order)

    def page_arrays(
        self,
        source: sa.FromClause,
        jsons: Sequence[Text],
        order: Sequence[sa.ColumnElement[Any]],
        nested: sa.ColumnElement[Any] | None,
        total: sa.ColumnElement[Any] | None,
    ) -> tuple[list[sa.ColumnElement[Any]], sa.FromClause, list[sa.ColumnElement[Any]]]:
        """One row, aggregated over the page (no GROUP BY: one row for an empty page too)."""
        columns: list[sa.ColumnElement[Any]] = []
        for json in jsons:
            items = self.joined_in_order(json, order)
            empty = constant("")
            columns.append(
                _concat(
                    [constant("["), sa.func.coalesce(items, empty, type_=sa.Text), constant("]")]
                )
            )
        if nested is not None:
            columns.append(sa.func.coalesce(sa.func.sum(nested), _number(0)))
        if total is not None:
            columns.append(total)
        return columns, source, []


def _mariadb_dialect() -> sa.Dialect:
    from sqlalchemy.dialects.mysql import asyncmy

    dialect: sa.Dialect = asyncmy.dialect(is_mariadb=True)
    return dialect


_MARIADB = _mariadb_dialect()
MARIADB = MariaDbJson()
