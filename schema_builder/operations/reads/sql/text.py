"""SQL pieces of JSON text written the same way on SQLite and MariaDB (see their modules)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from schema_builder.operations.reads.sql.postgresql import Text


def literal(text: str) -> Text:
    """A fixed string of the dialect modules (no quote, backslash or percent sign inside)."""
    return sa.literal_column(f"'{text}'", sa.Text)


def number(value: int) -> sa.ColumnElement[Any]:
    return sa.literal_column(str(value))


def or_null(value: Text) -> Text:
    return sa.func.coalesce(value, literal("null"), type_=sa.Text)


def integer_boolean(column: sa.ColumnElement[Any]) -> Text:
    """A boolean stored as an integer (0/1): ``true`` when not zero, as Python's ``bool()``."""
    return sa.case(
        (column.is_(None), literal("null")),
        (column != number(0), literal("true")),
        else_=literal("false"),
    )
