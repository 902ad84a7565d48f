"""GraphQL resolvers: thin adapters from arguments and selections to the operations layer,
for what graphql-core executes (mutations, and queries that are not answered from their plans
by :mod:`schema_builder.graphql.answer`).

A list or by-id field plans its whole selection with the same walk as the plan executor
(:mod:`schema_builder.graphql.selection`), reads it through the application's reader, and hands
graphql-core plain dicts: each field under its name, each relationship under its response key
(read by :func:`relation_resolver`). Errors from the operations carry their REST code and
status in ``extensions``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
from graphql import GraphQLObjectType, GraphQLResolveInfo, get_named_type
from graphql.language import FieldNode

from schema_builder.catalog import Entity
from schema_builder.errors import DexgateError, EntityNotFoundError
from schema_builder.graphql.errors import ManyErrorsError, to_graphql_error
from schema_builder.graphql.selection import (
    GraphQLContext,
    Selection,
    Walk,
    filter_from_input,
)
from schema_builder.graphql.write_selection import require_answerable
from schema_builder.operations import delete as delete_op
from schema_builder.operations import write
from schema_builder.operations.access import require_read
from schema_builder.operations.ir import (
    AggregateOut,
    Condition,
    DeleteRequest,
    FieldOut,
    RelationOut,
    Shape,
    WriteMode,
    WriteRequest,
)
from schema_builder.operations.reads.plan import GetPlan, ListPlan, shape_reads

Resolver = Callable[..., Awaitable[Any]]


def _context(info: GraphQLResolveInfo) -> GraphQLContext:
    context: GraphQLContext = info.context
    return context


def _walk(info: GraphQLResolveInfo, context: GraphQLContext) -> Walk:
    return Walk(Selection(info.schema, info.fragments, info.variable_values), context)


def _rows_shape(
    walk: Walk, entity: Entity, object_type: GraphQLObjectType, nodes: Sequence[FieldNode]
) -> Shape:
    """The shape graphql-core reads objects of: every field under its name (its default
    resolver reads fields by name), each selected relationship under its response key."""
    planned = walk.shape(entity, object_type, nodes)
    entries: list[FieldOut | RelationOut | AggregateOut] = [
        FieldOut(f.name, f.name) for f in entity.fields
    ]
    catalog = walk.context.catalog
    selected = walk.selection.selected(object_type, nodes)
    for entry in planned:
        if isinstance(entry, AggregateOut):
            nested = selected[entry.key]
            entries.append(
                walk.related_aggregate(entity, object_type, entry.key, nested, by_name=True)
            )
        if isinstance(entry, RelationOut):
            relation = entity.relations[entry.include.name]
            target_type = get_named_type(object_type.fields[entry.include.name].type)
            assert isinstance(target_type, GraphQLObjectType)
            target = catalog.entities[relation.target]
            shape = _rows_shape(walk, target, target_type, selected[entry.key])
            entries.append(RelationOut(entry.key, entry.include, shape, omit_empty=False))
    return tuple(entries)


def _items_nodes(
    walk: Walk, list_type: GraphQLObjectType, nodes: Sequence[FieldNode]
) -> tuple[GraphQLObjectType, list[FieldNode]]:
    """The item type and the nodes of every ``items`` selection under ``nodes``."""
    item_type = get_named_type(list_type.fields["items"].type)
    assert isinstance(item_type, GraphQLObjectType)
    selected = walk.selection.selected(list_type, nodes)
    items = [n for sub in selected.values() if sub[0].name.value == "items" for n in sub]
    return item_type, items


async def read_list(
    info: GraphQLResolveInfo, alias: str, args: Mapping[str, Any]
) -> dict[str, Any]:
    """A list field's value, ``{"items": [...], "totalCount": n or None}``, read with its
    whole selection at once. Raises :class:`DexgateError`."""
    context = _context(info)
    list_type = get_named_type(info.return_type)
    assert isinstance(list_type, GraphQLObjectType)
    walk = _walk(info, context)
    plan, _outputs = walk.list_plan(alias, list_type, info.field_nodes, args)
    entity = context.catalog.entity(alias)
    item_type, items = _items_nodes(walk, list_type, info.field_nodes)
    shapes = (_rows_shape(walk, entity, item_type, items),) if items else ()
    plan = ListPlan(
        alias,
        shapes,
        conditions=plan.conditions,
        sort=plan.sort,
        offset=plan.offset,
        limit=plan.limit,
        count=plan.count,
    )
    page = await context.reads.list(context.catalog, plan, context.access)
    return {
        "items": orjson.loads(page.arrays[0]) if shapes else [],
        "totalCount": page.total,
    }


async def read_one(info: GraphQLResolveInfo, alias: str, identifier: Any) -> Any:
    """A by-id field's row with its selected relationships, or None when there is none."""
    context = _context(info)
    object_type = get_named_type(info.return_type)
    assert isinstance(object_type, GraphQLObjectType)
    walk = _walk(info, context)
    entity = context.catalog.entity(alias)
    plan = GetPlan(alias, _rows_shape(walk, entity, object_type, info.field_nodes))
    try:
        text = await context.reads.get(context.catalog, plan, str(identifier), context.access)
    except EntityNotFoundError:
        return None
    return orjson.loads(text)


def list_resolver(alias: str) -> Resolver:
    async def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        try:
            return await read_list(info, alias, args)
        except DexgateError as exc:
            raise to_graphql_error(exc) from exc

    return resolve


def get_resolver(alias: str) -> Resolver:
    async def resolve(_root: Any, info: GraphQLResolveInfo, id: Any) -> Any:
        try:
            return await read_one(info, alias, id)
        except DexgateError as exc:
            raise to_graphql_error(exc) from exc

    return resolve


def relation_resolver(*, many: bool) -> Callable[..., Any]:
    def resolve(parent: Mapping[str, Any], info: GraphQLResolveInfo, **_args: Any) -> Any:
        value = parent.get(str(info.path.key))
        if many:
            return value or []
        return value

    return resolve


def _written_shape(info: GraphQLResolveInfo, context: GraphQLContext, alias: str) -> Shape | None:
    """What a mutation result's ``items`` select, when they select relationships (None
    otherwise: the saved rows answer). Selecting any needs read access, checked before the
    write so that a refusal leaves nothing written."""
    entity = context.catalog.entity(alias)
    result_type = get_named_type(info.return_type)
    assert isinstance(result_type, GraphQLObjectType)
    walk = _walk(info, context)
    item_type, items = _items_nodes(walk, result_type, info.field_nodes)
    shape = _rows_shape(walk, entity, item_type, items)
    reads = shape_reads(shape)
    if not reads:
        return None
    require_read(context.access, context.catalog, entity, reads)
    return shape


async def _with_relations(
    context: GraphQLContext,
    alias: str,
    rows: list[dict[str, Any]],
    shape: Shape | None,
) -> list[dict[str, Any]]:
    """The saved rows with their selected relationships read back (one statement per level)."""
    if shape is None or not rows:
        return rows
    entity = context.catalog.entity(alias)
    key = entity.identifier.name
    plan = ListPlan(
        alias,
        (shape,),
        conditions=(Condition(key, "in", [row[key] for row in rows]),),
        limit=len(rows),
    )
    page = await context.reads.list(context.catalog, plan, context.access)
    by_key = {row[key]: row for row in orjson.loads(page.arrays[0])}
    return [{**row, **by_key.get(row[key], {})} for row in rows]


def write_resolver(alias: str, mode: WriteMode) -> Resolver:
    async def resolve(
        _root: Any, info: GraphQLResolveInfo, items: list[Any], transactional: bool = True
    ) -> dict[str, Any]:
        context = _context(info)
        try:
            shape = _written_shape(info, context, alias)
            require_answerable(info, context.access, context.catalog.entity(alias), items)
            result = await write.write(
                context.engine,
                context.catalog,
                WriteRequest(alias, mode, items, transactional is not False),
                context.access,
            )
            saved = await _with_relations(context, alias, result.data, shape)
        except DexgateError as exc:
            raise to_graphql_error(exc) from exc
        if transactional is not False and result.errors:
            raise ManyErrorsError(result.errors)
        return {"items": saved, "errors": [e.as_dict() for e in result.errors]}

    return resolve


def delete_resolver(alias: str) -> Resolver:
    async def resolve(
        _root: Any,
        info: GraphQLResolveInfo,
        id: Any = None,
        filter: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        context = _context(info)
        try:
            deleted, errors = await delete_op.delete(
                context.engine,
                context.catalog,
                DeleteRequest(alias, filter_from_input(filter), None if id is None else str(id)),
                context.access,
            )
        except DexgateError as exc:
            raise to_graphql_error(exc) from exc
        return {"deletedCount": deleted, "errors": [e.as_dict() for e in errors]}

    return resolve
