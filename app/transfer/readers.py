"""Import formats: a file read record by record into items for the write operation.

Every reader is a generator over a text stream: it holds one record (and, for a JSON array, at
most a 64 KiB read-ahead) at a time, so a file of any size is read in flat memory. Each
:class:`Record` says where it starts in the file (``line``, the CSV header being line 1) and its
position among the records (``number``, from 1).

- **csv**: the header names fields of the entity (an unknown or repeated column, or a missing
  header, is a :class:`~app.transfer.formats.FileFormatError`); cells are typed by
  :mod:`app.transfer.csv_types`; an empty unquoted cell is null and a quoted one (``""``) the empty
  string; blank lines are skipped; malformed quoting stops the import.
- **json**: one array of objects, read element by element; broken JSON syntax stops the import.
- **ndjson**: one object per line; blank lines are skipped; a line that is not JSON is an
  invalid record, and the lines after it are still read.

JSON numbers are read as exact decimals, as the API reads request bodies. A record that is not
an object, has the wrong number of cells or a json cell that is not JSON becomes a record with
an ``error`` (1301, or 1305 for the cell) and no item.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

from app.transfer.csv_types import Cell, CellError, item_of
from app.transfer.formats import FileFormatError, Format
from schema_builder.catalog import Entity
from schema_builder.errors import (
    DexgateError,
    EntityError,
    InvalidDataFormatError,
    InvalidFieldTypeError,
)

_CHUNK = 1 << 16
MAX_ELEMENT = 1 << 26  # 64 MiB: one JSON element (or CSV cell) larger than this stops the import
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# One CSV field as written (quoted or not) and what follows it, to tell "" from an empty cell.
_CSV_FIELD = re.compile(r'("(?:[^"]|"")*"|[^,\r\n]*)(,?)')


@dataclass(slots=True)
class Record:
    line: int
    number: int
    item: dict[str, Any] | None
    error: DexgateError | None = None


class RecordFormatError(InvalidDataFormatError):
    """A record that cannot become an item: 1301, the API's code for a body of the wrong shape,
    with a message that says what is wrong with the record."""

    def __init__(self, message: str) -> None:
        EntityError.__init__(self, message)


def path_of(alias: str, number: int) -> str:
    """The error path of the ``number``-th record (from 1), as the API names an item."""
    return f"{alias}[{number - 1}]"


def read_records(format_: Format, stream: TextIO, entity: Entity) -> Iterator[Record]:
    """The records of ``stream``; a CSV header is read and checked at once."""
    if format_ == "csv":
        return csv_records(stream, entity)
    if format_ == "json":
        return json_records(stream, entity.alias)
    return ndjson_records(stream, entity.alias)


# --- CSV --------------------------------------------------------------------------------------


class _CsvCells:
    """(start line, cells) of each CSV record, empty unquoted cells as None."""

    def __init__(self, stream: TextIO) -> None:
        self._raw: list[str] = []
        csv.field_size_limit(max(csv.field_size_limit(), MAX_ELEMENT))
        self._reader = csv.reader(self._lines(stream), strict=True)

    def _lines(self, stream: TextIO) -> Iterator[str]:
        raw = self._raw
        for line in stream:
            raw.append(line)
            yield line

    def __iter__(self) -> Iterator[tuple[int, list[Cell]]]:
        reader = self._reader
        raw = self._raw
        line = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileFormatError(f"line {line + 1}: malformed CSV: {exc}") from None
            start, line = line + 1, reader.line_num
            quoted_empty = any('""' in text for text in raw)
            text = "".join(raw) if quoted_empty else ""
            raw.clear()
            if not cells:
                continue
            if quoted_empty:
                yield start, _with_nulls(cells, text)
            else:
                yield start, [cell or None for cell in cells]


def _with_nulls(cells: list[str], text: str) -> list[Cell]:
    """Empty cells as None unless written as ``""``."""
    out: list[Cell] = []
    position = 0
    for cell in cells:
        found = _CSV_FIELD.match(text, position)
        assert found is not None  # the pattern matches the empty string
        out.append(cell if cell or found.group(1) == '""' else None)
        position = found.end()
    return out


def csv_records(stream: TextIO, entity: Entity) -> Iterator[Record]:
    """Records of a CSV file whose header names fields of ``entity``."""
    records = iter(_CsvCells(stream))
    first = next(records, None)
    if first is None:
        raise FileFormatError("the file is empty: a CSV import starts with a header line")
    header = [cell or "" for cell in first[1]]
    unknown = [name for name in header if name not in entity.by_name]
    if unknown:
        raise FileFormatError(
            f"line {first[0]}: the header names no field of `{entity.alias}`: "
            f"{', '.join(repr(n) for n in unknown)}. Fields: {', '.join(entity.names)}."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileFormatError(f"line {first[0]}: the header repeats {', '.join(repeated)}")
    return _csv_items(records, header, item_of(entity, header), entity.alias)


def _csv_items(
    records: Iterator[tuple[int, list[Cell]]],
    header: list[str],
    item: Callable[[list[Cell]], dict[str, Any]],
    alias: str,
) -> Iterator[Record]:
    width = len(header)
    for number, (line, cells) in enumerate(records, start=1):
        if len(cells) != width:
            yield Record(
                line,
                number,
                None,
                RecordFormatError(
                    f"Record `{path_of(alias, number)}` has {len(cells)} cells; "
                    f"the header has {width}."
                ),
            )
            continue
        try:
            yield Record(line, number, item(cells))
        except CellError as exc:
            yield Record(
                line, number, None, InvalidFieldTypeError(path_of(alias, number), exc.field)
            )


# --- JSON and NDJSON --------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)


def _record(line: int, number: int, value: Any, alias: str) -> Record:
    if isinstance(value, dict):
        return Record(line, number, value)
    return Record(
        line,
        number,
        None,
        RecordFormatError(f"Record `{path_of(alias, number)}` is not a JSON object."),
    )


def ndjson_records(stream: TextIO, alias: str) -> Iterator[Record]:
    decoder = _decoder()
    number = 0
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        number += 1
        try:
            value = decoder.decode(text)
        except (ValueError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            yield Record(
                line,
                number,
                None,
                RecordFormatError(f"Record `{path_of(alias, number)}` is not JSON: {reason}."),
            )
            continue
        yield _record(line, number, value, alias)


def json_records(stream: TextIO, alias: str, *, chunk: int = _CHUNK) -> Iterator[Record]:
    """Records of a JSON array, read ``chunk`` characters at a time."""
    for number, (line, value) in enumerate(_JsonArray(stream, chunk), start=1):
        yield _record(line, number, value, alias)


class _JsonArray:
    """(start line, value) of each element of the JSON array a stream holds, read in chunks."""

    def __init__(self, stream: TextIO, chunk: int) -> None:
        self._stream = stream
        self._chunk = chunk
        self._decoder = _decoder()
        self._buffer = ""
        self._position = 0
        self._line = 1
        self._eof = False

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        if self._next_char() != "[":
            raise FileFormatError(
                f"line {self._line}: a JSON import file holds one array of objects: [{{...}}, ...]"
            )
        self._advance(self._position + 1)
        if self._next_char() == "]":
            self._advance(self._position + 1)
        else:
            while True:
                if self._next_char() == "]":
                    raise FileFormatError(f"line {self._line}: a comma before ]")
                line = self._line
                yield line, self._value()
                found = self._next_char()
                self._advance(self._position + 1)
                if found == "]":
                    break
                if found != ",":
                    raise FileFormatError(
                        f"line {self._line}: expected , or ] after an element of the array"
                    )
        if self._next_char() is not None:
            raise FileFormatError(f"line {self._line}: text after the end of the array")

    def _more(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(self._chunk)
        if not chunk:
            self._eof = True
            return False
        self._buffer = self._buffer[self._position :] + chunk
        self._position = 0
        return True

    def _advance(self, end: int) -> None:
        self._line += self._buffer.count("\n", self._position, end)
        self._position = end

    def _next_char(self) -> str | None:
        """The next character that is not whitespace, or None at the end of the stream."""
        while True:
            found = _WHITESPACE.match(self._buffer, self._position)
            assert found is not None  # the pattern matches the empty string
            self._advance(found.end())
            if self._position < len(self._buffer):
                return self._buffer[self._position]
            if not self._more():
                return None

    def _value(self) -> Any:
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._position)
            except json.JSONDecodeError as exc:
                if self._truncated(exc) and self._more():
                    continue
                line = self._line + self._buffer.count("\n", self._position, exc.pos)
                raise FileFormatError(f"line {line}: invalid JSON: {exc.msg}") from None
            except (ValueError, RecursionError) as exc:
                raise FileFormatError(f"line {self._line}: invalid JSON: {exc}") from None
            if end == len(self._buffer) and self._more():
                continue  # a number at the end of the buffer may go on in the next chunk
            self._advance(end)
            return value

    def _truncated(self, exc: json.JSONDecodeError) -> bool:
        """Whether the element may only be cut short by the end of the buffer."""
        if len(self._buffer) - self._position > MAX_ELEMENT:
            return False
        return exc.pos >= len(self._buffer) - 8 or exc.msg.startswith("Unterminated string")
