"""A list parameter bound as JSON text (for databases without arrays: SQLite's ``json_each``)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa


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
            return json.dumps(items)

        return process
