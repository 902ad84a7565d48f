"""The aggregates' oracle: a table of random rows on each database, random aggregate requests,
and the same computation in plain Python.

The data avoid what the databases are allowed to answer differently (documented in
docs/compatibility.md): text is lower-case ASCII without trailing spaces (MariaDB's usual
collations compare case- and pad-insensitively), timestamps are whole seconds, floats are
left out of exact comparisons (their sums depend on the order of addition).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from app.gateway import Gateway
from schema_builder.definition import parse_entries
from tests.entries import plain_entry

TABLE = "sale"
ALIAS = "sales"
CATEGORIES = ["apple", "banana", "cherry", "date"]
FIELDS = {
    "id": "integer",
    "category": "string",
    "region": "integer",
    "price": "decimal",
    "qty": "integer",
    "weight": "float",
    "active": "boolean",
    "sold_at": "datetime",
    "sold_on": "date",
    "stamp": "string",
    "store_id": "integer",
}
Row = dict[str, Any]
# The stores a sale belongs to (``store``); ``store_id`` 6 has none.
STORES: list[Row] = [
    {"id": 1, "city": "berlin", "opened": dt.datetime(2019, 5, 1, 9)},
    {"id": 2, "city": "paris", "opened": dt.datetime(2021, 12, 31, 23)},
    {"id": 3, "city": "berlin", "opened": dt.datetime(2022, 1, 1)},
    {"id": 4, "city": "rome", "opened": None},
    {"id": 5, "city": None, "opened": dt.datetime(2024, 2, 29, 12)},
]
STORE_FIELDS = {"id": "integer", "city": "string", "opened": "datetime"}
# The fields of the related store as an aggregate names them, with their types.
RELATED = {"store.city": "string", "store.opened": "datetime"}
TYPES = {**FIELDS, **RELATED}
DDL = {
    "sqlite": (
        "id INTEGER PRIMARY KEY, category VARCHAR(16), region INTEGER, price NUMERIC(12, 2), "
        "qty INTEGER, weight FLOAT, active BOOLEAN, sold_at DATETIME, sold_on DATE, "
        "stamp DATETIME, store_id INTEGER"
    ),
    "postgresql": (
        "id integer PRIMARY KEY, category varchar(16), region integer, price numeric(12, 2), "
        "qty integer, weight float8, active boolean, sold_at timestamp, sold_on date, "
        "stamp timestamp, store_id integer"
    ),
    "mariadb": (
        "id INT PRIMARY KEY, category VARCHAR(16), region INT, price DECIMAL(12, 2), "
        "qty INT, weight DOUBLE, active BOOLEAN, sold_at DATETIME, sold_on DATE, "
        "stamp DATETIME, store_id INT"
    ),
}
STORE_DDL = {
    "sqlite": "id INTEGER PRIMARY KEY, city VARCHAR(16), opened DATETIME",
    "postgresql": "id integer PRIMARY KEY, city varchar(16), opened timestamp",
    "mariadb": "id INT PRIMARY KEY, city VARCHAR(16), opened DATETIME",
}
# Around the turn of a year, where every bucket has an edge (2026-01-01 is a Thursday: the
# days before it belong to 2026-W01, 2025-12-29 included).
START = dt.datetime(2025, 12, 20)
EDGES = [
    dt.datetime(2025, 12, 31, 23, 59, 59),
    dt.datetime(2026, 1, 1, 0, 0, 0),
    dt.datetime(2025, 12, 28, 23, 0, 0),
    dt.datetime(2025, 12, 29, 0, 0, 0),
    dt.datetime(2026, 3, 31, 23, 59, 59),
    dt.datetime(2026, 4, 1, 0, 0, 0),
]


def random_rows(rng: random.Random, count: int) -> list[Row]:
    rows: list[Row] = []
    for index in range(1, count + 1):

        def maybe(value: Any, rng: random.Random = rng) -> Any:
            return None if rng.random() < 0.12 else value

        moment = (
            rng.choice(EDGES)
            if rng.random() < 0.2
            else START + dt.timedelta(seconds=rng.randrange(0, 130 * 86400))
        )
        rows.append(
            {
                "id": index,
                "category": maybe(rng.choice(CATEGORIES)),
                "region": maybe(rng.randrange(1, 5)),
                "price": maybe(Decimal(rng.randrange(0, 100_000)) / 100),
                "qty": maybe(rng.randrange(-5, 60)),
                "weight": maybe(rng.randrange(0, 1000) / 8),
                "active": maybe(rng.random() < 0.5),
                "sold_at": maybe(moment),
                "sold_on": maybe(moment.date()),
                "stamp": maybe(moment),
                "store_id": maybe(rng.randrange(1, 7)),
            }
        )
        store = next((st for st in STORES if st["id"] == rows[-1]["store_id"]), None)
        for name in RELATED:
            rows[-1][name] = None if store is None else store[name.split(".")[1]]
    return rows


async def create_sales(gateway: Gateway, backend: str, rows: Sequence[Row]) -> None:
    """The ``sale`` table with ``rows``, registered as ``sales`` (``stamp`` a string field
    over a timestamp column, as Spryker files declare timestamps), and ``store`` as
    ``stores``: each sale belongs to its store (``store``), a store has its sales."""
    own = [{k: v for k, v in r.items() if k in FIELDS} for r in rows]
    tables: list[tuple[str, str, list[Row]]] = [
        (TABLE, DDL[backend], own),
        ("store", STORE_DDL[backend], STORES),
    ]
    async with gateway.engine.begin() as connection:
        for name, ddl, records in tables:
            await connection.exec_driver_sql(f"CREATE TABLE {name} ({ddl})")
            table = await connection.run_sync(_reflected, name)
            await connection.execute(table.insert(), records)
    mapping = [{"childFieldName": "store_id", "parentFieldName": "id"}]
    sales = plain_entry(TABLE, ALIAS, "id", FIELDS)
    sales["parentRelations"] = [
        {
            "name": "store",
            "isEditable": False,
            "parentDynamicEntityConfiguration": {"tableAlias": "stores"},
            "relationFieldMappings": mapping,
        }
    ]
    stores = plain_entry("store", "stores", "id", STORE_FIELDS)
    stores["childRelations"] = [
        {
            "name": "sales",
            "isEditable": False,
            "childDynamicEntityConfiguration": {"tableAlias": ALIAS},
            "relationFieldMappings": mapping,
        }
    ]
    await gateway.registry.apply(parse_entries([sales, stores]))


def _reflected(connection: sa.Connection, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=connection)


# -- the computation in Python ---------------------------------------------------------------

BUCKETS: dict[str, Callable[[Any], Any]] = {
    "year": lambda d: d.year,
    "quarter": lambda d: f"{d.year:04d}-Q{(d.month + 2) // 3}",
    "month": lambda d: f"{d.year:04d}-{d.month:02d}",
    "week": lambda d: f"{d.isocalendar().year:04d}-W{d.isocalendar().week:02d}",
    "day": lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
    "hour": lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}",
}


def key_value(row: Row, key: str) -> Any:
    """A group key (``field`` or ``bucket(field)``) of a row, as the API writes it."""
    if "(" in key:
        bucket, field = key[:-1].split("(")
        value = row[field]
        return None if value is None else BUCKETS[bucket](value)
    value = row[key]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _cents(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01"), ROUND_HALF_UP), "f")


def measure_value(rows: Sequence[Row], function: str, field: str | None) -> Any:
    """A function over rows as the API writes it."""
    if field is None:
        return len(rows)
    values = [row[field] for row in rows if row[field] is not None]
    if function == "count":
        return len(values)
    if function == "countDistinct":
        return len(set(values))
    if not values:
        return None
    if function in ("min", "max"):
        chosen = min(values) if function == "min" else max(values)
        if isinstance(chosen, dt.datetime | dt.date):
            return chosen.isoformat()
        return _cents(chosen) if isinstance(chosen, Decimal) else chosen
    total = sum(values, Decimal(0)) if TYPES[field] == "decimal" else sum(values)
    if function == "sum":
        return _cents(total) if TYPES[field] == "decimal" else total
    if TYPES[field] == "decimal":
        return _cents(total / len(values))
    return float(Decimal(total) / len(values))


def compared_value(rows: Sequence[Row], function: str, field: str | None) -> Any:
    """The value ``having`` and ``sort`` compare (numbers as numbers)."""
    value = measure_value(rows, function, field)
    if function in ("sum", "avg", "min", "max") and field == "price" and value is not None:
        if function == "avg":
            values = [row[field] for row in rows if row[field] is not None]
            return sum(values, Decimal(0)) / len(values)
        return Decimal(value)
    return value


OPERATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def holds(value: Any, operator: str, operand: Any) -> bool:
    """A condition with SQL's NULLs: only ``isNull`` is true of one."""
    if operator == "isNull":
        return bool((value is None) == operand)
    if value is None:
        return False
    if operator == "in":
        return value in operand
    return OPERATIONS[operator](value, operand)


@dataclass(frozen=True)
class Question:
    """One random aggregate request: ``filters`` and ``having`` as (target, operator,
    operand), ``measures`` as (function, field or None), ``sort`` as (target, descending)."""

    filters: tuple[tuple[str, str, Any], ...]
    groups: tuple[str, ...]
    measures: tuple[tuple[str, str | None], ...]
    having: tuple[tuple[tuple[str, str | None], str, Any], ...]
    sort: tuple[tuple[Any, bool], ...]
    offset: int = 0
    limit: int | None = None

    def answer(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        """The groups, each as ``{"keys": {...}, "values": {(function, field): value}}``,
        in the API's order."""
        kept = [r for r in rows if all(holds(r[f], op, v) for f, op, v in self.filters)]
        groups: dict[tuple[Any, ...], list[Row]] = {}
        for row in kept:
            groups.setdefault(tuple(key_value(row, k) for k in self.groups), []).append(row)
        if not self.groups:
            groups = {(): kept}
        sorted_by = {t for t, _ in self.sort if isinstance(t, tuple)}
        out = []
        for keys, members in groups.items():
            if not all(
                holds(compared_value(members, *measure), op, v) for measure, op, v in self.having
            ):
                continue
            out.append(
                {
                    "keys": dict(zip(self.groups, keys, strict=True)),
                    "values": {m: measure_value(members, *m) for m in self.measures},
                    "compared": {
                        m: compared_value(members, *m) for m in {*self.measures, *sorted_by}
                    },
                }
            )
        return sorted(out, key=self._order)

    def _order(self, group: dict[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for target, descending in self.sort:
            value = (
                group["compared"][target] if isinstance(target, tuple) else group["keys"][target]
            )
            parts.append(_sortable(value, descending))
        parts.extend(_sortable(group["keys"][k], False) for k in self.groups)
        return tuple(parts)


class _Reversed:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    __hash__ = None  # type: ignore[assignment]


def _sortable(value: Any, descending: bool) -> tuple[int, Any]:
    """NULLs after every value ascending, before them descending, as lists order them."""
    if value is None:
        return (0 if descending else 1, 0)
    return (1, _Reversed(value)) if descending else (0, value)


GROUP_KEYS = [
    "category",
    "region",
    "active",
    "sold_on",
    "year(sold_at)",
    "quarter(sold_on)",
    "month(sold_at)",
    "week(sold_at)",
    "week(sold_on)",
    "day(stamp)",
    "hour(sold_at)",
    "store.city",
    "year(store.opened)",
]
MEASURES: list[tuple[str, str | None]] = [
    ("count", None),
    ("count", "price"),
    ("countDistinct", "category"),
    ("sum", "price"),
    ("avg", "price"),
    ("sum", "qty"),
    ("avg", "qty"),
    ("min", "price"),
    ("max", "price"),
    ("min", "sold_at"),
    ("max", "sold_on"),
    ("min", "category"),
    ("max", "qty"),
    ("min", "store.opened"),
    ("countDistinct", "store.city"),
]


def random_question(rng: random.Random) -> Question:
    filters: list[tuple[str, str, Any]] = []
    for _ in range(rng.randrange(0, 3)):
        field = rng.choice(["region", "category", "price", "qty", "active", "store.city"])
        operator = rng.choice(["eq", "ne", "gt", "lte", "in", "isNull"])
        if field == "active" and operator in ("gt", "lte"):
            operator = "eq"
        operand: Any
        if operator == "isNull":
            operand = rng.random() < 0.3
        elif field == "region":
            operand = rng.randrange(1, 5)
        elif field == "category":
            operand = rng.choice(CATEGORIES)
        elif field == "store.city":
            operand = rng.choice(["berlin", "paris", "rome"])
        elif field == "price":
            operand = Decimal(rng.randrange(0, 100_000)) / 100
        elif field == "qty":
            operand = rng.randrange(-5, 60)
        else:
            operand = rng.random() < 0.5
        if operator == "in":
            operand = [operand]
        filters.append((field, operator, operand))
    groups = tuple(rng.sample(GROUP_KEYS, rng.randrange(0, 3)))
    measures = tuple(rng.sample(MEASURES, rng.randrange(1, 5)))
    having: list[tuple[tuple[str, str | None], str, Any]] = []
    if groups and rng.random() < 0.5:
        measure = rng.choice([("count", None), ("sum", "qty"), ("sum", "price"), ("max", "qty")])
        operator = rng.choice(["gt", "gte", "lt", "ne"])
        operand = rng.randrange(0, 4) if measure == ("count", None) else rng.randrange(0, 300)
        having.append((measure, operator, operand))
    sort: list[tuple[Any, bool]] = []
    if groups and rng.random() < 0.7:
        target: Any = rng.choice([*groups, *measures, ("sum", "qty")])
        sort.append((target, rng.random() < 0.5))
    offset, limit = 0, None
    if groups and rng.random() < 0.4:
        offset, limit = rng.randrange(0, 10), rng.randrange(0, 30)
    return Question(tuple(filters), groups, measures, tuple(having), tuple(sort), offset, limit)
