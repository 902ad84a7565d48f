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
  orjson does except that it writes the hexadecimal digits of ``\\u00XX`` in upper case: when
  the quoted text holds ``\\u00`` (a control character other than ``\\b \\f \\n \\r \\t``, or
  a backslash followed by ``u00``), those digits are put in lower case by a few ``REPLACE`` of
  fixed strings on it (see ``_lower_hex``), exactly as orjson escapes.
- ``DATE``: its text; ``DATETIME``/``TIMESTAMP`` (and ``string`` or ``date`` fields over
  them): ``isoformat()`` of the naive datetime asyncmy reads, ``T`` between date and time,
  microseconds (six digits) only when not zero. A ``TIMESTAMP`` is read in the session's time
  zone, by both paths.

Not rendered (the read takes the row path): ``float`` fields and ``decimal`` over ``FLOAT``/
``DOUBLE`` (Python's shortest round-trip text), ``json`` fields and ``string`` fields over
``JSON`` columns, ``decimal`` with more than six places, other column types.

A page's rows come back one per row, which the reader joins (``per_row``); related rows are
joined by ``GROUP_CONCAT(... ORDER BY ...)``, an ordered aggregate: its result is cut at
``group_concat_max_len`` (with only a warning), so every connection that runs these
statements must set that to its maximum (the engine's connections and the read pool's do:
``app.mariadb``). No LATERAL: a relationship is read by a correlated scalar subquery of each
parent row (its rows' JSON; REST's bound on the rows of a response is counted by the reader
in the text: ``counts_in_text``), which MariaDB runs by the related key's index and caches
per key within the statement: measured on the bench data (100 products with their stocks),
1.6 times cheaper for the server than the page's related rows numbered (``row_number()``),
grouped and joined. A window of the relationship's own (``limit``/``offset``, as every
GraphQL nested list has; a belongsTo's first row) is kept by the aggregate itself,
``GROUP_CONCAT(... ORDER BY ... LIMIT n OFFSET m)`` (MariaDB 10.3+, its limit and offset
bound parameters of the prepared statement): MySQL 8 has no ``LIMIT`` there, so on a MySQL
server (``MYSQL``; SQLAlchemy's dialect says which server it reached) a window's related
rows are still numbered for the page, grouped and joined. Text is joined by ``CONCAT()``:
``||`` is ``OR`` there.

Reads on the read pool are prepared once per connection (``app.mariadb``); through the
engine, MariaDB parses the statement's text on every read: the statement is kept short
where the choice is free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

from schema_builder.catalog import Field
from schema_builder.operations.reads.sql.dialect import JsonDialect
from schema_builder.operations.reads.sql.json_list import JsonList
from schema_builder.operations.reads.sql.postgresql import Render, Text
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


def _backslashed(text: str) -> Text:
    """A fixed string holding backslashes, as a MariaDB string literal (each one doubled:
    dexgate's sessions never set ``NO_BACKSLASH_ESCAPES``; no quote or percent sign inside)."""
    return sa.literal_column("'" + text.replace("\\", "\\\\") + "'", sa.Text)


def _as_text(column: sa.ColumnElement[Any]) -> Text:
    return sa.cast(column, sa.CHAR)


def _integer(column: sa.ColumnElement[Any]) -> Text:
    return _or_null(_as_text(column))


def _quoted(value: Text) -> Text:
    return _or_null(_concat([_literal('"'), value, _literal('"')]))


def _quoted_text(column: sa.ColumnElement[Any]) -> Text:
    return _quoted(_as_text(column))


# The control characters JSON_QUOTE escapes as ``\u00XX`` with an upper-case hexadecimal
# digit, where orjson writes it in lower case (the others are written alike, short or not).
_UPPER_HEX = tuple(
    code for code in range(0x20) if code not in _SHORT and f"{code:x}" != f"{code:X}"
)


def _lower_hex(quoted: Text) -> Text:
    """``JSON_QUOTE``'s text with the ``\\u00XX`` escapes of ``_UPPER_HEX`` in lower case.

    In that text every backslash starts an escape, and ``\\\\`` (the value's own backslash) is
    the only escape whose second character is a backslash: taken out first (as CHAR(1), which
    the quoted text cannot hold: every control character is escaped), the remaining ``\\u00XX``
    are escapes, never the value's own text; then it is put back. Eleven ``REPLACE`` of fixed
    strings: the statement MariaDB parses for every read stays short.
    """
    pair = _backslashed("\\\\")
    text: sa.ColumnElement[Any] = sa.func.replace(quoted, pair, _character(1))
    for code in _UPPER_HEX:
        text = sa.func.replace(text, _backslashed(f"\\u{code:04X}"), _backslashed(f"\\u{code:04x}"))
    return sa.func.replace(text, _character(1), pair)


def _string(column: sa.ColumnElement[Any]) -> Text:
    quoted = sa.func.json_quote(column, type_=sa.Text)
    return sa.case(
        (column.is_(None), _literal("null")),
        (sa.func.instr(quoted, _backslashed("\\u00")) == _number(0), quoted),
        else_=_lower_hex(quoted),
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
    """MySQL 8 (and MariaDB 10.6+): ``CONCAT`` for text, ``GROUP_CONCAT`` with ``ORDER BY``
    for related rows, the page's rows one per row (``per_row``), ``JSON_TABLE`` for a list
    parameter, no LATERAL."""

    name = "mysql"
    lateral = False
    per_row = True
    scalar_related = True
    # Counted by the statement, a relationship's rows are a third correlated subquery per
    # page row (beside its JSON's), which the text gives for nothing: measured on the bench
    # data (100 products, their category and stocks), the statement without it runs 1.2 to
    # 1.25 times as often.
    counts_in_text = True

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
        """One row per page row, in the page's order, for the reader to join (``per_row``).
        Joining them here (``GROUP_CONCAT`` with ``ORDER BY``) sorts the page's texts once
        more in a temporary table: a page of 100 rows costs MariaDB half as much again. With
        the total, the rows are joined to a single row, so that an empty page still answers
        one (of NULLs but the total), and numbered in the page's order."""
        # A row's object cut by MariaDB (its related rows past max_allowed_packet) is NULL:
        # written '' here, which the reader refuses, as it is told from the NULLs of an empty
        # page with the total.
        rows: list[sa.ColumnElement[Any]] = [
            sa.func.coalesce(json, _literal(""), type_=sa.Text).label(f"j{position}")
            for position, json in enumerate(jsons)
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


class _WindowConcat(sa.ColumnElement[str]):
    """``GROUP_CONCAT(json ORDER BY order LIMIT limit [OFFSET offset])``: MariaDB's ordered
    aggregate keeping a window of its rows (10.3+; MySQL 8 has no ``LIMIT`` there)."""

    __visit_name__ = "window_concat"
    inherit_cache = True
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 - SQLAlchemy's own
        ("json", InternalTraversal.dp_clauseelement),
        ("order", InternalTraversal.dp_clauseelement_tuple),
        ("offset", InternalTraversal.dp_clauseelement),
        ("limit", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self,
        json: Text,
        order: Sequence[sa.ColumnElement[Any]],
        offset: sa.ColumnElement[Any] | None,
        limit: sa.ColumnElement[Any],
    ) -> None:
        self.json = json
        self.order = tuple(order)
        self.offset = offset
        self.limit = limit
        self.type = sa.Text()


@compiles(_WindowConcat)
def _window_concat(element: _WindowConcat, compiler: SQLCompiler, **kw: Any) -> str:
    # Each part in the order of the text: positional parameters are numbered as compiled.
    json = compiler.process(element.json, **kw)
    order = ", ".join(compiler.process(term, **kw) for term in element.order)
    window = f"LIMIT {compiler.process(element.limit, **kw)}"
    if element.offset is not None:
        window += f" OFFSET {compiler.process(element.offset, **kw)}"
    return f"group_concat({json} ORDER BY {order} {window})"


class MariaDbServerJson(MariaDbJson):
    """MariaDB's own (the server says it is MariaDB): as MySQL's, and a relationship with a
    window of its own is read by the scalar subquery of each parent row as well
    (``scalar_window``), the window kept by ``GROUP_CONCAT``'s ``LIMIT``/``OFFSET``."""

    scalar_window = True

    def joined_window(
        self,
        json: Text,
        order: Sequence[sa.ColumnElement[Any]],
        offset: sa.ColumnElement[Any] | None,
        limit: sa.ColumnElement[Any],
    ) -> Text:
        # GROUP_CONCAT answers '' rather than NULL when it has rows but the window none (an
        # offset past them): no row's JSON is empty, so '' is made NULL, as for no rows.
        return sa.func.nullif(
            _WindowConcat(json, order, offset, limit), _literal(""), type_=sa.Text
        )


def _mariadb_dialect() -> sa.Dialect:
    from sqlalchemy.dialects.mysql import asyncmy

    dialect: sa.Dialect = asyncmy.dialect(is_mariadb=True)
    return dialect


_MARIADB = _mariadb_dialect()
MYSQL = MariaDbJson()
MARIADB = MariaDbServerJson()
