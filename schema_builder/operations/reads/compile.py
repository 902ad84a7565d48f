"""A plan compiled, once per request shape, into what executes it.

The choice is made here, from the dialect, the field types and the features the plan uses,
and never changes at execution:

- :class:`JsonStatement`: one statement in which the database writes the response's JSON
  (:mod:`schema_builder.operations.reads.sql.statement`); Python receives one text value. Taken
  when the database has a JSON writer (:func:`json_dialect`) and every value of the plan can
  be written by it byte for byte as Python writes it (:func:`writable`).
- :class:`RowStatement`: rows read with SQLAlchemy statements, one per relationship level
  for the whole page, and written as JSON by Python
  (:mod:`schema_builder.operations.reads.rows`). Taken for the rest: a field type the
  database cannot write exactly, and REST includes nested more than one level (their size,
  which grows with every level of an include chain that loops back, is bounded by counting
  shared rows before anything is written).

Both answer the same text for the same rows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from schema_builder.catalog import Catalog, Entity
from schema_builder.operations.filters import compile_conditions
from schema_builder.operations.ir import AggregateOut, ConstantOut, FieldOut, Include, Shape
from schema_builder.operations.reads.plan import (
    ListPlan,
    Plan,
    aggregates_in,
    depth,
    includes_of,
    shapes_of,
)
from schema_builder.operations.reads.related_aggregates import Finisher, check_aggregates
from schema_builder.operations.reads.sql.dialect import JsonDialect
from schema_builder.operations.reads.sql.postgresql import constant_is_safe
from schema_builder.operations.reads.sql.statement import DIALECTS, get_statement, list_statement
from schema_builder.operations.reads.template import Planner
from schema_builder.operations.rows import ordering, select_columns

Processor = Callable[[Any], Any] | None
_SLOT = re.compile(r"p[0-9]+")


@dataclass(frozen=True, slots=True)
class JsonStatement:
    """SQL text whose first row holds the answer: for a list, the JSON array of each shape,
    then the nested row count (when bounded) and the total (when counted); for a get, the
    object, then the nested row count; no row when there is none. A ``per_row`` list
    answers a row per page row instead (see ``list_statement``)."""

    sql: str
    slots: tuple[int, ...]  # the value slot of each positional parameter
    processors: tuple[Processor, ...]
    values: tuple[Any, ...]  # the plan's values; a get's slot 0 is its identifier
    arrays: int
    # a list answered one row per page row, for the reader to join (``JsonDialect.per_row``)
    per_row: bool = False
    # the nested row count is not in the rows: the reader counts the answer's objects
    # (``JsonDialect.counts_in_text``)
    counts_in_text: bool = False

    def parameters(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            values[slot] if process is None else process(values[slot])
            for slot, process in zip(self.slots, self.processors, strict=True)
        )


@dataclass(frozen=True, slots=True)
class RowStatement:
    """The page's statement (a list's; a get's is made per identifier), the count's, and the
    relationships each shape reads."""

    page: sa.Select[Any] | None
    count: sa.Select[Any] | None
    includes: tuple[tuple[Include, ...], ...]  # per shape
    shapes: tuple[Shape, ...]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A plan ready to execute: its entity and how it runs; for a JSON statement whose
    shapes hold relationships' aggregates, what writes them (``finish``)."""

    entity: Entity
    runs: JsonStatement | RowStatement
    nested_limit: int | None  # rows the response may nest, when bounded
    finish: Finisher | None = None


# SQLAlchemy names the dialect of mariadb+asyncmy:// URLs "mariadb", of mysql+asyncmy:// "mysql".
_DRIVERS = {
    "postgresql": "asyncpg",
    "sqlite": "aiosqlite",
    "mysql": "asyncmy",
    "mariadb": "asyncmy",
}


def json_dialect(dialect: Dialect) -> JsonDialect | None:
    """The JSON writer of the database on this dialect and driver, if it has one. A
    ``mysql://`` URL may reach a MariaDB server, which SQLAlchemy's dialect tells once it has
    connected (``is_mariadb``): MariaDB's writer then, MySQL's before (its statements are
    MariaDB's too, only slower)."""
    if _DRIVERS.get(dialect.name) != dialect.driver:
        return None
    if getattr(dialect, "is_mariadb", False):
        return DIALECTS["mariadb"]
    return DIALECTS[dialect.name]


def writable(entity: Entity, shape: Shape, catalog: Catalog, writer: JsonDialect) -> bool:
    """Whether the database can write every value of ``shape`` exactly as Python does."""
    if not shape:
        return False
    for position, entry in enumerate(shape):
        if not constant_is_safe(entry.key):
            return False
        if isinstance(entry, FieldOut):
            field = entity.by_name.get(entry.field)
            if field is None or writer.renderer(field) is None:
                return False
        elif isinstance(entry, ConstantOut):
            if not constant_is_safe(entry.json):
                return False
        elif isinstance(entry, AggregateOut):
            if not _aggregate_writable(entity, entry, catalog, writer):
                return False
        else:
            if entry.omit_empty and position == 0:
                return False
            relation = entity.relations[entry.include.name]
            if not writable(catalog.entities[relation.target], entry.shape, catalog, writer):
                return False
    return True


def _aggregate_writable(
    entity: Entity, entry: AggregateOut, catalog: Catalog, writer: JsonDialect
) -> bool:
    """Whether the database writes each measure's values exactly: sums and averages of
    integer and decimal fields over exact columns (their text), minimums and maximums of a
    field it writes."""
    relation = entity.relations.get(entry.include.name)
    if relation is None or not relation.many:
        return False
    target = catalog.entities[relation.target]
    for measure in entry.measures:
        if measure.field is None:
            continue
        field = target.by_name.get(measure.field)
        if field is None or writer.renderer(field) is None:
            return False
        if measure.function in ("sum", "avg") and (
            field.type not in ("integer", "decimal") or isinstance(field.column.type, sa.Float)
        ):
            return False  # a double's sum: its text need not be the one Python writes
    return True


def compile_plan(
    catalog: Catalog, entity: Entity, plan: Plan, dialect: Dialect, *, json: bool = True
) -> Compiled:
    """``plan`` compiled for ``dialect`` (as rows whatever the dialect when not ``json``);
    raises what executing it would refuse (filters, sort fields, values)."""
    shapes = shapes_of(plan)
    rest_limited = plan.max_rows is not None and any(depth(shape) > 1 for shape in shapes)
    writer = json_dialect(dialect) if json else None
    use_json = (
        writer is not None
        and not rest_limited
        and all(writable(entity, shape, catalog, writer) for shape in shapes)
    )
    nested_limit = plan.max_rows if any(depth(shape) for shape in shapes) else None
    runs: JsonStatement | RowStatement
    finish = None
    if use_json and writer is not None:
        runs = _json(catalog, entity, plan, shapes, dialect, writer)
        if any(aggregates_in(shape) for shape in shapes):
            finish = Finisher(catalog, entity, dialect.name)
    else:
        runs = _rows(entity, plan, shapes)
        for shape in shapes:
            check_aggregates(catalog, entity, shape, dialect.name)
    return Compiled(entity, runs, nested_limit, finish)


def _json(
    catalog: Catalog,
    entity: Entity,
    plan: Plan,
    shapes: tuple[Shape, ...],
    dialect: Dialect,
    writer: JsonDialect,
) -> JsonStatement:
    planner = Planner(catalog)
    statement: sa.Select[Any]
    per_row = False
    # One shape without aggregates: each of its rows, at every level, is one object of the
    # answer, and the answer has no other object (see ``objects_in``).
    in_text = (
        writer.counts_in_text
        and len(shapes) == 1
        and not any(aggregates_in(shape) for shape in shapes)
    )
    if isinstance(plan, ListPlan):
        template = planner.list(entity, plan)
        if in_text:
            template = dataclasses.replace(template, nested_count=False)
        statement = list_statement(catalog, template, writer)
        arrays = len(plan.shapes)
        per_row = writer.per_row and arrays > 0
    else:
        one = planner.get(entity, plan)
        if in_text:
            one = dataclasses.replace(one, nested_count=False)
        statement = get_statement(catalog, one, writer)
        arrays = 1
    compiled = statement.compile(dialect=dialect)
    names = list(compiled.positiontup or ())
    processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    # The plan's values are the slots p<index>; a parameter the dialect's compiler adds
    # itself (SQLite's LIMIT -1 before an OFFSET without a limit) keeps its value, after them.
    values = list(planner.values)
    slots = []
    for name in names:
        if _SLOT.fullmatch(name):
            slots.append(int(name[1:]))
        else:
            slots.append(len(values))
            values.append(compiled.binds[name].effective_value)
    return JsonStatement(
        compiled.string, tuple(slots), processors, tuple(values), arrays, per_row, in_text
    )


def objects_in(text: str) -> int:
    """How many objects the JSON ``text`` written by a statement of a ``counts_in_text``
    dialect holds: each starts with ``{"`` (no object of a shape is empty), which a string
    value cannot hold unescaped (its quote is written ``\\"``); such a dialect writes no other
    JSON value (json fields take the row path) with objects in it."""
    return text.count('{"')


def _rows(entity: Entity, plan: Plan, shapes: tuple[Shape, ...]) -> RowStatement:
    includes = tuple(includes_of(shape) for shape in shapes)
    every = tuple(include for per_shape in includes for include in per_shape)
    if not isinstance(plan, ListPlan):
        return RowStatement(None, None, includes, shapes)
    where = compile_conditions(entity, plan.conditions)
    order = ordering(entity, plan.sort)
    page = None
    if shapes:
        page = (
            sa.select(*select_columns(entity, every))
            .where(*where)
            .order_by(*order)
            .offset(plan.offset)
        )
        if plan.limit is not None:
            page = page.limit(plan.limit)
    count = None
    if plan.count:
        count = sa.select(sa.func.count()).select_from(entity.table).where(*where)
    return RowStatement(page, count, includes, shapes)
