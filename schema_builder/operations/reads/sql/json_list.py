"""A list parameter bound as JSON text (for databases without arrays: SQLite's ``json_each``,
MariaDB's ``JSON_TABLE``)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa


def _text(value: Any) -> str:
    """What the driver would send a value of a type JSON has not (MariaDB's ``Decimal``,
    ``datetime``, ``date``: a parameter of such a column is sent as is) as its text, which
    the database reads as the column's type: ``str()``, ``2024-02-29 13:45:30.123456``."""
    if isinstance(value, (Decimal, dt.date, dt.time)):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be sent in a list parameter")


class JsonList(sa.types.TypeDecorator[list[Any]]):
    """A list of values of ``item`` bound as a JSON array, each value first converted as a
    parameter of ``item`` is (a Decimal to a float, a datetime to SQLite's text)."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, item: sa.types.TypeEngine[Any]) -> None:
        super().__init__()
        self.item = item

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        convert = self.item.dialect_impl(dialect).bind_processor(dialect)

        def process(values: Any) -> str | None:
            if values is None:
                return None
            items = [v if convert is None or v is None else convert(v) for v in values]
            return json.dumps(items, default=_text)

        return process
