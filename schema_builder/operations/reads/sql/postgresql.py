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
- a field over another column type than its own writes what the row path writes for the value
  asyncpg decodes: ``decimal`` over an integer column the integer as a string, over a float
  column ``str(Decimal(repr(value)))`` as a string (the shortest digits that read back as the
  same double, positional for exponents from -6 to 15, ``1E+16``, ``1.5E-7``, ``"NaN"``,
  ``"Infinity"``); ``string`` over a date column the date's ``isoformat()``, over ``char(n)``
  the padded text, over an enum column its text, over a timestamp column the datetime as
  orjson writes it (``2024-01-01T10:00:00``, the ``datetime`` renderer's text: REST and
  GraphQL both write the row path's values with orjson); ``date`` over a timestamp column the
  datetime's ``isoformat()``. Floats are read from PostgreSQL's shortest round-trip text
  (``extra_float_digits`` at its default of 1) and rearranged; a ``real`` column is widened
  to ``float8`` first, as Python widens the float4 asyncpg decodes.

Not rendered (:func:`renderer` answers None, the read takes the row path):

- where the row path itself writes REST and GraphQL differently, as one renderer serves
  both: ``float`` fields over an integer or numeric
  column (REST: the integer, the Decimal as a string; GraphQL's Float: ``2.0``, a number)
  and over a float column (REST: ``null`` for NaN and the infinities, GraphQL's Float: an
  error).

- ``json`` fields, and ``string`` fields over ``json``/``jsonb`` columns: the row path decodes
  the document and orjson writes it again, numbers as Python floats (``1.10`` becomes ``1.1``,
  ``1e2`` becomes ``100.0``) and, for ``json``, duplicate keys merged and every space dropped.
  PostgreSQL cannot walk a document of any depth in one expression to write its numbers that
  way, so no text it writes can promise the same bytes.
- ``date``/``datetime`` fields over text columns (the row path calls ``isoformat()`` on the
  text it reads, and fails), ``string`` fields over ``uuid`` (the row path cannot encode
  asyncpg's UUID and fails), ``time``, ``interval``, ``bytea``,
  arrays, network and other types (orjson writes some of their Python values differently
  from their text and refuses others).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
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


def _quoted_text(column: sa.ColumnElement[Any]) -> Text:
    return _quoted(sa.cast(column, sa.Text))


def _shortest(
    column: sa.ColumnElement[Any],
    *,
    lowest: int,
    mark: str,
    special: Callable[[Text], Text],
    quote: bool = False,
    whole_seventeen: bool = False,
) -> Text:
    """A double as Python writes it, from PostgreSQL's shortest round-trip text
    (``-1.5e-07``, ``100``, ``0.001``): its digits and decimal exponent rearranged,
    positional for exponents from ``lowest`` to 15, else ``d.ddd`` ``mark`` ``+``/``-`` and
    the exponent (``str(Decimal(repr(x)))``: -6 and ``E``; orjson would be -5 and ``e``); NaN and
    the infinities written by ``special``; ``whole_seventeen``: 17 digits with exponent 16
    as an integer (``str(Decimal)`` of such a ``repr``).

    PostgreSQL writes whole numbers from about 1e16 to 1e18 with all their digits
    (``5.7673526337537376e+16`` where Python writes ``5.767352633753738e+16``): there the
    shortest digits are found as the first rounding to 15 or 16 digits that reads back as
    the same double, else the rounding to 17."""
    double = sa.cast(column, postgresql.DOUBLE_PRECISION)
    text = sa.cast(double, sa.Text)
    whole_number = sa.func.abs(sa.cast(double, sa.BigInteger)).cast(sa.Numeric)
    places = sa.func.length(sa.cast(whole_number, sa.Text))

    def rounded(count: int) -> sa.ColumnElement[Any]:
        return sa.func.round(whole_number, _number(count) - places)

    exact = sa.case(
        *(
            (
                sa.cast(rounded(count), postgresql.DOUBLE_PRECISION) == sa.func.abs(double),
                sa.cast(rounded(count), sa.Text),
            )
            for count in (15, 16, 17)
        ),
        else_=sa.cast(whole_number, sa.Text),
    )
    unsigned = sa.case(
        (
            sa.and_(
                double == sa.func.trunc(double),
                sa.func.abs(double) >= _number("1e15"),
                sa.func.abs(double) < _number("9e18"),
            ),
            exact,
        ),
        else_=sa.func.ltrim(text, _literal("-")),
    )
    mantissa = sa.func.split_part(unsigned, _literal("e"), _number(1))
    written = sa.func.nullif(sa.func.split_part(unsigned, _literal("e"), _number(2)), _literal(""))
    power = sa.cast(sa.func.coalesce(written, _literal("0")), sa.Integer)
    whole = sa.func.split_part(mantissa, _literal("."), _number(1))
    every = sa.func.replace(mantissa, _literal("."), _literal(""))
    unled = sa.func.ltrim(every, _literal("0"))
    digits = sa.func.rtrim(unled, _literal("0"))
    exponent = (
        power + sa.func.length(whole) - _number(1) - (sa.func.length(every) - sa.func.length(unled))
    )
    sign = sa.case(
        (sa.func.left(text, _number(1)) == _literal("-"), _literal("-")), else_=_literal("")
    )
    big = concat(
        [
            sa.func.rpad(digits, exponent + _number(1), _literal("0")),
            _literal("."),
            sa.func.coalesce(
                sa.func.nullif(sa.func.substr(digits, exponent + _number(2)), _literal("")),
                _literal("0"),
            ),
        ]
    )
    small = concat([_literal("0."), sa.func.repeat(_literal("0"), -exponent - _number(1)), digits])
    rest = sa.func.substr(digits, _number(2))
    scientific = concat(
        [
            sa.func.left(digits, _number(1)),
            sa.case((rest != _literal(""), concat([_literal("."), rest])), else_=_literal("")),
            _literal(mark),
            sa.case((exponent < _number(0), _literal("-")), else_=_literal("+")),
            sa.cast(sa.func.abs(exponent), sa.Text),
        ]
    )
    number = concat(
        [
            *([_literal('"')] if quote else []),
            sign,
            sa.case(
                (digits == _literal(""), _literal("0.0")),
                *(
                    [
                        (
                            sa.and_(exponent == _number(16), sa.func.length(digits) == _number(17)),
                            digits,
                        )
                    ]
                    if whole_seventeen
                    else []
                ),
                (sa.and_(exponent >= _number(0), exponent <= _number(15)), big),
                (sa.and_(exponent < _number(0), exponent >= _number(lowest)), small),
                else_=scientific,
            ),
            *([_literal('"')] if quote else []),
        ]
    )
    return _or_null(
        sa.case(
            (
                text.in_([_literal("NaN"), _literal("Infinity"), _literal("-Infinity")]),
                special(text),
            ),
            else_=number,
        )
    )


def _float_decimal(column: sa.ColumnElement[Any]) -> Text:
    """A float field declared ``decimal``: ``str(Decimal(repr(value)))``, as a string
    (``"NaN"``, ``"Infinity"``, ``"-Infinity"`` included)."""
    return _shortest(column, lowest=-6, mark="E", special=_quoted, quote=True, whole_seventeen=True)


def _numeric_renderer(column_type: sa.types.TypeEngine[Any]) -> Render:
    scale = getattr(column_type, "scale", None)
    return _decimal(scale if isinstance(scale, int) else None)


def _is_float(column_type: Any) -> bool:
    return isinstance(column_type, sa.Float)


def _is_numeric(column_type: Any) -> bool:
    return isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float)


def _is_text(column_type: Any) -> bool:
    return isinstance(column_type, sa.String) and not isinstance(column_type, sa.JSON)


def _is_integer(column_type: Any) -> bool:
    return isinstance(column_type, sa.Integer) and not isinstance(column_type, sa.Boolean)


def renderer(field: Field) -> Render | None:
    """The expression writing ``field``'s value as JSON text, or None where that cannot be
    made to match the Python path exactly."""
    column_type = field.column.type
    kind = field.type
    if kind == "integer" and _is_integer(column_type):
        return _as_text
    if kind == "boolean" and isinstance(column_type, sa.Boolean):
        return _as_text
    if kind == "string":
        if _is_text(column_type):
            return _string
        if isinstance(column_type, sa.DateTime):  # as orjson writes the datetime
            return _datetime(bool(column_type.timezone))
        if isinstance(column_type, sa.Date):
            return _date
        return None
    if kind == "decimal":
        if _is_numeric(column_type):
            return _numeric_renderer(column_type)
        if _is_integer(column_type):
            return _quoted_text
        if _is_float(column_type):
            return _float_decimal
        return None
    if kind in ("date", "datetime") and isinstance(column_type, sa.DateTime):
        return _datetime(bool(column_type.timezone))
    if kind == "date" and isinstance(column_type, sa.Date):
        return _date
    return None
