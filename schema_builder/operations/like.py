"""``like`` as it means on every database: case-sensitive, character by character.

PostgreSQL's LIKE is case-sensitive; SQLite's is made so on dexgate's connections
(``case_sensitive_like``); MariaDB and MySQL compare by the column's collation, usually
case-insensitive (``utf8mb4_general_ci``): there the pattern is compared as ``BINARY``, byte by
byte, which is case- and accent-sensitive as PostgreSQL's LIKE is. (``eq``, ``in`` and sorting
keep the column's collation on MariaDB, which its indexes and unique keys follow too:
docs/compatibility.md.)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

LIKE_ESCAPE = "\\"


class _Pattern(sa.sql.expression.ColumnElement[Any]):
    """A LIKE pattern, compared byte by byte where the database would compare by collation."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's own attribute
        ("pattern", sa.sql.visitors.InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, pattern: sa.ColumnElement[Any]) -> None:
        self.pattern = pattern
        self.type = pattern.type


@compiles(_Pattern)
def _plain(element: _Pattern, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.pattern, **kw)


@compiles(_Pattern, "mysql")
@compiles(_Pattern, "mariadb")
def _binary(element: _Pattern, compiler: SQLCompiler, **kw: Any) -> str:
    return f"BINARY {compiler.process(element.pattern, **kw)}"


def like(column: sa.ColumnElement[Any], pattern: Any) -> sa.ColumnElement[bool]:
    """``column LIKE pattern`` (``\\`` escapes), case-sensitive on every database."""
    if not isinstance(pattern, sa.ColumnElement):
        pattern = sa.bindparam(None, pattern, type_=column.type)
    return column.like(_Pattern(pattern), escape=LIKE_ESCAPE)
