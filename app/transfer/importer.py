"""The import pipeline: records read from a file, written in batches through the bulk write
operation, failures written to a CSV error report as they are found.

Error paths in the report name the record's position in the file (``products[41]`` is the 42nd
record), whatever the batch size; ``line`` is where the record starts (a CSV header is line 1).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.transfer.formats import FileFormatError
from app.transfer.progress import Progress
from app.transfer.readers import Record
from auth.audit import command_line_actor
from auth.permissions import Permissions
from schema_builder.catalog import Catalog
from schema_builder.errors import DexgateError
from schema_builder.operations.bulk import BulkWriter, bulk_writer
from schema_builder.operations.ir import WriteMode

REPORT_COLUMNS = ("line", "record", "field", "code", "message")
# `products[3].price`, `products[3]` or `products[3].id_product: 7` (1308): what follows the item
_PATH = re.compile(r"`[^`\[\]]+\[\d+\]((?:\.[^`]*)?)`")
# "for field `price`", "for field: `price`", "Field `sku` must not be null"
_FIELD = re.compile(r"[Ff]ield:? `([^`\[]+)`")


def error_field(message: str) -> str:
    """The field an error message names, below the item (``price``, ``stocks[0].quantity``),
    or "" when the error concerns the whole record."""
    found = _PATH.search(message)
    nested = found.group(1)[1:].split(": ", 1)[0] if found else ""
    named = _FIELD.search(message)
    if named is None:
        return nested
    return f"{nested}.{named.group(1)}" if nested else named.group(1)


class ErrorReport:
    """The CSV error report (:data:`REPORT_COLUMNS`), written row by row; the file is created
    at the first error, so a run without errors leaves none."""

    def __init__(self, path: Path, alias: str) -> None:
        self.path = path
        self._alias = alias
        self._file: IO[str] | None = None
        self._writer: Any = None
        self.records = 0

    def add(self, record: Record, errors: Sequence[DexgateError], index: int | None) -> None:
        """Report a failed record. ``index`` is its index in the batch the write operation saw,
        which its error paths name: they are rewritten to name its position in the file."""
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._file, lineterminator="\n")
            self._writer.writerow(REPORT_COLUMNS)
        self.records += 1
        for error in errors:
            message = error.message
            if index is not None:
                message = message.replace(
                    f"`{self._alias}[{index}]", f"`{self._alias}[{record.number - 1}]"
                )
            self._writer.writerow(
                [record.line, record.number, error_field(message), error.code, message]
            )

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@dataclass(slots=True)
class ImportResult:
    """``records`` read, ``imported`` (kept in the database), ``failed`` records, and the
    format error that stopped reading, if one did."""

    records: int = 0
    imported: int = 0
    failed: int = 0
    stopped: FileFormatError | None = None


class _Batches:
    """Records gathered into batches; each batch's failures are reported in file order."""

    def __init__(self, writer: BulkWriter, report: ErrorReport, result: ImportResult) -> None:
        self.writer = writer
        self.report = report
        self.result = result
        self.pending: list[Record] = []

    async def flush(self) -> None:
        batch, self.pending = self.pending, []
        valid = [record for record in batch if record.item is not None]
        failed: dict[int, tuple[Record, list[DexgateError], int | None]] = {}
        for record in batch:
            if record.error is not None:
                failed[record.number] = (record, [record.error], None)
                self.writer.refuse()
        if valid:
            outcome = await self.writer.write([record.item for record in valid])
            for index, errors in outcome.errors.items():
                failed[valid[index].number] = (valid[index], errors, index)
        for number in sorted(failed):
            self.report.add(*failed[number])
        self.result.failed += len(failed)


async def import_records(
    engine: AsyncEngine,
    catalog: Catalog,
    alias: str,
    records: Iterable[Record],
    *,
    mode: WriteMode,
    transactional: bool,
    batch_size: int,
    report: ErrorReport,
    progress: Progress,
) -> ImportResult:
    """Write every record, ``batch_size`` items per batch, with full access (the command line
    holds the database's credentials).

    Transactional: one transaction for the whole file, committed only when every record was
    saved. Partial: each batch commits; the records saved whole are kept. A format error stops
    reading: in partial mode the records read before it are still written."""
    result = ImportResult()
    async with bulk_writer(
        engine,
        catalog,
        alias,
        mode,
        Permissions(admin=True, actor=command_line_actor()),
        transactional=transactional,
    ) as writer:
        batches = _Batches(writer, report, result)
        try:
            for record in records:
                result.records = record.number
                batches.pending.append(record)
                if len(batches.pending) >= batch_size:
                    await batches.flush()
                    progress.update(result.records)
        except FileFormatError as exc:
            result.stopped = exc
        except UnicodeDecodeError:
            result.stopped = FileFormatError(f"after record {result.records}: not UTF-8 text")
        if result.stopped is not None:
            writer.refuse()
        if not (transactional and result.stopped):
            await batches.flush()
        progress.update(result.records)
        kept = not transactional or writer.failed == 0
        result.imported = writer.saved if kept else 0
    return result
