"""``dexgate export`` and ``dexgate import``: an entity's rows to and from CSV, JSON and NDJSON.

Both go through the operations the API uses (the stream of :mod:`schema_builder.operations.stream`
and the bulk write of :mod:`schema_builder.operations.bulk`) with full access: the command line
holds the database's credentials. Data goes to stdout (export); messages, progress and the
summary go to stderr. Exit status: 0 done, 1 records failed (or the database refused), 2 a usage
error — an unknown alias, an unreadable file, a bad format or header. See docs/import-export.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import stat
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO

from sqlalchemy.ext.asyncio import AsyncEngine

from app.cli.auth import run_with_engine
from app.cli.errors import Commands, UsageError, positive_int
from app.cli.output import echo
from app.rest.query import parse_conditions, parse_include
from app.settings import Settings
from app.transfer.formats import FORMATS, FileFormatError, Format, format_for
from app.transfer.importer import ErrorReport, ImportResult, import_records
from app.transfer.progress import Progress
from app.transfer.readers import read_records
from app.transfer.writers import IncludeNotSupportedError, writer_for
from auth.permissions import FULL_ACCESS
from schema_builder.catalog import Catalog
from schema_builder.errors import DexgateError
from schema_builder.operations.ir import ReadRequest
from schema_builder.operations.stream import stream_rows
from schema_builder.registry import CatalogRegistry

DEFAULT_BATCH_SIZE = 1000


def _fail(message: str) -> int:
    echo(f"dexgate: {message}", file=sys.stderr)
    return 2


def _run(settings: Settings, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    try:
        return run_with_engine(settings, work)
    except UsageError as exc:
        return _fail(str(exc))
    except DexgateError as exc:
        echo(f"dexgate: {exc.code}: {exc.message}", file=sys.stderr)
        return 1


async def _catalog(engine: AsyncEngine, settings: Settings, alias: str) -> Catalog:
    registry = CatalogRegistry(engine, denied_tables=settings.denied_tables, check_interval=0)
    catalog = await registry.refresh()
    if alias not in catalog.entities:
        known = ", ".join(sorted(catalog.entities)) or "none"
        raise UsageError(f"no active entity `{alias}` (active: {known})")
    return catalog


def _rate(rows: int, seconds: float) -> str:
    return f"{seconds:.1f} s, {rows / seconds:,.0f} rows/s" if seconds > 0 else "0 s"


# --- export -----------------------------------------------------------------------------------


def _filters(specs: list[str]) -> list[tuple[str, str]]:
    """``filter[products.price]={"gte": "100"}`` (or ``price={"gte": "100"}``) as a pair."""
    params = []
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise UsageError(f"--filter takes 'filter[ALIAS.FIELD]=VALUE', got {spec!r}")
        params.append((key if key.startswith("filter[") else f"filter[{key}]", value))
    return params


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[bytes]]:
    """stdout, or a file that appears (whole) only when the export succeeded."""
    if path is None or path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        sink = partial.open("xb")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with sink:
            yield sink
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    try:
        format_ = format_for(args.output, args.format)
        conditions = parse_conditions(_filters(args.filter))
        include = parse_include(args.include)
    except (UsageError, DexgateError) as exc:
        return _fail(exc.message if isinstance(exc, DexgateError) else str(exc))

    async def work(engine: AsyncEngine) -> int:
        catalog = await _catalog(engine, settings, args.alias)
        entity = catalog.entities[args.alias]
        request = ReadRequest(entity.alias, conditions, include=include)
        progress = Progress(sys.stderr, f"dexgate: export {entity.alias}")
        rows = 0
        async with contextlib.AsyncExitStack() as stack:
            try:
                writer = writer_for(format_, entity, nested=bool(include))
                pages = await stack.enter_async_context(
                    stream_rows(engine, catalog, request, FULL_ACCESS)
                )
            except IncludeNotSupportedError as exc:
                raise UsageError(str(exc)) from None
            except DexgateError as exc:
                raise UsageError(exc.message) from None
            stack.callback(progress.close)
            with _output(args.output) as sink:
                sink.write(writer.start().encode())
                async for page in pages:
                    sink.write(writer.page(page).encode())
                    rows += len(page)
                    progress.update(rows)
                sink.write(writer.finish().encode())
        echo(
            f"dexgate: exported {rows:,} rows of {entity.alias} to {args.output or 'stdout'} "
            f"as {format_} ({_rate(rows, progress.elapsed)})",
            file=sys.stderr,
        )
        return 0

    try:
        return _run(settings, work)
    except BrokenPipeError:
        # The reader went away (`dexgate export ... | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


# --- import -----------------------------------------------------------------------------------


def _open_input(name: str) -> tuple[IO[bytes], int | None]:
    """The file (or stdin for ``-``) and its size when it is a regular file."""
    try:
        binary: IO[bytes] = sys.stdin.buffer if name == "-" else Path(name).open("rb")  # noqa: SIM115 - closed by the caller
        status = os.fstat(binary.fileno())
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    return binary, status.st_size if stat.S_ISREG(status.st_mode) else None


def _report_path(args: argparse.Namespace) -> Path:
    if args.errors:
        return Path(args.errors)
    return Path("stdin.errors.csv" if args.file == "-" else f"{args.file}.errors.csv")


def _summary(
    alias: str, result: ImportResult, report: ErrorReport, seconds: float, transactional: bool
) -> str:
    done = f"imported {result.imported:,} of {result.records:,} records into {alias}"
    if not result.failed and result.stopped is None:
        return f"dexgate: {done} ({_rate(result.imported, seconds)})"
    lines = []
    if result.stopped is not None:
        lines.append(f"dexgate: reading stopped: {result.stopped}")
    if result.failed:
        lines.append(f"dexgate: {result.failed:,} records failed; errors in {report.path}")
    kept = " (transactional: nothing is kept)" if transactional else ""
    lines.append(f"dexgate: {done}{kept}")
    return "\n".join(lines)


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        format_: Format = format_for(args.file, args.format)
        binary, size = _open_input(args.file)
    except UsageError as exc:
        return _fail(str(exc))

    transactional = args.mode == "transactional"

    def fraction() -> float | None:
        return binary.tell() / size if size else None

    async def work(engine: AsyncEngine) -> int:
        catalog = await _catalog(engine, settings, args.alias)
        entity = catalog.entities[args.alias]
        stream = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            records = read_records(format_, stream, entity)
        except (FileFormatError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {args.file}: {exc}") from None
        report = ErrorReport(_report_path(args), entity.alias)
        progress = Progress(sys.stderr, f"dexgate: import {entity.alias}", fraction=fraction)
        try:
            result = await import_records(
                engine,
                catalog,
                entity.alias,
                records,
                mode="upsert" if args.upsert else "create",
                transactional=transactional,
                batch_size=args.batch_size,
                report=report,
                progress=progress,
            )
        finally:
            report.close()
            progress.close()
        if result.stopped is not None and not result.records:  # not a file of records at all
            raise UsageError(f"cannot read {args.file}: {result.stopped}")
        summary = _summary(entity.alias, result, report, progress.elapsed, transactional)
        echo(summary, file=sys.stderr)
        if result.stopped is not None:
            return 2
        return 1 if result.failed else 0

    try:
        return _run(settings, work)
    finally:
        binary.close()


# --- registration -----------------------------------------------------------------------------


def register(commands: Commands) -> None:
    """Add the export and import commands."""
    export = commands.add_parser(
        "export", help="stream an entity's rows as CSV, JSON or NDJSON (to stdout or -o FILE)"
    )
    export.add_argument("alias")
    export.add_argument(
        "--format", choices=FORMATS, help="default: from the -o extension, else csv"
    )
    export.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="'filter[ALIAS.FIELD]=VALUE'",
        help='as in the REST API, e.g. \'filter[products.price]={"gte":"100"}\' (repeatable)',
    )
    export.add_argument(
        "--include", help="relationships to nest, e.g. stocks,category (json and ndjson only)"
    )
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    export.set_defaults(handler=cmd_export)

    import_ = commands.add_parser(
        "import", help="write a CSV, JSON or NDJSON file's records through the API's rules"
    )
    import_.add_argument("alias")
    import_.add_argument("file", help="the file to import, or - for stdin")
    import_.add_argument("--format", choices=FORMATS, help="default: from the extension, else csv")
    import_.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULT_BATCH_SIZE,
        help=f"records per batch (default {DEFAULT_BATCH_SIZE})",
    )
    import_.add_argument(
        "--mode",
        choices=("transactional", "partial"),
        default="transactional",
        help="transactional (default): all or nothing; partial: keep every record saved whole",
    )
    import_.add_argument(
        "--upsert",
        action="store_true",
        help="update the rows whose identifier exists, create the others (default: create)",
    )
    import_.add_argument(
        "--errors", help="the CSV error report (default: FILE.errors.csv, or stdin.errors.csv)"
    )
    import_.set_defaults(handler=cmd_import)
