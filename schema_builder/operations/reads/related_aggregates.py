"""A row's aggregate of its related rows (:class:`~schema_builder.operations.ir.AggregateOut`):
the measures as SQL, and their values written as the root aggregates write them.

The values are those of :class:`~schema_builder.operations.aggregates.measures.MeasureSql`:
counts as integers, exact decimal sums as text, averages divided in Python. The JSON
statement (:mod:`schema_builder.operations.reads.sql.statement`) has the database write each
row's measures as a JSON array of raw values (counts as numbers, sums as strings, minimums and
maximums as the field's JSON), which :func:`finish` turns into the answer's objects once the
statement has run; the row path (:mod:`schema_builder.operations.reads.row_json`) reads them
grouped by the related key and writes them with :func:`written`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import InvalidAggregateError
from schema_builder.json_output import dumps, loads_constant
from schema_builder.operations.aggregates.measures import MeasureSql, measure_sql
from schema_builder.operations.aggregates.paths import Paths
from schema_builder.operations.filters import compile_conditions
from schema_builder.operations.ir import (
    AggregateOut,
    AggregateShape,
    ConstantOut,
    FieldOut,
    RelationOut,
    Shape,
)

# Functions whose value the JSON statement writes as the field's own JSON, final.
WRITTEN_AS_FIELD = ("min", "max")


def measures_of(
    catalog: Catalog, entity: Entity, entry: AggregateOut, dialect: str
) -> tuple[Entity, tuple[MeasureSql, ...]]:
    """The related entity and the entry's measures over its table on ``dialect`` (a
    dialect's name); refuses an unknown field (DX150) or a function that does not apply
    (DX152)."""
    relation = entity.relations[entry.include.name]
    target = catalog.entities[relation.target]
    paths = Paths(catalog, target)
    return target, tuple(measure_sql(paths, measure, dialect) for measure in entry.measures)


def values(measures: Sequence[MeasureSql], raw: Sequence[Any], *, json: bool) -> list[Any]:
    """Each measure's value from the values selected for them in order (``json``: as the JSON
    statement writes them, minimums and maximums already final)."""
    out: list[Any] = []
    position = 0
    for measure in measures:
        width = measure.width()
        part = raw[position : position + width]
        position += width
        if json and measure.measure.function in WRITTEN_AS_FIELD:
            out.append(part[0])
        else:
            out.append(measure.value(part))
    return out


def written(output: AggregateShape, measured: Sequence[Any]) -> dict[str, Any]:
    """The aggregate's object: each key with its measure's value, constant or object."""
    out: dict[str, Any] = {}
    for key, item in output:
        if isinstance(item, int):
            out[key] = measured[item]
        elif isinstance(item, str):
            out[key] = loads_constant(item)
        else:
            out[key] = written(item, measured)
    return out


class Finisher:
    """Turns the JSON statement's raw arrays of a plan's shapes into the aggregates'
    objects."""

    def __init__(self, catalog: Catalog, entity: Entity, dialect: str) -> None:
        self.catalog = catalog
        self.entity = entity
        self.dialect = dialect
        # Per entry (by identity, the entry kept alive with it): its measures.
        self._measures: dict[int, tuple[AggregateOut, tuple[MeasureSql, ...]]] = {}

    def finish(self, text: str, shape: Shape) -> str:
        """``text`` (a row's object or an array of them) with its aggregates written."""
        data = orjson.loads(text)
        self._walk(self.entity, shape, data)
        return dumps(data)

    def _walk(self, entity: Entity, shape: Shape, data: Any) -> None:
        if isinstance(data, list):
            for item in data:
                self._walk(entity, shape, item)
            return
        if not isinstance(data, dict):
            return
        for entry in shape:
            if isinstance(entry, AggregateOut):
                known = self._measures.get(id(entry))
                if known is None:
                    _target, found = measures_of(self.catalog, entity, entry, self.dialect)
                    known = self._measures[id(entry)] = (entry, found)
                measures = known[1]
                raw: list[Any] = data[entry.key]
                data[entry.key] = written(entry.output, values(measures, raw, json=True))
            elif isinstance(entry, RelationOut):
                relation = entity.relations[entry.include.name]
                target = self.catalog.entities[relation.target]
                self._walk(target, entry.shape, data.get(entry.key))


def check_aggregates(catalog: Catalog, entity: Entity, shape: Shape, dialect: str) -> None:
    """Refuse what the shape's aggregates cannot answer (DX150, DX152) before any SQL runs,
    as the JSON statement's planning does."""
    for entry in shape:
        if isinstance(entry, AggregateOut):
            target, _measures = measures_of(catalog, entity, entry, dialect)
            compile_conditions(target, entry.include.conditions)
        elif isinstance(entry, RelationOut):
            relation = entity.relations[entry.include.name]
            check_aggregates(catalog, catalog.entities[relation.target], entry.shape, dialect)


async def attach_aggregates(
    connection: AsyncConnection,
    catalog: Catalog,
    entity: Entity,
    shape: Shape,
    rows: Sequence[dict[str, Any]],
) -> None:
    """The shape's aggregates of ``rows`` (as ``shape_rows`` nests them), at every level,
    written under their keys: one statement per aggregate and level for every row, grouped
    by the related key."""
    if not rows:
        return
    dialect = connection.dialect.name
    for entry in shape:
        if isinstance(entry, FieldOut | ConstantOut):
            continue
        relation = entity.relations[entry.include.name]
        target = catalog.entities[relation.target]
        if isinstance(entry, RelationOut):
            children: list[dict[str, Any]] = []
            for row in rows:
                related = row.get(entry.key)
                if isinstance(related, list):
                    children.extend(related)
                elif isinstance(related, dict):
                    children.append(related)
            await attach_aggregates(connection, catalog, target, entry.shape, children)
            continue
        local = entity.by_column.get(relation.local)
        if local is None:
            raise InvalidAggregateError(
                f"`{entry.include.name}`'s aggregate needs its key column "
                f"`{relation.local}` to be a field of `{entity.alias}` here."
            )
        _target, measures = measures_of(catalog, entity, entry, dialect)
        keys = sorted({row[local.name] for row in rows if row[local.name] is not None}, key=repr)
        found: dict[Any, list[Any]] = {}
        if keys:
            remote = target.table.c[relation.remote]
            selected = [column for measure in measures for column in measure.selected()]
            statement = (
                sa.select(remote, *selected)
                .where(remote.in_(keys), *compile_conditions(target, entry.include.conditions))
                .group_by(remote)
            )
            for result in (await connection.execute(statement)).all():
                found[result[0]] = values(measures, result[1:], json=False)
        empty = values(measures, [None] * sum(m.width() for m in measures), json=False)
        for row in rows:
            measured = found.get(row[local.name], empty)
            row[entry.key] = written(entry.output, measured)
