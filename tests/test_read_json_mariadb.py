"""MariaDB's JSON statement (schema_builder.operations.reads.sql.mariadb) writes byte for byte
what the row path writes, for every column type it renders, edge values included: the reader
is constructed twice on one MariaDB database, once writing JSON in the database and once
reading rows, and every plan is executed by both.

The database is created for the run and dropped after it, on the MariaDB server of
``DEXGATE_TEST_MARIADB_URL`` (default: root on 127.0.0.1:3306); without a server the tests
fail when ``DEXGATE_REQUIRE_MARIADB`` is set (CI), and are skipped otherwise."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import re
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from auth.permissions import FULL_ACCESS
from schema_builder.catalog import Catalog, build_catalog
from schema_builder.definition import parse_entries
from schema_builder.errors import ResponseTooLargeError, TooManyRowsError
from schema_builder.operations.ir import Condition, FieldOut, Include, RelationOut, SortKey
from schema_builder.operations.reads.compile import JsonStatement, compile_plan
from schema_builder.operations.reads.plan import GetPlan, ListPlan, rest_shape
from schema_builder.operations.reads.reader import Reader
from tests.entries import plain_entry

SERVER = os.environ.get("DEXGATE_TEST_MARIADB_URL", "mysql+asyncmy://root@127.0.0.1:3306")
TEXTS = [
    "",
    "plain",
    "Zürich ✓ 日本 😀",
    "\x01\x0b\x0e\x1a\x1f\x7f tab\t nl\n cr\r ff\f bs\b",
    'quote " backslash \\ slash /',
    "literal \\u001F and \\u00e9",
    "\u2028 \u2029 \u00e9",
    "trailing  ",
    'an object in text: {"a": {"b": "{\\"c\\": 1}"}}',
]
MOMENTS = [
    dt.datetime(2024, 2, 29, 13, 45, 30, 123456),
    dt.datetime(2024, 2, 29, 13, 45, 30),
    dt.datetime(1000, 1, 1, 0, 0, 0, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
]
# column: (SQL type, field type, values, written by the database)
COLUMNS: dict[str, tuple[str, str, list[Any], bool]] = {
    "i_int": ("INT", "integer", [0, 1, -1, 2**31 - 1, -(2**31)], True),
    "i_big": ("BIGINT UNSIGNED", "integer", [0, 2**64 - 1, 12345678901234], True),
    "i_tiny": ("TINYINT", "integer", [0, 127, -128], True),
    "d_int": ("BIGINT", "decimal", [0, -(2**63), 2**63 - 1], True),
    "d_price": (
        "DECIMAL(12,2)",
        "decimal",
        [Decimal(v) for v in ("0.00", "-0.01", "9999999999.99", "20.00", "0.10", "924.98")],
        True,
    ),
    "d_whole": ("DECIMAL(20,0)", "decimal", [Decimal(v) for v in ("0", "120000", "-7")], True),
    "d_six": ("DECIMAL(20,6)", "decimal", [Decimal(v) for v in ("0.000001", "0", "-1.5")], True),
    "d_fine": ("DECIMAL(30,10)", "decimal", [Decimal(v) for v in ("0", "1E-7", "2.5")], False),
    "d_double": ("DOUBLE", "decimal", [0.1, 1e20, -1.5], False),
    "b_flag": ("TINYINT(1)", "boolean", [0, 1, 5], True),
    "s_varchar": ("VARCHAR(64)", "string", TEXTS, True),
    "s_text": ("TEXT", "string", TEXTS, True),
    "s_char": ("CHAR(5)", "string", ["ab", "", "abcde", "é"], True),
    "s_enum": ("ENUM('red','green','blue')", "string", ["red", "blue"], True),
    "s_moment": ("DATETIME(6)", "string", MOMENTS, True),
    "da_day": ("DATE", "date", [dt.date(2024, 2, 29), dt.date(1000, 1, 1)], True),
    "t_moment": ("DATETIME(6)", "datetime", MOMENTS, True),
    "t_seconds": ("DATETIME", "datetime", [m.replace(microsecond=0) for m in MOMENTS], True),
    "t_stamp": ("TIMESTAMP(3) NULL", "datetime", [dt.datetime(2024, 1, 1, 10, 0, 0, 123000)], True),
    "f_double": ("DOUBLE", "float", [0.1, 1e20], False),
    "j_doc": ("JSON", "json", ['{"b": 1.10, "a": [1e2, "x"]}', "[]"], False),
}
ROWS = 30


def _unreachable(exc: Exception) -> None:
    reason = f"no MariaDB server at {SERVER} ({type(exc).__name__}: {exc})"
    if os.environ.get("DEXGATE_REQUIRE_MARIADB"):
        pytest.fail(reason)
    pytest.skip(reason)


async def _admin(statement: str) -> None:
    engine = create_async_engine(SERVER + "/")
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def _session(engine: AsyncEngine) -> None:
    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(
            "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', "
            "time_zone = '+00:00', group_concat_max_len = 4294967295"
        )
        cursor.close()


def _self_related_entry(
    table: str, alias: str, fields: dict[str, str] | None = None
) -> dict[str, Any]:
    """The entry of ``table`` (``fields``, by default ``id``, ``parent_id``, ``body``) whose
    rows have their ``children``: the rows whose ``parent_id`` is theirs."""
    if fields is None:
        fields = {"id": "integer", "parent_id": "integer", "body": "string"}
    return {
        **plain_entry(table, alias, "id", fields),
        "childRelations": [
            {
                "name": "children",
                "isEditable": False,
                "childDynamicEntityConfiguration": {"tableAlias": alias},
                "relationFieldMappings": [{"childFieldName": "parent_id", "parentFieldName": "id"}],
            }
        ],
    }


def _combo_fields() -> dict[str, str]:
    """The fields of the ``combo`` table: its keys and every column of :data:`COLUMNS`."""
    return {"id": "integer", "parent_id": "integer"} | {
        name: spec[1] for name, spec in COLUMNS.items()
    }


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    name = f"dexgate_json_{uuid.uuid4().hex[:12]}"
    try:
        await _admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    except Exception as exc:
        _unreachable(exc)
    engine = create_async_engine(f"{SERVER}/{name}?charset=utf8mb4")
    _session(engine)
    try:
        yield engine
    finally:
        await engine.dispose()
        await _admin(f"DROP DATABASE `{name}`")


async def _catalog(engine: AsyncEngine) -> Catalog:
    rng = random.Random(15)  # noqa: S311 - test data
    columns = ", ".join(f"`{name}` {spec[0]}" for name, spec in COLUMNS.items())
    rows = []
    for number in range(1, ROWS + 1):
        row: dict[str, Any] = {"id": number, "parent_id": rng.choice([None, *range(1, number)])}
        for position, (name, (_sql, _kind, values, _written)) in enumerate(COLUMNS.items()):
            value = values[(number + position) % len(values)]
            row[name] = None if (number + position) % 10 == 0 else value
        rows.append(row)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            f"CREATE TABLE combo (id INT PRIMARY KEY, parent_id INT NULL, {columns})"
        )
        metadata = sa.MetaData()
        await connection.run_sync(metadata.reflect)
        await connection.execute(metadata.tables["combo"].insert(), rows)
    entry = {
        **_self_related_entry("combo", "combos", _combo_fields()),
        "parentRelations": [
            {
                "name": "parent",
                "isEditable": False,
                "parentDynamicEntityConfiguration": {"tableAlias": "combos"},
                "relationFieldMappings": [{"childFieldName": "parent_id", "parentFieldName": "id"}],
            }
        ],
    }
    return build_catalog(1, parse_entries([entry]), dict(metadata.tables))


def _shape(catalog: Catalog, names: list[str], includes: tuple[Include, ...] = ()) -> Any:
    entity = catalog.entities["combos"]
    if not includes:
        return tuple(FieldOut(name, name) for name in ["id", *names])
    shape = rest_shape(catalog, entity, includes)
    kept = {"id", "parent_id", *names}
    return tuple(e for e in shape if not isinstance(e, FieldOut) or e.field in kept)


WRITTEN = [name for name, spec in COLUMNS.items() if spec[3]]
NOT_WRITTEN = [name for name, spec in COLUMNS.items() if not spec[3]]


async def test_every_column_is_written_as_the_rows_are(engine: AsyncEngine) -> None:
    catalog = await _catalog(engine)
    entity = catalog.entities["combos"]
    json, rows = Reader(engine), Reader(engine, json=False)
    for name in COLUMNS:
        plan = ListPlan("combos", (_shape(catalog, [name]),), limit=100, count=True)
        compiled = compile_plan(catalog, entity, plan, engine.dialect)
        assert isinstance(compiled.runs, JsonStatement) is COLUMNS[name][3], name
        written = await json.list(catalog, plan, FULL_ACCESS)
        assert written == await rows.list(catalog, plan, FULL_ACCESS), name
        one = GetPlan("combos", _shape(catalog, [name]))
        for identifier in (1, 7, ROWS):
            expected = await rows.get(catalog, one, identifier, FULL_ACCESS)
            assert await json.get(catalog, one, identifier, FULL_ACCESS) == expected, name


LISTS: list[dict[str, Any]] = [
    {"sort": (SortKey("s_varchar", False),)},
    {"sort": (SortKey("t_moment", True), SortKey("d_price", False)), "offset": 3, "limit": 7},
    {"conditions": (Condition("i_int", "in", [1, -1, 99]),), "count": True},
    {"conditions": (Condition("s_varchar", "in", ["plain", "", "nothing"]),)},
    {"conditions": (Condition("d_price", "in", [Decimal("924.98"), Decimal("0.10")]),)},
    {"conditions": (Condition("t_moment", "in", [MOMENTS[0], MOMENTS[2]]),), "count": True},
    {"conditions": (Condition("s_text", "like", "%back%"),)},
    {"conditions": (Condition("d_price", "gte", "20"),), "sort": (SortKey("d_price", True),)},
    {"conditions": (Condition("b_flag", "isNull", True),), "count": True},
    {"offset": 100, "limit": 5, "count": True},
    {"offset": 100, "limit": 5},
]


@pytest.mark.parametrize("arguments", LISTS)
async def test_lists_are_written_as_the_rows_are(
    engine: AsyncEngine, arguments: dict[str, Any]
) -> None:
    catalog = await _catalog(engine)
    shape = _shape(catalog, WRITTEN)
    plan = ListPlan("combos", (shape,), **({"limit": 100} | arguments))
    json, rows = Reader(engine), Reader(engine, json=False)
    written = await json.list(catalog, plan, FULL_ACCESS)
    assert written == await rows.list(catalog, plan, FULL_ACCESS)


async def test_relationships_are_written_as_the_rows_are(engine: AsyncEngine) -> None:
    catalog = await _catalog(engine)
    includes = (Include("children"), Include("parent"))
    shape = _shape(catalog, ["s_varchar", "d_price", "t_moment"], includes)
    json, rows = Reader(engine), Reader(engine, json=False)
    for plan in (
        ListPlan("combos", (shape,), limit=100, max_rows=10_000),
        ListPlan("combos", (shape,), sort=(SortKey("s_text", True),), limit=10, count=True),
    ):
        assert await json.list(catalog, plan, FULL_ACCESS) == await rows.list(
            catalog, plan, FULL_ACCESS
        )
    one = GetPlan("combos", shape)
    for identifier in range(1, ROWS + 1):
        expected = await rows.get(catalog, one, identifier, FULL_ACCESS)
        assert await json.get(catalog, one, identifier, FULL_ACCESS) == expected


async def test_the_row_bound_counts_each_row_and_related_row_as_the_rows_do(
    engine: AsyncEngine,
) -> None:
    """MariaDB's statement does not count the rows it nests: the reader counts the objects of
    its text (strings that hold object text included). At the bound the answer is given, one
    row below it is refused, as the row path counts."""
    catalog = await _catalog(engine)
    includes = (Include("children"), Include("parent"))
    kept = {"id", "parent_id", "s_varchar", "s_text"}

    def written(shape: Any) -> Any:  # the fields the statement writes, at every level
        return tuple(
            dataclasses.replace(e, shape=written(e.shape)) if isinstance(e, RelationOut) else e
            for e in shape
            if not isinstance(e, FieldOut) or e.field in kept
        )

    entity = catalog.entities["combos"]
    shape = written(rest_shape(catalog, entity, includes))
    json, rows = Reader(engine), Reader(engine, json=False)
    async with engine.connect() as connection:
        counted = await connection.execute(
            sa.text(
                "SELECT p.id, count(c.id), p.parent_id IS NOT NULL FROM combo p "
                "LEFT JOIN combo c ON c.parent_id = p.id GROUP BY p.id"
            )
        )
        found = [(int(row[0]), int(row[1]), int(row[2])) for row in counted.all()]
    children = {key: many for key, many, _one in found}
    parents = {key: one for key, _many, one in found}
    page = sorted(children)[:12]
    nested = sum(1 + children[key] + parents[key] for key in page)
    for reader in (json, rows):
        plan = ListPlan("combos", (shape,), limit=12, max_rows=nested)
        if reader is json:
            compiled = compile_plan(catalog, entity, plan, engine.dialect)
            assert isinstance(compiled.runs, JsonStatement)
            assert compiled.runs.counts_in_text
        await reader.list(catalog, plan, FULL_ACCESS)
        with pytest.raises(TooManyRowsError):
            await reader.list(
                catalog, ListPlan("combos", (shape,), limit=12, max_rows=nested - 1), FULL_ACCESS
            )
        key = max(children, key=lambda k: children[k])
        one = 1 + children[key] + parents[key]
        await reader.get(catalog, GetPlan("combos", shape, max_rows=one), key, FULL_ACCESS)
        with pytest.raises(TooManyRowsError):
            await reader.get(catalog, GetPlan("combos", shape, max_rows=one - 1), key, FULL_ACCESS)


async def test_a_page_over_a_megabyte_is_written_whole(engine: AsyncEngine) -> None:
    """GROUP_CONCAT cuts its result at group_concat_max_len with only a warning: the
    session's value must be its maximum."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE wide (id INT PRIMARY KEY, body TEXT)")
        await connection.exec_driver_sql(
            "INSERT INTO wide VALUES "
            + ",".join(f"({n}, REPEAT('x', 20000))" for n in range(1, 101))
        )
        metadata = sa.MetaData()
        await connection.run_sync(metadata.reflect)
    entry = plain_entry("wide", "wides", "id", {"id": "integer", "body": "string"})
    catalog = build_catalog(1, parse_entries([entry]), dict(metadata.tables))
    shape = (FieldOut("id", "id"), FieldOut("body", "body"))
    plan = ListPlan("wides", (shape,), limit=100)
    page = await Reader(engine).list(catalog, plan, FULL_ACCESS)
    assert len(page.arrays[0]) > 2_000_000
    assert (
        page.arrays[0]
        == (await Reader(engine, json=False).list(catalog, plan, FULL_ACCESS)).arrays[0]
    )


async def _huge(engine: AsyncEngine) -> tuple[Catalog, int]:
    """A table whose rows add up to more than the server's ``max_allowed_packet`` (16 MiB by
    default), every row but the first a child of the first; its catalog, and the packet."""
    async with engine.begin() as connection:
        packet = int(await connection.scalar(sa.text("SELECT @@max_allowed_packet")) or 0)
        rows = packet // HUGE_WIDTH + 5
        await connection.exec_driver_sql(
            "CREATE TABLE huge (id INT PRIMARY KEY, parent_id INT NULL, body MEDIUMTEXT)"
        )
        for start in range(1, rows + 1, 20):
            values = ",".join(
                f"({n}, {'NULL' if n == 1 else 1}, REPEAT('x', {HUGE_WIDTH}))"
                for n in range(start, min(start + 20, rows + 1))
            )
            await connection.exec_driver_sql(f"INSERT INTO huge VALUES {values}")
        metadata = sa.MetaData()
        await connection.run_sync(metadata.reflect)
    entry = _self_related_entry("huge", "huges")
    return build_catalog(1, parse_entries([entry]), dict(metadata.tables)), packet


HUGE_WIDTH = 200_000


async def test_a_page_over_the_servers_packet_size_is_answered_whole(engine: AsyncEngine) -> None:
    """A page's rows come back one per row, each far under ``max_allowed_packet``: a page
    larger than the packet is answered whole, as the row path answers it."""
    catalog, packet = await _huge(engine)
    shape = (FieldOut("id", "id"), FieldOut("body", "body"))
    plan = ListPlan("huges", (shape,), limit=1000, count=True)
    page = await Reader(engine).list(catalog, plan, FULL_ACCESS)
    assert len(page.arrays[0]) > packet
    assert page == await Reader(engine, json=False).list(catalog, plan, FULL_ACCESS)


async def test_related_rows_over_the_servers_packet_size_are_refused_not_cut(
    engine: AsyncEngine,
) -> None:
    """Past max_allowed_packet MariaDB cuts GROUP_CONCAT (the related rows of one row) and
    answers NULL for CONCAT, with only warnings: the read is refused (DX139), never answered
    cut."""
    catalog, _packet = await _huge(engine)
    entity = catalog.entities["huges"]
    shape = rest_shape(catalog, entity, (Include("children"),))
    reader = Reader(engine)
    with pytest.raises(ResponseTooLargeError):
        await reader.list(
            catalog, ListPlan("huges", (shape,), limit=5, max_rows=10_000), FULL_ACCESS
        )
    with pytest.raises(ResponseTooLargeError):
        await reader.get(catalog, GetPlan("huges", shape), 1, FULL_ACCESS)
    others = ListPlan("huges", (shape,), offset=1, limit=3, max_rows=10_000)
    page = await reader.list(catalog, others, FULL_ACCESS)
    assert page == await Reader(engine, json=False).list(catalog, others, FULL_ACCESS)


def _kept(shape: Any, kept: set[str]) -> Any:
    """``shape`` with only the fields ``kept``, at every level."""
    return tuple(
        dataclasses.replace(e, shape=_kept(e.shape, kept)) if isinstance(e, RelationOut) else e
        for e in shape
        if not isinstance(e, FieldOut) or e.field in kept
    )


WINDOWS: list[dict[str, Any]] = [
    {"limit": 2},
    {"limit": 3, "offset": 1, "sort": (SortKey("s_varchar", True),)},
    {"offset": 2},
    {"limit": 1, "offset": 50},
    {"limit": 0},
    {"limit": 2, "conditions": (Condition("i_int", "gte", 0),)},
]


@pytest.mark.parametrize("window", WINDOWS)
async def test_related_rows_in_a_window_are_written_as_the_rows_are(
    engine: AsyncEngine, window: dict[str, Any]
) -> None:
    """A relationship with a window of its own (GraphQL's nested lists always have one) is
    read by a scalar subquery of each row, the window kept by GROUP_CONCAT's LIMIT and
    OFFSET: the same rows, in the same order, as the row path reads (empty lists too, and
    an offset past every row)."""
    catalog = await _catalog(engine)
    entity = catalog.entities["combos"]
    includes = (Include("children", **window), Include("parent"))
    shape = _kept(
        rest_shape(catalog, entity, includes), {"id", "parent_id", "s_varchar", "t_moment"}
    )
    json, rows = Reader(engine), Reader(engine, json=False)
    for plan in (
        ListPlan("combos", (shape,), limit=100, max_rows=10_000),
        ListPlan("combos", (shape,), sort=(SortKey("s_text", True),), limit=10, count=True),
    ):
        compiled = compile_plan(catalog, entity, plan, engine.dialect)
        assert isinstance(compiled.runs, JsonStatement)
        sql = compiled.runs.sql.lower()
        assert "partition by" not in sql  # no related rows numbered for the page
        window_kept = re.search(r" limit (%s|[0-9]+)( offset %s)?\)", sql.split("group_concat(")[1])
        assert window_kept is not None
        assert await json.list(catalog, plan, FULL_ACCESS) == await rows.list(
            catalog, plan, FULL_ACCESS
        )
    one = GetPlan("combos", shape)
    for identifier in range(1, ROWS + 1):
        expected = await rows.get(catalog, one, identifier, FULL_ACCESS)
        assert await json.get(catalog, one, identifier, FULL_ACCESS) == expected


async def test_the_row_bound_counts_the_rows_of_each_window(engine: AsyncEngine) -> None:
    """With two shapes (the second without relationships) the statement counts the rows it
    nests, not the reader in the text: a window's rows are counted as the rows in it, offset
    and limit applied. At the bound the answer is given, one row below it is refused, as the
    row path counts."""
    catalog = await _catalog(engine)
    entity = catalog.entities["combos"]
    async with engine.connect() as connection:
        counted = await connection.execute(
            sa.text(
                "SELECT p.id, count(c.id) FROM combo p "
                "LEFT JOIN combo c ON c.parent_id = p.id GROUP BY p.id ORDER BY p.id"
            )
        )
        children = [int(row[1]) for row in counted.all()][:12]
    plain = (FieldOut("id", "id"),)
    for offset, limit in ((1, 2), (0, 1), (2, None)):
        include = Include("children", offset=offset, limit=limit)
        shape = _kept(rest_shape(catalog, entity, (include,)), {"id", "s_varchar"})
        windows = [max(0, many - offset) for many in children]
        if limit is not None:
            windows = [min(limit, many) for many in windows]
        nested = sum(1 + many for many in windows)
        for reader in (Reader(engine), Reader(engine, json=False)):
            plan = ListPlan("combos", (shape, plain), limit=12, max_rows=nested)
            if reader.json:
                compiled = compile_plan(catalog, entity, plan, engine.dialect)
                assert isinstance(compiled.runs, JsonStatement)
                assert not compiled.runs.counts_in_text
            await reader.list(catalog, plan, FULL_ACCESS)
            below = ListPlan("combos", (shape, plain), limit=12, max_rows=nested - 1)
            with pytest.raises(TooManyRowsError):
                await reader.list(catalog, below, FULL_ACCESS)


async def test_related_rows_in_a_window_over_a_megabyte_are_written_whole(
    engine: AsyncEngine,
) -> None:
    """GROUP_CONCAT with LIMIT is cut at group_concat_max_len as without it."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE wide (id INT PRIMARY KEY, parent_id INT NULL, body TEXT)"
        )
        await connection.exec_driver_sql(
            "INSERT INTO wide VALUES "
            + ",".join(
                f"({n}, {'NULL' if n <= 2 else 1 + n % 2}, REPEAT('x', 20000))"
                for n in range(1, 203)
            )
        )
        metadata = sa.MetaData()
        await connection.run_sync(metadata.reflect)
    entry = _self_related_entry("wide", "wides")
    catalog = build_catalog(1, parse_entries([entry]), dict(metadata.tables))
    entity = catalog.entities["wides"]
    shape = rest_shape(catalog, entity, (Include("children", offset=5, limit=90),))
    plan = ListPlan("wides", (shape,), limit=2)
    assert isinstance(compile_plan(catalog, entity, plan, engine.dialect).runs, JsonStatement)
    page = await Reader(engine).list(catalog, plan, FULL_ACCESS)
    assert len(page.arrays[0]) > 2 * 90 * 20_000
    assert page == await Reader(engine, json=False).list(catalog, plan, FULL_ACCESS)


async def test_a_belongs_to_by_another_column_is_its_first_row_as_the_rows_read_it(
    engine: AsyncEngine,
) -> None:
    """A belongsTo whose parent column is not the parent's identifier may match several rows:
    its first (by identifier) is kept, here by GROUP_CONCAT's LIMIT 1, as the row path keeps
    it."""
    catalog = await _catalog(engine)
    table = catalog.entities["combos"].table
    entry = {
        **plain_entry("combo", "combos", "id", _combo_fields()),
        "parentRelations": [
            {
                "name": "twin",
                "isEditable": False,
                "parentDynamicEntityConfiguration": {"tableAlias": "combos"},
                "relationFieldMappings": [{"childFieldName": "i_tiny", "parentFieldName": "i_int"}],
            }
        ],
    }
    catalog = build_catalog(1, parse_entries([entry]), {"combo": table})
    entity = catalog.entities["combos"]
    shape = _kept(rest_shape(catalog, entity, (Include("twin"),)), {"id", "i_int", "i_tiny"})
    json, rows = Reader(engine), Reader(engine, json=False)
    plan = ListPlan("combos", (shape,), limit=100, max_rows=10_000)
    compiled = compile_plan(catalog, entity, plan, engine.dialect)
    assert isinstance(compiled.runs, JsonStatement)
    assert "LIMIT 1)" in compiled.runs.sql
    page = await json.list(catalog, plan, FULL_ACCESS)
    assert page == await rows.list(catalog, plan, FULL_ACCESS)
    assert page.arrays[0].count('"twin":{') > 1
