"""Reads whose JSON the database writes, on SQLite and PostgreSQL, answer byte for byte what
the row-by-row path answers, for every field type over every column type it may be declared
on, with edge values, and for lists with filters, sort, pages, counts and relationships; and
exactly the combinations listed here take the JSON path (a regression to the row path fails).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import struct
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from app.gateway import Gateway
from schema_builder.catalog import Field
from schema_builder.definition import FieldDefinition, parse_entries
from schema_builder.operations.reads.sql.statement import DIALECTS
from tests.entries import plain_entry
from tests.test_read_json import Paths

UTC = dt.UTC
EAST = dt.timezone(dt.timedelta(hours=5, minutes=30))
WEST = dt.timezone(dt.timedelta(hours=-3))

TEXTS = [
    "",
    "plain",
    "Zürich ✓ 日本 😀",
    "\x01\x1f\x7f tab\t nl\n cr\r ff\f bs\b",
    'quote " backslash \\ slash /',
    "\u2028 \u2029 \u00e9",
]
FLOATS = [0.1, 1e20, 1e-7, -0.0, 0.0, 100.0, 1e16, 1e-5, 1e-6, -1.5, 5.767352633753738e16]
FLOATS += [1.7976931348623157e308, 5e-324, 123456.789, 0.30000000000000004, math.nan, math.inf]
REALS = [0.1, 1e20, 1e-7, -0.0, 3.4e38, 1.5, 100.0, -math.inf]
MOMENTS = [
    dt.datetime(2024, 2, 29, 13, 45, 30, 123456),
    dt.datetime(2024, 2, 29, 13, 45, 30),
    dt.datetime(5, 3, 4, 1, 2, 3, 1),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2000, 1, 1),
]
ZONED = [
    dt.datetime(2024, 2, 29, 13, 45, 30, 123456, tzinfo=UTC),
    dt.datetime(1999, 12, 31, 23, 59, 59, 500000, tzinfo=EAST),
    dt.datetime(2024, 1, 1, 12, tzinfo=WEST),
    dt.datetime(2000, 1, 1, tzinfo=UTC),
]
DAYS = [dt.date(2024, 2, 29), dt.date(5, 3, 4), dt.date(9999, 12, 31), dt.date(1970, 1, 1)]
INTEGERS = [0, 1, -1, 2**31 - 1, -(2**31), 120000, 10000]
BIGS = [*INTEGERS, 2**63 - 1, -(2**63), 1230000000000]
SMALLS = [0, 1, -1, 32767, -32768]


def decimals(scale: int | None) -> list[Decimal]:
    base = ["0", "-0.01", "9999999999.99", "20.00", "0.10", "1", "-100000000", "0.5"]
    if scale is None:
        base += ["1E+20", "0.0000000", "-0.00000012300", "120000", "0.000001", "1e-7"]
        base += ["12345678901234567890.0123456789", "-1.5", "100"]
    values = [Decimal(v) for v in base]
    if scale is not None:
        values = [v.quantize(Decimal(1).scaleb(-scale)) for v in values]
        values = [v for v in values if len(v.as_tuple().digits) <= 12]
    return values


@dataclass(frozen=True)
class Column:
    """A column of the combination table: its field type, SQL type per database, the
    values it holds, and whether its reads take the JSON path on each database."""

    name: str
    kind: str
    postgresql: str
    sqlite: str
    values: list[Any]
    written_on: frozenset[str]


BOTH = frozenset({"postgresql", "sqlite"})
PG = frozenset({"postgresql"})
NONE: frozenset[str] = frozenset()

COLUMNS = [
    Column("i_small", "integer", "smallint", "SMALLINT", SMALLS, BOTH),
    Column("i_int", "integer", "integer", "INTEGER", INTEGERS, BOTH),
    Column("i_big", "integer", "bigint", "BIGINT", BIGS, BOTH),
    Column("d_scaled", "decimal", "numeric(12,2)", "NUMERIC(12, 2)", decimals(2), BOTH),
    Column("d_free", "decimal", "numeric", "NUMERIC", decimals(None), BOTH),
    Column("d_whole", "decimal", "numeric(24,0)", "NUMERIC(24, 0)", decimals(0), BOTH),
    Column("d_fine", "decimal", "numeric(30,10)", "NUMERIC(30, 10)", decimals(10), BOTH),
    Column("d_int", "decimal", "integer", "INTEGER", INTEGERS, BOTH),
    Column("d_big", "decimal", "bigint", "BIGINT", BIGS, BOTH),
    Column("d_double", "decimal", "float8", "FLOAT", FLOATS, BOTH),
    Column("d_real", "decimal", "real", "REAL", REALS, BOTH),
    Column("f_double", "float", "float8", "FLOAT", FLOATS, NONE),
    Column("f_real", "float", "real", "REAL", REALS, NONE),
    Column("f_numeric", "float", "numeric(12,2)", "NUMERIC(12, 2)", decimals(2), NONE),
    Column("f_int", "float", "integer", "INTEGER", INTEGERS, NONE),
    Column("b_bool", "boolean", "boolean", "BOOLEAN", [True, False], BOTH),
    Column("s_varchar", "string", "varchar(64)", "VARCHAR(64)", TEXTS, BOTH),
    Column("s_text", "string", "text", "TEXT", TEXTS, BOTH),
    Column("s_char", "string", "char(5)", "CHAR(5)", ["ab", "", "abcde", "é"], BOTH),
    Column("s_day", "string", "date", "DATE", DAYS, BOTH),
    Column("s_moment", "string", "timestamp", "DATETIME", MOMENTS, BOTH),
    Column("s_zoned", "string", "timestamptz", "TIMESTAMP", ZONED, BOTH),
    Column("da_day", "date", "date", "DATE", DAYS, BOTH),
    Column("da_moment", "date", "timestamp", "DATETIME", MOMENTS, BOTH),
    Column("t_moment", "datetime", "timestamp", "DATETIME", MOMENTS, BOTH),
    Column("t_zoned", "datetime", "timestamptz", "TIMESTAMP", ZONED, PG),
    Column("j_doc", "json", "jsonb", "JSON", [{"b": 1.10, "a": [1e2, "x"]}, [], "s", 1], NONE),
    Column("j_text", "json", "text", "TEXT", ['{"b": 1.10, "a": 1}', "not json", "[]"], NONE),
    Column("s_doc", "string", "jsonb", "JSON", [{"b": 1.5}, [1, 2]], NONE),
]


def columns_of(backend: str) -> list[Column]:
    if backend == "sqlite":
        # a time zone's offset is not stored there
        return [c for c in COLUMNS if c.name not in ("s_zoned", "t_zoned")]
    return COLUMNS


def sql_type(column: Column, backend: str) -> str:
    return column.postgresql if backend == "postgresql" else column.sqlite


def combo_entry(table: str, alias: str, columns: list[Column]) -> dict[str, Any]:
    fields = {"id": "integer", "parent_id": "integer"} | {c.name: c.kind for c in columns}
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
        "parentRelations": [
            {
                "name": "parent",
                "isEditable": False,
                "parentDynamicEntityConfiguration": {"tableAlias": alias},
                "relationFieldMappings": [{"childFieldName": "parent_id", "parentFieldName": "id"}],
            }
        ],
    }


ROWS = 40


async def create_combo(gateway: Gateway, backend: str, rows: int = ROWS) -> list[Column]:
    """The ``combo`` table with every column of ``backend``, rows cycling through each
    column's edge values (every tenth value NULL), parents chosen at random, and a table
    ``combo_<name>`` per column with the same rows of that column; an entity per column
    (``combo-<name>``) and ``combos`` with every field the JSON path writes on ``backend``."""
    columns = columns_of(backend)
    rng = random.Random(14)  # noqa: S311 - test data
    values = []
    for row in range(rows):
        # inserted in reverse, so that no order is the order of insertion by chance
        record: dict[str, Any] = {
            "id": rows - row,
            "parent_id": rng.choice([None, *range(1, rows + 1)]),
        }
        for column in columns:
            held = column.values
            record[column.name] = None if row % 10 == 9 else held[row % len(held)]
        values.append(record)
    tables = {"combo": columns} | {f"combo_{c.name}": [c] for c in columns}
    async with gateway.engine.begin() as connection:
        for name, held in tables.items():
            ddl = ", ".join(f"{c.name} {sql_type(c, backend)}" for c in held)
            await connection.exec_driver_sql(
                f"CREATE TABLE {name} (id integer PRIMARY KEY, parent_id integer, {ddl})"
            )
            table = await connection.run_sync(reflected, name)
            kept = {"id", "parent_id", *(c.name for c in held)}
            await connection.execute(
                table.insert(), [{k: v for k, v in r.items() if k in kept} for r in values]
            )
    written = [c for c in columns if backend in c.written_on]
    entries = [combo_entry("combo", "combos", written)]
    entries += [combo_entry(f"combo_{c.name}", alias_of(c), [c]) for c in columns]
    await gateway.registry.apply(parse_entries(entries))
    return columns


def reflected(connection: sa.Connection, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=connection)


def alias_of(column: Column) -> str:
    return f"combo-{column.name.replace('_', '-')}s"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite and PostgreSQL: MariaDB's combinations are in tests/test_read_json_mariadb.py
    (its column types and value ranges differ)."""
    name: str = request.param
    return name


@pytest.fixture
def paths(client: Any, gateway_app: Any) -> Paths:
    return Paths(client, gateway_app)


async def test_every_combination_is_written_as_the_rows_are_on_its_path(
    gateway: Gateway, paths: Paths, backend: str
) -> None:
    """Each field type over each column type, through REST (list, by id, with a
    relationship) and GraphQL: the same bytes, and the JSON path exactly where listed."""
    columns = await create_combo(gateway, backend)
    for column in columns:
        alias = alias_of(column)
        written = backend in column.written_on
        listed = await paths.compare(
            "GET", f"/dynamic-entity/{alias}?page[offset]=0&page[limit]=100", database=written
        )
        assert listed.status_code == 200, (column.name, listed.text)
        assert len(listed.json()["data"]) == ROWS
        for identifier in (1, 2, 3, 10, 20):
            await paths.compare("GET", f"/dynamic-entity/{alias}/{identifier}", database=written)
        await paths.compare(
            "GET", f"/dynamic-entity/{alias}?include=children,parent", database=written
        )


def the_path_taken(backend: str) -> dict[str, list[str]]:
    columns = columns_of(backend)
    return {
        "json": sorted(
            f"{c.kind}/{sql_type(c, backend)}" for c in columns if backend in c.written_on
        ),
        "rows": sorted(
            f"{c.kind}/{sql_type(c, backend)}" for c in columns if backend not in c.written_on
        ),
    }


def test_the_combinations_left_to_the_row_path_are_these(backend: str) -> None:
    """The list this suite proves, written out: a combination moving to the row path must
    change this list too."""
    rows = {
        "postgresql": [
            "float/float8",
            "float/integer",
            "float/numeric(12,2)",
            "float/real",
            "json/jsonb",
            "json/text",
            "string/jsonb",
        ],
        "sqlite": [
            "float/FLOAT",
            "float/INTEGER",
            "float/NUMERIC(12, 2)",
            "float/REAL",
            "json/JSON",
            "json/TEXT",
            "string/JSON",
        ],
    }
    assert the_path_taken(backend)["rows"] == rows[backend]


LISTS = [
    "sort=-d_int,id",
    "sort=s_text,id&page[offset]=3&page[limit]=7",
    "sort=-t_moment,id&count=true",
    "sort=b_bool,-id&page[offset]=0&page[limit]=5&count=true",
    "filter[c.i_int]=1",
    "filter[c.s_text]=Zürich ✓ 日本 😀",
    'filter[c.i_big]={"gte": "0", "lt": "100000"}&count=true',
    'filter[c.id]={"in": [1, 3, 5, 99]}',
    'filter[c.d_int]={"in": ["120000", "-1"]}',
    'filter[c.s_text]={"like": "%back%"}',
    'filter[c.b_bool]={"isNull": true}',
    'filter[c.da_day]={"gt": "2000-01-01"}',
    'filter[c.t_moment]={"in": ["2024-02-29T13:45:30.123456", "2000-01-01T00:00:00"]}',
    'filter[c.t_moment]={"lte": "2024-02-29T13:45:30.123456"}&sort=t_moment,id',
    "filter[c.b_bool]=false&include=children,parent",
    "include=children&page[offset]=0&page[limit]=4",
    "include=children,parent&sort=-id&count=true",
    "page[offset]=100&page[limit]=5&count=true",
]


@pytest.mark.parametrize("query", LISTS)
async def test_lists_are_written_as_the_rows_are(
    gateway: Gateway, paths: Paths, backend: str, query: str
) -> None:
    await create_combo(gateway, backend)
    await paths.compare("GET", f"/dynamic-entity/combos?{query}")


async def test_graphql_relationships_are_written_as_every_executor_writes_them(
    gateway: Gateway, paths: Paths, backend: str
) -> None:
    columns = await create_combo(gateway, backend)
    fields = " ".join(c.name for c in columns if backend in c.written_on)
    queries = [
        f"{{ combos(sort: [ID_ASC]) {{ totalCount items {{ id {fields} }} }} }}",
        "{ combos(sort: [ID_DESC], offset: 2, limit: 9) { items { id parent { id s_text"
        " parent { id t_moment } } children(limit: 2, offset: 1, sort: [ID_DESC]) { id d_int"
        " children { id } } } } }",
        "{ combos(filter: {b_bool: {eq: true}}) { items { id children(limit: 1) { id } } } }",
        "{ combo(id: 3) { id s_text children(offset: 1) { id da_day } parent { id } } }",
        "{ combo(id: 999) { id } }",
    ]
    for query in queries:
        await paths.graphql(query)


async def test_many_rows_keep_their_order(gateway: Gateway, paths: Paths, backend: str) -> None:
    """Rows inserted in reverse and at random are joined in the order asked for: the page
    and the related rows of each parent (SQLite joins them with a window's order)."""
    await create_combo(gateway, backend, rows=400)
    for query in (
        "sort=id&page[offset]=0&page[limit]=400",
        "sort=-s_text,-id&page[offset]=0&page[limit]=400&include=children",
        "sort=parent_id,id&page[offset]=17&page[limit]=300&include=children,parent",
    ):
        response = await paths.compare("GET", f"/dynamic-entity/combos?{query}")
        assert len(response.json()["data"]) > 200
    data = await paths.graphql(
        "{ combos(sort: [PARENT_ID_ASC, ID_DESC], limit: 400) { items { id"
        " children(sort: [ID_DESC]) { id } } } }"
    )
    items = data["combos"]["items"]
    for item in items:
        children = [child["id"] for child in item["children"]]
        assert children == sorted(children, reverse=True)


async def test_doubles_of_every_magnitude_are_written_as_python_writes_them(
    engine: Any, backend: str
) -> None:
    """``decimal`` over a float column: ``str(Decimal(repr(x)))`` for random bit patterns and
    magnitudes (on SQLite by dexgate's function)."""
    column = sa.Column("x", sa.Float(precision=53))
    table = sa.Table(
        "doubles", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), column
    )
    field = Field(
        "x", column, FieldDefinition("x", "x", "decimal", False, False), (0, 0), None, None, None
    )
    render = DIALECTS[backend].renderer(field)
    assert render is not None
    rng = random.Random(1127)  # noqa: S311 - test data
    values = [*FLOATS, *REALS, 2.4050256054455373e17, -2.1055628949563188e16, 1e15, 1e-6]
    values += [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(2000)]
    values += [rng.uniform(-1, 1) * 10.0 ** rng.randrange(-30, 30) for _ in range(2000)]
    values += [float(rng.randrange(10**17)) * 10.0 ** rng.randrange(-8, 8) for _ in range(1000)]
    async with engine.begin() as connection:
        await connection.run_sync(table.metadata.create_all)
        await connection.execute(table.insert(), [{"id": n, "x": v} for n, v in enumerate(values)])
        written = (await connection.execute(sa.select(render(column)).order_by(table.c.id))).all()
        # as stored: SQLite keeps -0.0 as 0.0 and NaN as NULL
        stored = (await connection.execute(sa.select(column).order_by(table.c.id))).scalars()
    expected = ["null" if v is None else '"' + str(Decimal(repr(v))) + '"' for v in stored]
    assert [row[0] for row in written] == expected


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite's storage; PostgreSQL's is exact
@pytest.mark.parametrize("scale", [2, 0, 10])
async def test_numeric_values_are_written_as_the_row_path_writes_them_on_sqlite(
    engine: Any, backend: str, scale: int
) -> None:
    """``decimal`` over a SQLite ``NUMERIC`` column, which holds integers and doubles: what
    SQLAlchemy's ``'%.<scale>f' %`` and ``str()`` of the Decimal make of each, for the values
    SQLite's own ``printf`` writes the same (most) and those it does not: ties (``0.125``, which
    it rounds up and Python to even), more than 15 digits, integers past 2**53, zero's sign,
    and infinities."""
    table = sa.Table("numerics", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    table.append_column(sa.Column("x", sa.Numeric(30, scale)))
    field = Field(
        "x", table.c.x, FieldDefinition("x", "x", "decimal", False, False), (0, 0), None, None, None
    )
    render = DIALECTS[backend].renderer(field)
    assert render is not None
    rng = random.Random(2026)  # noqa: S311 - test data
    ties = [k / 8 for k in range(-20, 21)] + [2.675, 1.005, 0.145, 1.115, -2.675, 1e-3, 5e-3]
    edges = [0, -0.0, 1e13 - 0.01, 1e13, 1e13 + 0.5, 99999.99999, 1e15, 1e20, -1e20]
    edges += [2**53 - 1, 2**53, 2**53 + 1, -(2**63), 2**63 - 1, 10**5, 12345678901234]
    edges += [math.inf, -math.inf, 123456.789, 0.1 + 0.2, 5e-324, 1.7976931348623157e308]
    values: list[Any] = [*ties, *edges]
    values += [round(rng.uniform(-1e6, 1e6), rng.randrange(0, 12)) for _ in range(3000)]
    values += [rng.uniform(-1, 1) * 10.0 ** rng.randrange(-12, 16) for _ in range(2000)]
    values += [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(1000)]
    values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            f"CREATE TABLE numerics (id INTEGER PRIMARY KEY, x NUMERIC(30, {scale}))"
        )
        await connection.exec_driver_sql(
            "INSERT INTO numerics (id, x) VALUES (?, ?)",
            [(n, v) for n, v in enumerate(values)] + [(len(values), None)],
        )
        stored = (await connection.execute(sa.select(table.c.x).order_by(table.c.id))).all()
        written = (
            await connection.execute(sa.select(render(table.c.x)).order_by(table.c.id))
        ).all()
    expected = ["null" if row[0] is None else '"' + str(row[0]) + '"' for row in stored]
    assert [row[0] for row in written] == expected
