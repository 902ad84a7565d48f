"""``dexgate export`` and ``dexgate import``: the file formats, the stream and bulk operations
they run on, and the commands end to end (subprocesses, on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from app.transfer.csv_types import CellError, item_of, text_of
from app.transfer.formats import FileFormatError, format_for
from app.transfer.importer import error_field
from app.transfer.progress import Progress
from app.transfer.readers import Record, csv_records, json_records, ndjson_records
from app.transfer.writers import JsonWriter, csv_cell
from auth.permissions import FULL_ACCESS, Permissions
from schema_builder.catalog import Catalog, Entity, build_entity
from schema_builder.definition import parse_entries
from schema_builder.errors import (
    DuplicateEntryError,
    EntityNotFoundError,
    IdentifierNotCreatableError,
    ImmutableFieldError,
    InvalidFieldTypeError,
    InvalidFieldValueError,
    InvalidQueryParameterError,
    NotNullViolationError,
    PermissionDeniedError,
    ReferencedEntityMissingError,
    RequiredFieldMissingError,
    UnknownFieldError,
)
from schema_builder.operations import write
from schema_builder.operations.bulk import bulk_writer
from schema_builder.operations.ir import Condition, Include, ReadRequest, WriteRequest
from schema_builder.operations.reads.plan import ListPlan, rest_shape_of
from schema_builder.operations.reads.reader import Reader
from schema_builder.operations.stream import stream_rows
from schema_builder.registry import CatalogRegistry
from tests.conftest import StatementLog
from tests.entries import plain_entry

DEXGATE = Path(sys.executable).with_name("dexgate")
PRODUCTS_IN_DEMO = len(demo.CATEGORIES) * demo.PRODUCTS_PER_CATEGORY


async def listed_rows(
    engine: AsyncEngine, catalog: Catalog, request: ReadRequest
) -> list[dict[str, Any]]:
    """What the list operation answers for ``request``, decoded."""
    plan = ListPlan(
        request.alias,
        (rest_shape_of(catalog, request.alias, request.include),),
        conditions=request.conditions,
        sort=request.sort,
        offset=request.offset,
        limit=request.limit,
    )
    page = await Reader(engine).list(catalog, plan, FULL_ACCESS)
    rows: list[dict[str, Any]] = json.loads(page.arrays[0])
    return rows


# --- an entity with every field type, and copies to import into --------------------------------

metadata = sa.MetaData()


def _item_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id_item", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("code", sa.String(64)),
        sa.Column("note", sa.Text),
        sa.Column("amount", sa.Numeric(12, 4)),
        sa.Column("ratio", sa.Float),
        sa.Column("flag", sa.Boolean),
        sa.Column("day", sa.Date),
        sa.Column("moment", sa.DateTime),
        sa.Column("payload", sa.JSON),
    )


item = _item_table("item")
item_copy = _item_table("item_copy")
product_copy = sa.Table(
    "product_copy",
    metadata,
    *(sa.Column(c.name, c.type, primary_key=c.primary_key) for c in demo.product.columns),
)
ITEM_FIELDS = {
    "id_item": "integer",
    "code": "string",
    "note": "string",
    "amount": "decimal",
    "ratio": "float",
    "flag": "boolean",
    "day": "date",
    "moment": "datetime",
    "payload": "json",
}
ITEM_ROWS: list[dict[str, Any]] = [
    {
        "id_item": 1,
        "code": "A-1",
        "note": 'He said "hi", then left\nsecond line',
        "amount": Decimal("20.0000"),
        "ratio": 0.1,
        "flag": True,
        "day": date(2024, 2, 29),
        "moment": datetime(2024, 2, 29, 13, 45, 30, 123456),
        "payload": {"a": [1, 2.5, "x"], "b": None, "c": {"d": True}},
    },
    {
        "id_item": 2,
        "code": "",
        "note": "line\r\nbreak, comma",
        "amount": Decimal("-0.0001"),
        "ratio": 1e-05,
        "flag": False,
        "day": None,
        "moment": None,
        "payload": [],
    },
    dict.fromkeys(ITEM_FIELDS, None) | {"id_item": 3},
    {
        "id_item": 10,
        "code": "  padded  ",
        "note": '""',
        "amount": Decimal("12345678.9999"),
        "ratio": -2.5e20,
        "flag": True,
        "day": date(1999, 12, 31),
        "moment": datetime(2000, 1, 1),
        "payload": "just text",
    },
    {
        "id_item": 11,
        "code": "Zürich ✓ 日本",
        "note": ",",
        "amount": Decimal("0.0000"),
        "ratio": 2.0,
        "flag": False,
        "day": date(2024, 1, 1),
        "moment": datetime(2024, 1, 1, 12),
        "payload": {"price": "20.00", "n": 12345678901234},
    },
]
ITEMS_CSV = (
    "id_item,code,note,amount,ratio,flag,day,moment,payload\n"
    '1,A-1,"He said ""hi"", then left\nsecond line",20.0000,0.1,true,2024-02-29,'
    '2024-02-29T13:45:30.123456,"{""a"":[1,2.5,""x""],""b"":null,""c"":{""d"":true}}"\n'
    '2,"","line\r\nbreak, comma",-0.0001,0.00001,false,,,[]\n'
    "3,,,,,,,,\n"
    '10,  padded  ,"""""",12345678.9999,-250000000000000000000,true,1999-12-31,'
    '2000-01-01T00:00:00,"""just text"""\n'
    '11,Zürich ✓ 日本,",",0.0000,2.0,false,2024-01-01,2024-01-01T12:00:00,'
    '"{""price"":""20.00"",""n"":12345678901234}"\n'
)


def item_entry(table: str, alias: str) -> dict[str, Any]:
    return plain_entry(table, alias, "id_item", ITEM_FIELDS)


def product_copy_entry() -> dict[str, Any]:
    """The demo's products definition on product_copy, with a creatable identifier."""
    entry: dict[str, Any] = copy.deepcopy(
        next(e for e in demo.demo_entries() if e["tableAlias"] == "products")
    )
    entry.update(tableName="product_copy", tableAlias="product-copies")
    entry.pop("childRelations", None)
    entry.pop("parentRelations", None)
    entry["definition"]["fields"][0]["isCreatable"] = True
    return entry


def items_entity() -> Entity:
    """The items entity, built in memory: enough for the format functions."""
    config = parse_entries([item_entry("item", "items")])[0]
    return build_entity(config, item)


@pytest.fixture
async def catalog(engine: AsyncEngine) -> Catalog:
    """The demo catalog plus items, item-copies and product-copies (items filled)."""
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(sa.insert(item), ITEM_ROWS)
    entries = [
        item_entry("item", "items"),
        item_entry("item_copy", "item-copies"),
        product_copy_entry(),
    ]
    registry = CatalogRegistry(engine)
    await registry.apply(parse_entries(entries))
    return await registry.refresh()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Where the command runs and its files go (the SQLite database lives beside it)."""
    path = tmp_path / "work"
    path.mkdir()
    return path


def files_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


async def table_rows(engine: AsyncEngine, table: sa.Table) -> list[str]:
    """Every row, ordered by the key, as exact text (``Decimal('20.0000')``, float reprs)."""
    key = next(iter(table.primary_key.columns))
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(table).order_by(key))).all()
    return [repr(tuple(row)) for row in rows]


# --- running the command ------------------------------------------------------------------------


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


def _environ(database_url: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
    environ["DEXGATE_DATABASE_URL"] = database_url
    return environ


async def dexgate(database_url: str, cwd: Path, *args: str, stdin: bytes = b"") -> Completed:
    process = await asyncio.create_subprocess_exec(
        str(DEXGATE),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_environ(database_url),
        cwd=cwd,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), 120)
    assert process.returncode is not None
    return Completed(process.returncode, out.decode(), err.decode())


async def piped(
    database_url: str, cwd: Path, export: list[str], import_: list[str]
) -> tuple[Completed, Completed]:
    """``dexgate export ... | dexgate import ...`` through an OS pipe, both running at once."""
    reading, writing = os.pipe()
    exporter = await asyncio.create_subprocess_exec(
        str(DEXGATE),
        "export",
        *export,
        stdout=writing,
        stderr=asyncio.subprocess.PIPE,
        env=_environ(database_url),
        cwd=cwd,
    )
    os.close(writing)
    importer = await asyncio.create_subprocess_exec(
        str(DEXGATE),
        "import",
        *import_,
        stdin=reading,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_environ(database_url),
        cwd=cwd,
    )
    os.close(reading)
    (_, export_err), (import_out, import_err) = await asyncio.wait_for(
        asyncio.gather(exporter.communicate(), importer.communicate()), 120
    )
    assert exporter.returncode is not None
    assert importer.returncode is not None
    return (
        Completed(exporter.returncode, "", export_err.decode()),
        Completed(importer.returncode, import_out.decode(), import_err.decode()),
    )


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("format_", ["csv", "json", "ndjson"])
async def test_export_piped_into_import_reproduces_every_type_exactly(
    engine: AsyncEngine, catalog: Catalog, database_url: str, workdir: Path, format_: str
) -> None:
    exported, imported = await piped(
        database_url,
        workdir,
        ["items", "--format", format_],
        ["item-copies", "-", "--format", format_, "--batch-size", "2"],
    )

    assert exported.returncode == 0, exported.stderr
    assert imported.returncode == 0, imported.stderr
    assert imported.stderr.startswith("dexgate: imported 5 of 5 records into item-copies")
    assert await table_rows(engine, item_copy) == await table_rows(engine, item)
    assert files_in(workdir) == [], "no error report when every record is imported"


@pytest.mark.parametrize("format_", ["csv", "json"])
async def test_products_exported_to_a_file_import_into_a_copy_unchanged(
    engine: AsyncEngine, catalog: Catalog, database_url: str, workdir: Path, format_: str
) -> None:
    path = workdir / f"products.{format_}"

    exported = await dexgate(database_url, workdir, "export", "products", "-o", str(path))
    imported = await dexgate(database_url, workdir, "import", "product-copies", str(path))

    assert exported.returncode == 0, exported.stderr
    assert exported.stderr.startswith(
        f"dexgate: exported {PRODUCTS_IN_DEMO} rows of products to {path} as {format_}"
    )
    assert imported.returncode == 0, imported.stderr
    assert len(await table_rows(engine, product_copy)) == PRODUCTS_IN_DEMO
    assert await table_rows(engine, product_copy) == await table_rows(engine, demo.product)


# --- export -------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_csv_export_writes_nulls_empty_strings_and_each_type_as_documented(
    catalog: Catalog, database_url: str, workdir: Path
) -> None:
    result = await dexgate(database_url, workdir, "export", "items")

    assert result.returncode == 0, result.stderr
    assert result.stdout == ITEMS_CSV


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_json_export_is_one_array_and_ndjson_one_object_per_line(
    catalog: Catalog, database_url: str, workdir: Path
) -> None:
    as_json = await dexgate(database_url, workdir, "export", "items", "--format", "json")
    as_ndjson = await dexgate(database_url, workdir, "export", "items", "-o", "items.ndjson")

    rows = json.loads(as_json.stdout)
    lines = (workdir / "items.ndjson").read_text().splitlines()
    assert [json.loads(line) for line in lines] == rows
    assert len(as_json.stdout.splitlines()) == len(ITEM_ROWS) + 2  # "[", one per row, "]"
    assert rows[0]["amount"] == "20.0000"
    assert rows[0]["moment"] == "2024-02-29T13:45:30.123456"
    assert rows[2] == dict.fromkeys(ITEM_FIELDS, None) | {"id_item": 3}
    assert as_ndjson.returncode == 0, as_ndjson.stderr


async def test_export_applies_filters_and_nests_includes_as_the_list_api_does(
    engine: AsyncEngine, catalog: Catalog, database_url: str, workdir: Path
) -> None:
    result = await dexgate(
        database_url,
        workdir,
        "export",
        "products",
        "--format",
        "ndjson",
        "--filter",
        'filter[products.price]={"gte":"1000"}',
        "--filter",
        "is_active=true",
        "--include",
        "category,stocks",
    )

    expected = await listed_rows(
        engine,
        catalog,
        ReadRequest(
            "products",
            (Condition("price", "gte", "1000"), Condition("is_active", "eq", "true")),
            include=(Include("category"), Include("stocks")),
        ),
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert 0 < len(rows) < PRODUCTS_IN_DEMO
    assert rows == expected
    assert {"stocks", "category"} <= set(rows[0])


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "dexgate: no active entity `nowhere` (active: "),
        (["products", "--format", "csv", "--include", "category"], "dexgate: CSV holds one"),
        (["products", "--format", "json", "--include", "maker"], "dexgate: Relation `maker`"),
        (["products", "--filter", "filter[products.colour]=red"], "dexgate: Filter field `colour`"),
        (["products", "--filter", "price"], "dexgate: --filter takes 'filter[ALIAS.FIELD]=VALUE'"),
    ],
)
async def test_export_usage_errors_exit_with_2_and_write_no_file(
    catalog: Catalog, database_url: str, workdir: Path, args: list[str], message: str
) -> None:
    result = await dexgate(database_url, workdir, "export", *args, "-o", "out.json")

    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stdout == ""
    assert files_in(workdir) == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_export_to_a_missing_directory_exits_with_2(
    catalog: Catalog, database_url: str, workdir: Path
) -> None:
    result = await dexgate(database_url, workdir, "export", "products", "-o", "no/such/out.csv")

    assert result.returncode == 2
    assert result.stderr == "dexgate: cannot write no/such/out.csv: No such file or directory\n"


# --- import -------------------------------------------------------------------------------------

FAILING_CSV = (
    "sku,name,description,price,is_active,category_id\n"
    "t-1,Valid one,,10.00,true,1\n"  # line 2
    't-2,"Two\nlines",,11.50,yes,2\n'  # lines 3-4
    "t-3,Bad price,,abc,true,1\n"  # line 5: not a number
    "t-4,Too few cells,,1.00\n"  # line 6
    "T-1,Duplicate sku,,1.00,true,1\n"  # line 7: the sku of line 2 (uppercased)
    "t-6,No category,,1.00,false,999\n"  # line 8
    't-7,Valid last,"",2.00,0,\n'  # line 9
)


def failing_report(backend: str) -> list[list[str]]:
    """The report of FAILING_CSV. SQLite does not say which foreign key failed."""
    missing = "" if backend == "sqlite" else "category_id"
    where = "products[5]" if backend == "sqlite" else "products[5].category_id"
    return [
        ["line", "record", "field", "code", "message"],
        ["5", "3", "price", "1305", "Invalid data type `products[2]` for field `price`"],
        ["6", "4", "", "1301", "Record `products[3]` has 4 cells; the header has 6."],
        [
            "7",
            "5",
            "sku",
            "1309",
            "Failed to persist the data for `products[4].sku`. Please verify the provided data "
            "and try again. Entry is duplicated.",
        ],
        [
            "8",
            "6",
            missing,
            "DX109",
            f"Failed to persist the data for `{where}`. It refers to an entity that does not "
            "exist.",
        ],
    ]


def report_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


async def skus(engine: AsyncEngine) -> dict[str, tuple[Any, ...]]:
    """The imported test products (SKUs T-…) by SKU: name, description, active, category."""
    product = demo.product
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(
                product.c.sku,
                product.c.name,
                product.c.description,
                product.c.price,
                product.c.is_active,
                product.c.category_id,
            ).where(product.c.sku.like("T-%"))
        )
        return {row[0]: tuple(row[1:]) for row in rows}


@pytest.mark.parametrize("batch_size", ["2", "1000"])
async def test_transactional_import_keeps_nothing_and_reports_every_failed_record(
    engine: AsyncEngine,
    catalog: Catalog,
    backend: str,
    database_url: str,
    workdir: Path,
    batch_size: str,
) -> None:
    path = workdir / "products.csv"
    path.write_text(FAILING_CSV)

    result = await dexgate(
        database_url, workdir, "import", "products", str(path), "--batch-size", batch_size
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"dexgate: 4 records failed; errors in {path}.errors.csv",
        "dexgate: imported 0 of 7 records into products (transactional: nothing is kept)",
    ]
    assert report_rows(Path(f"{path}.errors.csv")) == failing_report(backend)
    assert await skus(engine) == {}


async def test_partial_import_keeps_every_valid_record_and_reports_the_others(
    engine: AsyncEngine, catalog: Catalog, backend: str, database_url: str, workdir: Path
) -> None:
    path = workdir / "products.csv"
    path.write_text(FAILING_CSV)
    errors = workdir / "report.csv"

    result = await dexgate(
        database_url,
        workdir,
        "import",
        "products",
        str(path),
        "--mode",
        "partial",
        "--batch-size",
        "2",
        "--errors",
        str(errors),
    )

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "dexgate: imported 3 of 7 records into products"
    assert report_rows(errors) == failing_report(backend)
    assert await skus(engine) == {
        "T-1": ("Valid one", None, Decimal("10.00"), True, 1),
        "T-2": ("Two\nlines", None, Decimal("11.50"), True, 2),
        "T-7": ("Valid last", "", Decimal("2.00"), False, None),
    }


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_upsert_updates_rows_by_identifier_and_creates_rows_without_one(
    engine: AsyncEngine, catalog: Catalog, database_url: str, workdir: Path
) -> None:
    path = workdir / "changes.ndjson"
    path.write_text(
        '{"id_product": 1, "sku": "cam-00001", "name": "Renamed", "price": "1.00", '
        '"is_active": true}\n'
        "\n"
        '{"sku": "t-new", "name": "Created", "price": "2.50", "category_id": 3}\n'
    )

    result = await dexgate(database_url, workdir, "import", "products", str(path), "--upsert")

    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("dexgate: imported 2 of 2 records into products")
    product = demo.product
    async with engine.connect() as connection:
        first = (
            await connection.execute(sa.select(product).where(product.c.id_product == 1))
        ).one()
    assert (first.sku, first.name, first.price, first.description) == (
        "CAM-00001",
        "Renamed",
        Decimal("1.00"),
        None,  # PUT semantics: an editable field the record leaves out becomes null
    )
    assert await skus(engine) == {"T-NEW": ("Created", None, Decimal("2.50"), True, 3)}


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_json_import_reports_the_line_each_failed_element_starts_on(
    engine: AsyncEngine, catalog: Catalog, database_url: str, workdir: Path
) -> None:
    path = workdir / "products.json"
    path.write_text(
        '[\n  {"sku": "t-1", "name": "One", "price": "1.00"},\n'
        '  {"sku": "t-2",\n   "name": "Two",\n   "price": -1},\n'  # element on lines 3-5
        '  "not an object",\n'  # line 6
        '  {"sku": "t-4", "name": "Four", "price": 4.5, "colour": "red"}\n'  # line 7
        "]\n"
    )

    result = await dexgate(database_url, workdir, "import", "products", str(path))

    assert result.returncode == 1
    assert [row[:4] for row in report_rows(Path(f"{path}.errors.csv"))] == [
        ["line", "record", "field", "code"],
        ["3", "2", "price", "1306"],
        ["6", "3", "", "1301"],
        ["7", "4", "colour", "1311"],
    ]
    assert await skus(engine) == {}


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("p.csv", "sku,name\n", ["nowhere"], "dexgate: no active entity `nowhere`"),
        (None, "", ["products"], "dexgate: cannot read missing.csv: No such file or directory"),
        ("p.csv", "", ["products"], "dexgate: cannot read p.csv: the file is empty"),
        (
            "p.csv",
            "sku,colour\nA,red\n",
            ["products"],
            "dexgate: cannot read p.csv: line 1: the header names no field of `products`: "
            "'colour'.",
        ),
        ("p.csv", "sku,sku\n", ["products"], "dexgate: cannot read p.csv: line 1: the header "),
        ("p.dat", "x", ["products", "--format", "xml"], "dexgate: argument --format: invalid"),
        ("p.csv", "sku\n", ["products", "--batch-size", "0"], "dexgate: argument --batch-size"),
    ],
)
async def test_import_usage_errors_exit_with_2(
    catalog: Catalog,
    database_url: str,
    workdir: Path,
    name: str | None,
    content: str,
    args: list[str],
    message: str,
) -> None:
    file = name or "missing.csv"
    if name is not None:
        (workdir / name).write_text(content)

    result = await dexgate(database_url, workdir, "import", args[0], file, *args[1:])

    assert result.returncode == 2
    assert result.stderr.startswith(message)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("mode", "imported"), [("transactional", "imported 0 of 1"), ("partial", "imported 1 of 1")]
)
async def test_broken_json_stops_the_import_with_2_keeping_only_partial_progress(
    engine: AsyncEngine,
    catalog: Catalog,
    database_url: str,
    workdir: Path,
    mode: str,
    imported: str,
) -> None:
    path = workdir / "products.json"
    path.write_text('[{"sku": "t-1", "name": "One", "price": "1.00"},\n{"sku": oops}]')

    result = await dexgate(database_url, workdir, "import", "products", str(path), "--mode", mode)

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "dexgate: reading stopped: line 2: invalid JSON: Expecting value"
    )
    assert imported in result.stderr
    assert len(await skus(engine)) == (1 if mode == "partial" else 0)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_import_reads_a_csv_file_written_with_a_byte_order_mark(
    engine: AsyncEngine, catalog: Catalog, database_url: str, workdir: Path
) -> None:
    path = workdir / "excel.csv"
    path.write_bytes("\ufeffsku,name,price\r\nt-1,Ünïcode,3.00\r\n".encode())

    result = await dexgate(database_url, workdir, "import", "products", str(path))

    assert result.returncode == 0, result.stderr
    assert await skus(engine) == {"T-1": ("Ünïcode", None, Decimal("3.00"), True, None)}


# --- the stream operation -----------------------------------------------------------------------


async def test_stream_reads_pages_by_keyset_and_yields_what_the_list_operation_returns(
    engine: AsyncEngine, catalog: Catalog, statements: StatementLog
) -> None:
    request = ReadRequest("products", include=(Include("category"),))
    statements.start()

    async with stream_rows(engine, catalog, request, FULL_ACCESS, page_size=50) as pages:
        streamed = [page async for page in pages]
    ran = list(statements.data_statements)

    listed = await listed_rows(engine, catalog, request)
    assert [len(page) for page in streamed] == [50, 50, 50, 50, 4]
    assert [row for page in streamed for row in page] == listed
    product_selects = [s for s in ran if re.search(r"FROM product\b", s)]
    assert len(product_selects) == 5
    # every later page: the same statement, starting after the previous page's last identifier
    assert len(set(product_selects[1:])) == 1
    assert "WHERE product.id_product >" in product_selects[1]


async def test_stream_of_a_filtered_set_ends_after_its_last_page(
    engine: AsyncEngine, catalog: Catalog
) -> None:
    request = ReadRequest("products", (Condition("category_id", "eq", 2),))

    async with stream_rows(engine, catalog, request, FULL_ACCESS, page_size=17) as pages:
        streamed = [page async for page in pages]

    assert [len(page) for page in streamed] == [17]
    assert {row["category_id"] for row in streamed[0]} == {2}


async def test_stream_needs_read_on_every_entity_it_reaches(
    engine: AsyncEngine, catalog: Catalog
) -> None:
    products_only = Permissions({"products": frozenset({"read"})})
    request = ReadRequest("products", include=(Include("category"),))

    with pytest.raises(PermissionDeniedError) as denied:
        async with stream_rows(engine, catalog, request, products_only):
            pass

    assert denied.value.alias == "categories"


async def test_stream_refuses_sorting_and_paging(engine: AsyncEngine, catalog: Catalog) -> None:
    with pytest.raises(InvalidQueryParameterError):
        async with stream_rows(engine, catalog, ReadRequest("products", limit=5), FULL_ACCESS):
            pass


async def test_an_oserror_in_the_callers_block_is_not_taken_for_a_database_outage(
    engine: AsyncEngine, catalog: Catalog
) -> None:
    async def export_into_a_closed_pipe() -> None:
        async with stream_rows(engine, catalog, ReadRequest("products"), FULL_ACCESS) as pages:
            async for _page in pages:
                raise BrokenPipeError  # `dexgate export ... | head`

    async def import_onto_a_full_disk() -> None:
        async with bulk_writer(
            engine, catalog, "products", "create", FULL_ACCESS, transactional=True
        ) as writer:
            await writer.write(new_products("t", 1))
            raise OSError("disk full")  # writing the error report

    with pytest.raises(BrokenPipeError):
        await export_into_a_closed_pipe()
    with pytest.raises(OSError, match="disk full"):
        await import_onto_a_full_disk()
    assert await skus(engine) == {}


# --- the bulk write operation -------------------------------------------------------------------


def new_products(prefix: str, count: int) -> list[dict[str, Any]]:
    return [{"sku": f"{prefix}-{i}", "name": f"P {i}", "price": "1.00"} for i in range(count)]


async def test_transactional_bulk_write_keeps_nothing_when_a_later_batch_fails(
    engine: AsyncEngine, catalog: Catalog
) -> None:
    async with bulk_writer(
        engine, catalog, "products", "create", FULL_ACCESS, transactional=True
    ) as writer:
        first = await writer.write(new_products("t-a", 3))
        second = await writer.write([*new_products("t-b", 2), {"sku": "t-a-1", "name": "Dup"}])
        third = await writer.write([{"sku": "t-c", "name": "Dup", "price": "1.00"}])

    assert (first.saved, first.errors) == (3, {})
    assert second.saved == 2
    assert [[e.code for e in errs] for errs in second.errors.values()] == [["1307"]]
    assert list(second.errors) == [2]
    assert (third.saved, writer.failed) == (1, 1)
    assert await skus(engine) == {}


async def test_partial_bulk_write_commits_each_batch(engine: AsyncEngine, catalog: Catalog) -> None:
    async with bulk_writer(
        engine, catalog, "products", "create", FULL_ACCESS, transactional=False
    ) as writer:
        await writer.write(new_products("t-a", 2))
        result = await writer.write([*new_products("t-b", 1), *new_products("t-a", 1)])

    assert result.saved == 1
    assert [e.code for e in result.errors[1]] == ["1309"]
    assert sorted(await skus(engine)) == ["T-A-0", "T-A-1", "T-B-0"]


async def test_bulk_write_needs_the_write_grant_before_connecting(
    engine: AsyncEngine, catalog: Catalog
) -> None:
    readers = Permissions({"products": frozenset({"read"})})

    with pytest.raises(PermissionDeniedError):
        async with bulk_writer(engine, catalog, "products", "create", readers, transactional=True):
            pass


async def test_a_refused_batch_is_settled_in_halves_with_each_failure_on_its_item(
    engine: AsyncEngine, catalog: Catalog
) -> None:
    items = new_products("t", 40)
    for bad in (5, 17, 33):
        items[bad]["category_id"] = 999
    items[20]["sku"] = "t-3"  # the sku of an earlier item in the same batch

    result = await write.write(
        engine, catalog, WriteRequest("products", "create", items, transactional=False), FULL_ACCESS
    )

    # the path names the item (and, but for a foreign key on SQLite, the field)
    assert [(e.message.split("`")[1].split(".")[0], e.code) for e in result.errors] == [
        ("products[5]", "DX109"),
        ("products[17]", "DX109"),
        ("products[20]", "1309"),
        ("products[33]", "DX109"),
    ]
    assert [row["sku"] for row in result.data] == [
        f"T-{i}" for i in range(40) if i not in (5, 17, 20, 33)
    ]
    assert len(await skus(engine)) == 36


# --- formats, without a database ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (None, ""),
        ("", '""'),
        ("plain", "plain"),
        (" spaced ", " spaced "),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("cr\rlf", '"cr\rlf"'),
    ],
)
def test_csv_cells_keep_null_and_the_empty_string_apart(cell: str | None, text: str) -> None:
    assert csv_cell(cell) == text


def csv_of(text: str) -> list[Record]:
    return list(csv_records(io.StringIO(text, newline=""), items_entity()))


def test_csv_records_read_back_what_the_writer_wrote() -> None:
    records = csv_of(ITEMS_CSV)

    assert [(r.line, r.number, r.error) for r in records] == [
        (2, 1, None),
        (4, 2, None),
        (6, 3, None),
        (7, 4, None),
        (8, 5, None),
    ]
    first, second, third, fourth, _ = (r.item for r in records)
    assert first == {
        "id_item": 1,
        "code": "A-1",
        "note": 'He said "hi", then left\nsecond line',
        "amount": "20.0000",
        "ratio": "0.1",
        "flag": True,
        "day": "2024-02-29",
        "moment": "2024-02-29T13:45:30.123456",
        "payload": {"a": [1, Decimal("2.5"), "x"], "b": None, "c": {"d": True}},
    }
    assert second is not None
    assert (second["code"], second["day"], second["note"]) == ("", None, "line\r\nbreak, comma")
    assert third == dict.fromkeys(ITEM_FIELDS, None) | {"id_item": 3}
    assert fourth is not None
    assert (fourth["code"], fourth["note"]) == ("  padded  ", '""')


def test_csv_records_skip_blank_lines_and_flag_records_of_the_wrong_width() -> None:
    records = csv_of('id_item,code\n\n1,""\n2\n3,x,y\n\n4,\n')

    assert [(r.line, r.number, r.item) for r in records] == [
        (3, 1, {"id_item": 1, "code": ""}),
        (4, 2, None),
        (5, 3, None),
        (7, 4, {"id_item": 4, "code": None}),
    ]
    assert [r.error.message for r in records if r.error is not None] == [
        "Record `items[1]` has 1 cells; the header has 2.",
        "Record `items[2]` has 3 cells; the header has 2.",
    ]


def test_a_json_cell_that_is_not_json_is_a_1305_for_its_record() -> None:
    [record] = csv_of("id_item,payload\n1,{oops\n")

    assert record.item is None
    assert isinstance(record.error, InvalidFieldTypeError)
    assert record.error.message == "Invalid data type `items[0]` for field `payload`"


def test_malformed_csv_quoting_stops_reading_at_its_line() -> None:
    with pytest.raises(FileFormatError, match=r"^line 3: malformed CSV"):
        csv_of('id_item,code\n1,a\n2,"b"c\n')


@pytest.mark.parametrize(
    ("field", "cell", "value"),
    [
        ("id_item", "42", 42),
        ("id_item", "-7", -7),
        ("id_item", "4.0", "4.0"),
        ("id_item", "1_000", "1_000"),
        ("flag", "TRUE", True),
        ("flag", "yes", True),
        ("flag", "1", True),
        ("flag", "No", False),
        ("flag", "0", False),
        ("flag", "maybe", "maybe"),
        ("amount", "20.00", "20.00"),
        ("ratio", "1e5", "1e5"),
        ("day", "2024-02-30", "2024-02-30"),
        ("payload", '{"p": 0.1}', {"p": Decimal("0.1")}),
        ("payload", '"text"', "text"),
        ("code", "007", "007"),
    ],
)
def test_csv_cells_are_typed_by_their_field_and_other_text_is_left_to_validation(
    field: str, cell: str, value: Any
) -> None:
    assert item_of(items_entity(), [field])([cell]) == {field: value}


def test_a_json_cell_with_nan_is_refused() -> None:
    with pytest.raises(CellError):
        item_of(items_entity(), ["payload"])(["NaN"])


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("flag", True, "true"),
        ("ratio", 1e-05, "0.00001"),
        ("ratio", 1.5e16, "15000000000000000"),
        ("ratio", 0.1, "0.1"),
        ("payload", {"a": "ü"}, '{"a":"ü"}'),
        ("amount", "20.00", "20.00"),
        ("id_item", 5, "5"),
    ],
)
def test_values_are_written_to_cells_as_the_api_reads_them_back(
    field: str, value: Any, text: str
) -> None:
    assert text_of(items_entity().by_name[field])(value) == text


def json_array(text: str, chunk: int) -> list[tuple[int, Any]]:
    return [(r.line, r.item) for r in json_records(io.StringIO(text), "items", chunk=chunk)]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_a_json_array_is_read_element_by_element_whatever_the_chunk_size(chunk: int) -> None:
    text = '\n[ {"a": 1},\n\n{"b": [1, 2.50, "x,]"],\n "c": 12345678}\n,{}\n]\n'

    assert json_array(text, chunk) == [
        (2, {"a": 1}),
        (4, {"b": [1, Decimal("2.50"), "x,]"], "c": 12345678}),
        (6, {}),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}', r"^line 1: a JSON import file holds one array of objects"),
        ('[\n{"a": 1},\n]', r"^line 3: a comma before \]"),
        ('[{"a": 1} {"b": 2}]', r"^line 1: expected , or \] after an element"),
        ('[{"a": 1}]\n[]', r"^line 2: text after the end of the array"),
        ('[\n{"a": 1,\n "b": }]', r"^line 3: invalid JSON: Expecting value"),
        ('[{"a": "unterminated}]', r"^line 1: invalid JSON: Unterminated string"),
        ('[{"a": 1}', r"^line 1: expected , or \]"),
        ("[NaN]", r"^line 1: invalid JSON"),
    ],
)
def test_broken_json_arrays_stop_reading_at_their_line(text: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        json_array(text, 4)


def test_empty_json_array_has_no_records() -> None:
    assert json_array(" [ ] ", 2) == []


def test_ndjson_records_flag_bad_lines_and_read_on() -> None:
    text = '{"a": 1}\n\nnot json\n[1]\n{"b": 0.5}\n'

    records = list(ndjson_records(io.StringIO(text), "items"))

    assert [(r.line, r.number, r.item) for r in records] == [
        (1, 1, {"a": 1}),
        (3, 2, None),
        (4, 3, None),
        (5, 4, {"b": Decimal("0.5")}),
    ]
    assert [r.error.code for r in records if r.error is not None] == ["1301", "1301"]


def test_json_writer_writes_one_array_across_pages() -> None:
    writer = JsonWriter()
    text = writer.start() + writer.page([{"a": 1}]) + writer.page([]) + writer.page([{"b": "ü"}])
    text += writer.finish()

    assert text == '[\n{"a":1},\n{"b":"ü"}\n]\n'
    empty = JsonWriter()
    assert json.loads(empty.start() + empty.page([]) + empty.finish()) == []


@pytest.mark.parametrize(
    ("path", "given", "expected"),
    [
        ("out.csv", None, "csv"),
        ("out.JSON", None, "json"),
        ("out.ndjson", None, "ndjson"),
        ("out.jsonl", None, "ndjson"),
        ("out.txt", None, "csv"),
        (None, None, "csv"),
        ("-", None, "csv"),
        ("out.csv", "json", "json"),
    ],
)
def test_the_format_follows_the_option_then_the_extension_then_csv(
    path: str | None, given: str | None, expected: str
) -> None:
    assert format_for(path, given) == expected


@pytest.mark.parametrize(
    ("error", "field"),
    [
        (InvalidFieldTypeError("products[3]", "price"), "price"),
        (InvalidFieldValueError("products[3]", "price", "min: 0"), "price"),
        (RequiredFieldMissingError("products[3]", "name"), "name"),
        (ImmutableFieldError("products[3]", "id_product"), "id_product"),
        (UnknownFieldError("products[3]", "colour"), "colour"),
        (DuplicateEntryError("products[3].sku"), "sku"),
        (DuplicateEntryError("products[3]"), ""),
        (NotNullViolationError("products[3]", "sku"), "sku"),
        (ReferencedEntityMissingError("products[3]", "category_id"), "category_id"),
        (IdentifierNotCreatableError("products[3]", "id_product: 7"), "id_product"),
        (EntityNotFoundError("products[3]"), ""),
        (
            InvalidFieldValueError("products[3].product-stocks[1]", "quantity", ""),
            "product-stocks[1].quantity",
        ),
    ],
)
def test_the_report_names_the_field_each_error_is_about(error: Any, field: str) -> None:
    assert error_field(error.message) == field


# --- progress -----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_in_a_log_is_a_plain_line_every_interval_with_rate_and_eta() -> None:
    clock, stream, done = FakeClock(), io.StringIO(), [0.0]
    progress = Progress(stream, "import", fraction=lambda: done[0], clock=clock, interval=5)

    for second, rows in ((1, 1000), (5, 5000), (6, 6000), (10, 10000)):
        clock.now = 100 + second
        done[0] = rows / 40000
        progress.update(rows)
    progress.close()

    assert stream.getvalue().splitlines() == [
        "import: 5,000 rows  1,000 rows/s  12%  ETA 0:35",
        "import: 10,000 rows  1,000 rows/s  25%  ETA 0:30",
    ]


def test_progress_on_a_terminal_redraws_one_line_and_clears_it() -> None:
    clock, terminal = FakeClock(), Terminal()
    progress = Progress(terminal, "export", clock=clock)

    clock.now += 0.1
    progress.update(10)  # too soon after the start: not drawn
    clock.now += 0.2
    progress.update(3000)
    clock.now += 0.3
    progress.update(6000)
    progress.close()

    assert terminal.getvalue() == (
        "\r\x1b[Kexport: 3,000 rows  10,000 rows/s\r\x1b[Kexport: 6,000 rows  10,000 rows/s\r\x1b[K"
    )


def test_progress_eta_shows_hours_for_long_runs() -> None:
    clock = FakeClock()
    progress = Progress(io.StringIO(), "import", fraction=lambda: 0.01, clock=clock)
    clock.now += 60

    assert progress.status(100) == "100 rows  2 rows/s  1%  ETA 1:39:00"
