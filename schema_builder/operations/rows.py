"""Rows of an entity as the API shows them: the page's statement, ordering, and related rows
loaded one statement per relationship level for the whole page (reads written in Python, the
export stream, writes reading back what they saved)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from schema_builder.catalog import Catalog, Entity, Field, Relation
from schema_builder.errors import (
    RelationNotFoundError,
    TooManyRowsError,
    UnknownSortFieldError,
)
from schema_builder.operations.filters import compile_conditions
from schema_builder.operations.ir import Include, SortKey
from schema_builder.operations.null_order import NullsOrdered

Row = dict[str, Any]


def check_includes(catalog: Catalog, entity: Entity, includes: Sequence[Include]) -> None:
    """Raise 1313 for an unknown or mis-placed relationship name, before any SQL runs."""
    for include in includes:
        relation = entity.relations.get(include.name)
        if relation is None:
            raise RelationNotFoundError(include.name)
        check_includes(catalog, catalog.entities[relation.target], include.children)


def _relation_columns(entity: Entity) -> list[str]:
    """Columns relationships match on that are not configured fields, in a fixed order."""
    extras: list[str] = []
    for rel in entity.relations.values():
        if rel.local not in entity.by_column and rel.local not in extras:
            extras.append(rel.local)
    return extras


def local_position(entity: Entity, relation: Relation) -> int:
    """Where the relationship's matching column is in a row selected by select_columns."""
    field = entity.by_column.get(relation.local)
    if field is not None:
        return entity.fields.index(field)
    return len(entity.fields) + _relation_columns(entity).index(relation.local)


def select_columns(entity: Entity, includes: Sequence[Any]) -> list[sa.ColumnElement[Any]]:
    """The configured fields and, when relationships are needed, every relationship column."""
    if not includes:
        return [f.column for f in entity.fields]
    # Every relationship column is selected in a fixed order so positions stay stable.
    return [f.column for f in entity.fields] + [
        entity.table.c[name].label(f"__rel_{name}") for name in _relation_columns(entity)
    ]


def ordering(
    entity: Entity,
    sort: Sequence[SortKey],
    column: Callable[[Field], sa.ColumnElement[Any]] | None = None,
) -> list[sa.ColumnElement[Any]]:
    """ORDER BY for the sort keys, then the identifier so that pages are deterministic; over
    the entity's table, or over the columns ``column`` gives for its fields."""
    if column is None:
        column = _table_column
    order: list[sa.ColumnElement[Any]] = []
    sorted_by: set[str] = set()
    for key in sort:
        field = entity.field_for_filter(key.field)
        if field is None:
            raise UnknownSortFieldError(key.field, entity.alias)
        # A field named again sorts nothing more; SQLite refuses more than 2000 ORDER BY terms.
        if field.name in sorted_by:
            continue
        sorted_by.add(field.name)
        term: sa.ColumnElement[Any]
        if field.column.nullable:
            # NULLs after every value, as PostgreSQL orders them; SQLite puts them first.
            term = NullsOrdered(column(field), key.descending)
        else:
            term = column(field).desc() if key.descending else column(field).asc()
        order.append(term)
    order.append(column(entity.identifier).asc())
    return order


def _table_column(field: Field) -> sa.ColumnElement[Any]:
    return field.column


def check_row_count(rows: Sequence[Row], includes: Sequence[Include], limit: int | None) -> None:
    """Refuse (DX137) a result that nests more than ``limit`` rows in all. A related row is
    one object shared by its parents until the response is written, where it is repeated
    under each: counted once per parent here, without writing anything out."""
    if limit is None or not includes:
        return
    seen: dict[tuple[int, int], int] = {}
    if sum(_nested_count(row, includes, seen) for row in rows) > limit:
        raise too_many_rows(limit)


def too_many_rows(limit: int) -> TooManyRowsError:
    """The refusal of a response that would nest more than ``limit`` rows."""
    return TooManyRowsError(limit)


def _nested_count(row: Row, includes: Sequence[Include], seen: dict[tuple[int, int], int]) -> int:
    """The row and every row nested under it, each shared row counted once per parent;
    ``seen`` remembers the count of each (row, include) already counted."""
    key = (id(row), id(includes))
    count = seen.get(key)
    if count is None:
        count = 1
        for include in includes:
            related = row.get(include.output_key)
            children = related if isinstance(related, list) else [related] if related else []
            for child in children:
                count += _nested_count(child, include.children, seen)
        seen[key] = count
    return count


async def shape_rows(
    connection: AsyncConnection,
    catalog: Catalog,
    entity: Entity,
    rows: Sequence[Sequence[Any]],
    includes: Sequence[Include],
) -> list[Row]:
    """Selected rows as the API shows them, each with its included relationships nested."""
    shaped = [entity.shape(row) for row in rows]
    for include in includes:
        relation = entity.relations[include.name]
        target = catalog.entities[relation.target]
        position = local_position(entity, relation)
        keys = [row[position] for row in rows]
        await attach(connection, catalog, relation, target, keys, shaped, include)
    return shaped


def _among(
    connection: AsyncConnection, column: sa.Column[Any], values: list[Any]
) -> sa.ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY($1)`` with one array parameter, so
    the statement text (and the server's prepared statement) is the same for every page."""
    if connection.dialect.name == "postgresql":
        array = sa.bindparam("related_keys", values, type_=postgresql.ARRAY(column.type))
        return column == sa.any_(array)
    return column.in_(values)


async def attach(
    connection: AsyncConnection,
    catalog: Catalog,
    relation: Relation,
    target: Entity,
    keys: Sequence[Any],
    parents: Sequence[Row],
    include: Include,
) -> None:
    """Load the related rows of every parent in one statement and nest them under the
    include's key: a list for hasMany, an object for belongsTo; absent when none.

    A per-parent ``limit``/``offset`` is applied with ROW_NUMBER() over the parent key, so it
    still takes one statement for the whole page."""
    wanted = sorted({k for k in keys if k is not None}, key=repr)
    if not wanted:
        return
    remote = target.table.c[relation.remote]
    columns = select_columns(target, include.children)
    where = [_among(connection, remote, wanted), *compile_conditions(target, include.conditions)]
    order = ordering(target, include.sort)
    windowed = relation.many and (include.limit is not None or include.offset)
    if windowed:
        number = sa.func.row_number().over(partition_by=remote, order_by=order)
        inner = (
            sa.select(*columns, remote.label("__match"), number.label("__n")).where(*where)
        ).subquery()
        position = inner.c["__n"]
        bounds = [position > include.offset]
        if include.limit is not None:
            bounds.append(position <= include.offset + include.limit)
        statement = (
            sa.select(*list(inner.c)[:-1]).where(*bounds).order_by(inner.c["__match"], position)
        )
    else:
        statement = sa.select(*columns, remote.label("__match")).where(*where).order_by(*order)
    remote_index = len(columns)
    rows = (await connection.execute(statement)).all()
    nested = await shape_rows(connection, catalog, target, rows, include.children)
    grouped: dict[Any, list[Row]] = {}
    for row, out in zip(rows, nested, strict=True):
        grouped.setdefault(row[remote_index], []).append(out)
    key_name = include.output_key
    for key, parent in zip(keys, parents, strict=True):
        related = grouped.get(key)
        if not related:
            continue
        parent[key_name] = related if relation.many else related[0]
