"""Values as JSON text written by PostgreSQL, byte for byte what the API writes from Python.

The Python path reads a value through asyncpg, converts it (``schema_builder.catalog``'s
converters) and writes it with orjson. Each renderer here is the SQL expression giving the same
text, for the column types where that can be matched exactly; :func:`renderer` answers None for
any other field, and the read then takes the Python path.

- integer columns: the number; booleans: ``true``/``false`` (``boolean::text``).
- text columns: ``to_json(text)``, which escapes like orjson (``\\"``, ``\\\\``, ``\\n``…,
  other control characters as lowercase ``\\u00xx``, everything else as UTF-8).
- numeric columns (``decimal``): a string holding ``str()`` of the Decimal asyncpg decodes,
  which is the number's text except for small values (``1E-7``, ``0E-7``: Python's scientific
  notation) and, without a scale, integers ending in whole groups of four zeros, which asyncpg
  decodes with a positive exponent (``120000`` is ``Decimal('1.2E+5')``).
- dates and timestamps: ``isoformat()``: microseconds only when non-zero, ``+00:00`` for
  ``timestamptz`` (asyncpg decodes it in UTC), and the values asyncpg gives for infinity.
- float and json fields, and any other column type, are not rendered here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ClauseList

from schema_builder.catalog import Field

Text = sa.ColumnElement[str]
Render = Callable[[sa.ColumnElement[Any]], Text]

# What constant pieces of JSON text may hold: keys and type names (GraphQL names, which the
# configuration and GraphQL both enforce) and JSON punctuation; nothing that needs escaping in
# JSON or in an SQL string literal.
_SAFE_TEXT = re.compile(r'^[A-Za-z0-9_{}\[\]:,"]*$')
_DATE = "'YYYY-MM-DD'"
_SECONDS = "'YYYY-MM-DD\"T\"HH24:MI:SS'"
_MICROSECONDS = "'YYYY-MM-DD\"T\"HH24:MI:SS.US'"


class UnsupportedShapeError(Exception):
    """The JSON cannot be written in SQL exactly as the Python path writes it."""


def constant_is_safe(text: str) -> bool:
    """Whether ``text`` can be written as a constant piece of JSON text."""
    return _SAFE_TEXT.match(text) is not None


def constant(text: str) -> Text:
    """A constant piece of JSON text (keys, punctuation) as an SQL string literal."""
    if not _SAFE_TEXT.match(text):
        raise UnsupportedShapeError(f"cannot write {text!r} as a constant")
    return _literal(text)


def _literal(text: str) -> Text:
    # Callers pass fixed text of this module or text checked by constant(): no quote inside.
    return sa.literal_column(f"'{text}'", sa.Text)


def concat(parts: Sequence[Text]) -> Text:
    """``a || b || c`` as one flat expression (a nested one would recurse once per part when
    compiled)."""
    return sa.type_coerce(ClauseList(*parts, operator=operators.concat_op).self_group(), sa.Text)


def _number(value: int | str) -> sa.ColumnElement[Any]:
    """A constant number as SQL text: a Python value would become a bound parameter."""
    return sa.literal_column(str(value))


def _or_null(value: Text) -> Text:
    return sa.func.coalesce(value, _literal("null"), type_=sa.Text)


def _quoted(value: Text) -> Text:
    return _or_null(concat([_literal('"'), value, _literal('"')]))


def _as_text(column: sa.ColumnElement[Any]) -> Text:
    return _or_null(sa.cast(column, sa.Text))


def _string(column: sa.ColumnElement[Any]) -> Text:
    return _or_null(sa.cast(sa.func.to_json(column), sa.Text))


def _decimal(scale: int | None) -> Render:
    def render(column: sa.ColumnElement[Any]) -> Text:
        text = sa.cast(column, sa.Text)
        if scale is not None and 0 < scale <= 6:  # every value has that scale: plain text
            return _quoted(text)
        cases: list[tuple[Any, Any]] = [(_integer_in_groups(column), _grouped_scientific(column))]
        if scale is None or scale > 6:
            cases += [
                (
                    sa.and_(column == _number(0), sa.func.scale(column) > _number(6)),
                    concat([_literal("0E-"), sa.cast(sa.func.scale(column), sa.Text)]),
                ),
                (
                    sa.and_(column != _number(0), sa.func.abs(column) < _number("0.000001")),
                    _small_scientific(column),
                ),
            ]
        return _quoted(sa.case(*cases, else_=text))

    return render


def _integer_in_groups(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.and_(
        sa.func.scale(column) == _number(0),
        column != _number(0),
        sa.func.mod(column, _number(10000)) == _number(0),
    )


def _scientific(sign: Text, digits: Text, exponent: Text) -> Text:
    """``str(Decimal)`` in scientific notation: the first digit, the others after a point."""
    rest = sa.func.substr(digits, _number(2))
    return concat(
        [
            sign,
            sa.func.left(digits, _number(1)),
            sa.case((rest != _literal(""), concat([_literal("."), rest])), else_=_literal("")),
            exponent,
        ]
    )


def _grouped_scientific(column: sa.ColumnElement[Any]) -> Text:
    """An integer asyncpg decodes without its trailing groups of four zeros, as exponent."""
    text = sa.func.abs(column).cast(sa.Text)
    zeros = sa.func.length(text) - sa.func.length(sa.func.rtrim(text, _literal("0")))
    dropped = zeros - sa.func.mod(zeros, _number(4))  # whole groups of four
    digits = sa.func.left(text, sa.func.length(text) - dropped)
    exponent = sa.func.length(digits) - _number(1) + dropped
    sign = sa.case((column < _number(0), _literal("-")), else_=_literal(""))
    return _scientific(sign, digits, concat([_literal("E+"), sa.cast(exponent, sa.Text)]))


def _small_scientific(column: sa.ColumnElement[Any]) -> Text:
    """A non-zero value below 0.000001: Python writes ``1.2300E-7`` for 0.00000012300."""
    text = sa.func.abs(column).cast(sa.Text)
    fraction = sa.func.substr(text, _number(3))  # after "0."
    digits = sa.func.ltrim(fraction, _literal("0"))
    leading = sa.func.length(fraction) - sa.func.length(digits)
    sign = sa.case((column < _number(0), _literal("-")), else_=_literal(""))
    exponent = concat([_literal("E-"), sa.cast(leading + _number(1), sa.Text)])
    return _scientific(sign, digits, exponent)


def _date(column: sa.ColumnElement[Any]) -> Text:
    return _quoted(
        sa.case(
            (column == _literal("infinity"), _literal("9999-12-31")),
            (column == _literal("-infinity"), _literal("0001-01-01")),
            else_=sa.func.to_char(column, sa.literal_column(_DATE), type_=sa.Text),
        )
    )


def _datetime(timezone: bool) -> Render:
    def render(column: sa.ColumnElement[Any]) -> Text:
        local: sa.ColumnElement[Any] = column
        if timezone:
            local = sa.func.timezone(_literal("UTC"), column)
        suffix = [_literal("+00:00")] if timezone else []
        whole = sa.func.date_trunc(_literal("second"), local) == local
        seconds = sa.func.to_char(local, sa.literal_column(_SECONDS), type_=sa.Text)
        micro = sa.func.to_char(local, sa.literal_column(_MICROSECONDS), type_=sa.Text)
        return _quoted(
            sa.case(
                # asyncpg gives datetime.max and datetime.min, without a time zone.
                (column == _literal("infinity"), _literal("9999-12-31T23:59:59.999999")),
                (column == _literal("-infinity"), _literal("0001-01-01T00:00:00")),
                (whole, concat([seconds, *suffix])),
                else_=concat([micro, *suffix]),
            )
        )

    return render


def renderer(field: Field) -> Render | None:
    """The expression writing ``field``'s value as JSON text, or None where that cannot be
    made to match the Python path exactly."""
    column_type = field.column.type
    kind = field.type
    if kind == "integer" and isinstance(column_type, sa.Integer):
        return _as_text
    if kind == "boolean" and isinstance(column_type, sa.Boolean):
        return _as_text
    if (
        kind == "string"
        and isinstance(column_type, sa.String)
        and not isinstance(column_type, sa.CHAR | sa.NCHAR | sa.Enum)
    ):
        return _string
    if (
        kind == "decimal"
        and isinstance(column_type, sa.Numeric)
        and not isinstance(column_type, sa.Float)
    ):
        scale = column_type.scale
        return _decimal(scale if isinstance(scale, int) else None)
    if kind == "date" and isinstance(column_type, sa.Date):
        return _date
    if kind == "datetime" and isinstance(column_type, sa.DateTime):
        return _datetime(bool(column_type.timezone))
    return None
