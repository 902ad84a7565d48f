"""Plans executed as rows: SQLAlchemy statements read them, Python writes the JSON.

The page is read once; each shape's relationships are loaded one statement per level for the
whole page (:func:`schema_builder.operations.rows.shape_rows`); every row is then written as
its shape says, with the values the API writes (``Entity.shape``'s conversions), by
:func:`schema_builder.json_output.dumps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import EntityNotFoundError
from schema_builder.json_output import dumps, loads_constant
from schema_builder.operations.ir import AggregateOut, ConstantOut, FieldOut, Shape
from schema_builder.operations.reads.compile import RowStatement
from schema_builder.operations.reads.related_aggregates import attach_aggregates
from schema_builder.operations.rows import check_row_count, select_columns, shape_rows

Row = dict[str, Any]


async def list_page(
    connection: AsyncConnection,
    catalog: Catalog,
    entity: Entity,
    runs: RowStatement,
    nested_limit: int | None,
) -> tuple[tuple[str, ...], int | None]:
    """The JSON array of each shape and the total when counted."""
    rows: Sequence[Any] = []
    if runs.page is not None:
        rows = (await connection.execute(runs.page)).all()
    total = None
    if runs.count is not None:
        total = int(await connection.scalar(runs.count) or 0)
    arrays = []
    for shape, includes in zip(runs.shapes, runs.includes, strict=True):
        shaped = await shape_rows(connection, catalog, entity, rows, includes)
        check_row_count(shaped, includes, nested_limit)
        await attach_aggregates(connection, catalog, entity, shape, shaped)
        arrays.append(dumps([write(catalog, entity, shape, row) for row in shaped]))
    return tuple(arrays), total


async def get_object(
    connection: AsyncConnection,
    catalog: Catalog,
    entity: Entity,
    runs: RowStatement,
    key: Any,
    nested_limit: int | None,
) -> str:
    """The row's JSON object; 1303 when there is none."""
    includes = runs.includes[0]
    statement = sa.select(*select_columns(entity, includes)).where(entity.identifier.column == key)
    rows = (await connection.execute(statement)).all()
    if not rows:
        raise EntityNotFoundError(entity.alias)
    shaped = await shape_rows(connection, catalog, entity, rows, includes)
    check_row_count(shaped, includes, nested_limit)
    await attach_aggregates(connection, catalog, entity, runs.shapes[0], shaped)
    return dumps(write(catalog, entity, runs.shapes[0], shaped[0]))


def write(catalog: Catalog, entity: Entity, shape: Shape, row: Row) -> Row:
    """``row`` (as :func:`shape_rows` nests it: related rows under each relationship's
    key) as ``shape`` writes it."""
    out: Row = {}
    for entry in shape:
        if isinstance(entry, FieldOut):
            out[entry.key] = row[entry.field]
        elif isinstance(entry, ConstantOut):
            out[entry.key] = loads_constant(entry.json)
        elif isinstance(entry, AggregateOut):
            out[entry.key] = row[entry.key]  # written by ``attach_aggregates``
        else:
            relation = entity.relations[entry.include.name]
            target = catalog.entities[relation.target]
            related = row.get(entry.key)
            if not related:
                if not entry.omit_empty:
                    out[entry.key] = [] if relation.many else None
            elif relation.many:
                out[entry.key] = [write(catalog, target, entry.shape, item) for item in related]
            else:
                out[entry.key] = write(catalog, target, entry.shape, related)
    return out
