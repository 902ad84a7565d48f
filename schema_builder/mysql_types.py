"""How MariaDB and MySQL columns are read when their tables are reflected.

SQLAlchemy reflects these columns as their storage types; dexgate reads them as what they
hold:

- ``TINYINT(1)`` (what ``BOOLEAN`` is on both) as a boolean: 0 is false, any other value true;
- on MariaDB, ``JSON`` is an alias of ``LONGTEXT`` with a ``CHECK (json_valid(col))``
  constraint, and is reflected as ``LONGTEXT``: a column with that check is read as JSON
  (MySQL's own JSON type is reflected as JSON already);
- ``FLOAT``/``DOUBLE`` as floats, not as Python decimals (SQLAlchemy's MySQL default).

``ENUM`` columns stay strings; :func:`schema_builder.reflection.prefill` turns their values
into enum validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

import sqlalchemy as sa

DIALECTS = ("mysql", "mariadb")

_JSON_CHECK = re.compile(r"^json_valid\(`((?:[^`]|``)+)`\)$", re.IGNORECASE)


def is_mysql(dialect: sa.Dialect) -> bool:
    """Whether ``dialect`` is MariaDB's or MySQL's."""
    return dialect.name in DIALECTS


def json_columns(connection: sa.Connection, tables: Collection[str]) -> set[tuple[str, str]]:
    """(table, column) of the MariaDB JSON columns of ``tables`` in the current database."""
    if not tables or not getattr(connection.dialect, "is_mariadb", False):
        return set()
    checks = sa.table(
        "CHECK_CONSTRAINTS",
        sa.column("CONSTRAINT_SCHEMA"),
        sa.column("TABLE_NAME"),
        sa.column("CHECK_CLAUSE"),
        schema="information_schema",
    )
    rows = connection.execute(
        sa.select(checks.c.TABLE_NAME, checks.c.CHECK_CLAUSE).where(
            sa.func.database() == checks.c.CONSTRAINT_SCHEMA,
            checks.c.TABLE_NAME.in_(sorted(tables)),
        )
    )
    found: set[tuple[str, str]] = set()
    for table, clause in rows:
        match = _JSON_CHECK.match(str(clause).strip())
        if match:
            found.add((str(table), match.group(1).replace("``", "`")))
    return found


def column_reader(
    json: set[tuple[str, str]],
) -> Callable[[sa.engine.Inspector, sa.Table, Any], None]:
    """A ``column_reflect`` listener giving reflected columns the types described above;
    ``json`` holds the (table, column) pairs to read as JSON."""

    def read(_inspector: sa.engine.Inspector, table: sa.Table, info: Any) -> None:
        column_type = info["type"]
        if (table.name, info["name"]) in json:
            info["type"] = sa.JSON()
        elif isinstance(column_type, sa.Integer) and (
            type(column_type).__name__ == "TINYINT"
            and getattr(column_type, "display_width", None) == 1
        ):
            info["type"] = sa.Boolean()
        elif isinstance(column_type, sa.Float):
            column_type.asdecimal = False

    return read
