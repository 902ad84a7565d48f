"""Export formats: pages of rows (as the API shows them) turned into text, page by page.

- **csv**: a header of the visible field names, then one record per row (typed by
  :mod:`app.transfer.csv_types`). An empty unquoted cell is null; an empty string is written ``""``.
  Cells holding a comma, a quote or a line break are quoted (RFC 4180); records end in ``\\n``.
  CSV holds one table: included relationships are refused (:class:`IncludeNotSupportedError`).
- **json**: one JSON array, one row per line, written as the pages come.
- **ndjson**: one JSON object per line.

Decimals are strings (``"20.00"``) in every format, as in the API.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from app.transfer.csv_types import Cell, cells_of
from app.transfer.formats import Format
from schema_builder.catalog import Entity

Row = dict[str, Any]
_SPECIAL = frozenset(',"\r\n')


class IncludeNotSupportedError(Exception):
    """Included relationships asked for in a format that cannot nest them."""


class FormatWriter(Protocol):
    def start(self) -> str: ...

    def page(self, rows: list[Row]) -> str: ...

    def finish(self) -> str: ...


def csv_cell(cell: Cell) -> str:
    """A cell as CSV text: null empty, the empty string and special text quoted."""
    if cell is None:
        return ""
    if cell and _SPECIAL.isdisjoint(cell):
        return cell
    return '"' + cell.replace('"', '""') + '"'


def csv_record(cells: list[Cell]) -> str:
    return ",".join([csv_cell(c) for c in cells]) + "\n"


class CsvWriter:
    def __init__(self, entity: Entity) -> None:
        self._header = list(entity.names)
        self._cells = cells_of(entity)

    def start(self) -> str:
        return csv_record(list(self._header))

    def page(self, rows: list[Row]) -> str:
        cells = self._cells
        return "".join([csv_record(cells(row)) for row in rows])

    def finish(self) -> str:
        return ""


def _json(row: Row) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


class JsonWriter:
    def __init__(self) -> None:
        self._first = True

    def start(self) -> str:
        return "["

    def page(self, rows: list[Row]) -> str:
        if not rows:
            return ""
        text = ",\n".join([_json(row) for row in rows])
        prefix = "\n" if self._first else ",\n"
        self._first = False
        return prefix + text

    def finish(self) -> str:
        return "]\n" if self._first else "\n]\n"


class NdjsonWriter:
    def start(self) -> str:
        return ""

    def page(self, rows: list[Row]) -> str:
        return "".join([_json(row) + "\n" for row in rows])

    def finish(self) -> str:
        return ""


def writer_for(format_: Format, entity: Entity, *, nested: bool) -> FormatWriter:
    """The writer of ``format_``; ``nested`` says whether rows carry included relationships."""
    if format_ == "csv":
        if nested:
            raise IncludeNotSupportedError(
                "CSV holds one table and cannot nest included relationships: "
                "export with --format json or ndjson, or export each entity on its own."
            )
        return CsvWriter(entity)
    if format_ == "json":
        return JsonWriter()
    return NdjsonWriter()
