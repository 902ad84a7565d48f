"""CSV cells typed by the entity's fields: what an export writes, and how an import reads it back.

A CSV cell is text or null: ``None`` stands for an empty unquoted cell (SQL NULL), ``""`` for a
quoted empty cell (an empty string); :mod:`app.transfer.readers` and
:mod:`app.transfer.writers` keep the two apart in the file, as PostgreSQL's ``COPY ... CSV`` does.

Writing (a row as the API shows it → cells): decimals keep their exact text (``"20.00"``),
booleans are ``true``/``false``, floats are written in plain notation (``0.00001``: the API's
number syntax has no exponent), dates and date-times ISO 8601, json fields compact JSON text.

Reading (cells → an item for the write operation, which validates it as it validates an API
body): integers become ``int`` when the cell is one, booleans are read from ``true``/``false``/
``1``/``0``/``yes``/``no`` in any case, json cells are parsed with exact decimals; decimal, float,
date, date-time and string cells stay text, as the API takes them. A cell that does not fit its
type is passed on as text, so the write operation refuses it exactly as the API would (1305);
only a json cell that is not JSON is refused here (:class:`CellError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from schema_builder.catalog import Entity, Field

Cell = str | None
_INTEGER = re.compile(r"-?[0-9]+")
_MAX_INTEGER_TEXT = 100
_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
}


class CellError(ValueError):
    """A cell that cannot be read as its field's type; ``field`` is the field's name."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


# --- writing ----------------------------------------------------------------------------------


def _bool_text(value: Any) -> str:
    return "true" if value else "false"


def _float_text(value: Any) -> str:
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float; written out in full.
        return format(Decimal(repr(value)), "f")
    return str(value)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def text_of(field: Field) -> Callable[[Any], str]:
    """How a non-null value of ``field``, as the API shows it, is written to a cell."""
    if field.type == "boolean":
        return _bool_text
    if field.type == "float":
        return _float_text
    if field.type == "json":
        return _json_text
    return str


def cells_of(entity: Entity) -> Callable[[dict[str, Any]], list[Cell]]:
    """A function from a shaped row to its cells, in the order of ``entity.names``."""
    columns = [(f.name, text_of(f)) for f in entity.fields]

    def cells(row: dict[str, Any]) -> list[Cell]:
        out: list[Cell] = []
        for name, convert in columns:
            value = row[name]
            out.append(None if value is None else convert(value))
        return out

    return cells


# --- reading ----------------------------------------------------------------------------------


def _integer(text: str) -> Any:
    # No column holds more than 20 digits; beyond a few thousand int() refuses to convert.
    if len(text) <= _MAX_INTEGER_TEXT and _INTEGER.fullmatch(text):
        return int(text)
    return text


def _boolean(text: str) -> Any:
    return _BOOLEANS.get(text.lower(), text)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def value_of(field: Field) -> Callable[[str], Any] | None:
    """How a non-null cell of ``field`` is read; ``None`` when the text is taken as it is."""
    if field.type == "integer":
        return _integer
    if field.type == "boolean":
        return _boolean
    if field.type == "json":
        name = field.name

        def parse(text: str) -> Any:
            try:
                return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
            except (ValueError, RecursionError):
                raise CellError(name) from None

        return parse
    return None


def item_of(entity: Entity, header: Sequence[str]) -> Callable[[Sequence[Cell]], dict[str, Any]]:
    """A function from a record's cells (in the order of ``header``, which must name fields of
    ``entity``, and as many) to the item to write; raises :class:`CellError`."""
    names = tuple(header)
    typed = [(name, read) for name in names if (read := value_of(entity.by_name[name])) is not None]

    def item(cells: Sequence[Cell]) -> dict[str, Any]:
        out = dict(zip(names, cells, strict=True))
        for name, read in typed:
            cell = out[name]
            if cell is not None:
                out[name] = read(cell)
        return out

    return item
