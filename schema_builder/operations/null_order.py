"""Where NULLs sort: after every value ascending, before them descending (PostgreSQL's own
order), on every database.

PostgreSQL and SQLite take ``NULLS LAST``/``NULLS FIRST``; MariaDB and MySQL do not (they sort
NULLs first ascending), so there the term is written as two: ``x IS NULL ASC, x ASC``. A
PostgreSQL index on ``x`` still serves the native form, which is why the emulation is used only
where it is needed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler


class NullsOrdered(sa.sql.expression.ColumnElement[Any]):
    """``column`` in ``descending`` or ascending order, NULLs last ascending and first
    descending."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own attribute
        ("column", sa.sql.visitors.InternalTraversal.dp_clauseelement),
        ("descending", sa.sql.visitors.InternalTraversal.dp_boolean),
    ]

    def __init__(self, column: sa.ColumnElement[Any], descending: bool) -> None:
        self.column = column
        self.descending = descending


@compiles(NullsOrdered)
def _native(element: NullsOrdered, compiler: SQLCompiler, **kw: Any) -> str:
    column = element.column
    term = column.desc().nulls_first() if element.descending else column.asc().nulls_last()
    return compiler.process(term, **kw)


@compiles(NullsOrdered, "mysql")
@compiles(NullsOrdered, "mariadb")
def _emulated(element: NullsOrdered, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    direction = "DESC" if element.descending else "ASC"
    return f"{column} IS NULL {direction}, {column} {direction}"
