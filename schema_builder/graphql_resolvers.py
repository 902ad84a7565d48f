"""GraphQL resolvers: thin adapters from arguments and selections to the operations layer.

A list or by-id query reads its whole selection at once: relationship fields in the selection
become includes, loaded one statement per level for the whole page, and nested results are
plain dicts read by graphql-core's default resolvers. Errors from the operations carry their
REST code and status in ``extensions``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    get_named_type,
)
from graphql.execution.collect_fields import collect_sub_fields
from graphql.execution.values import get_argument_values
from graphql.language import FieldNode
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.permissions import Permissions
from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import (
    DexgateError,
    EntityNotFoundError,
    PageLimitExceededError,
    RequestError,
)
from schema_builder.operations import delete as delete_op
from schema_builder.operations import read, write
from schema_builder.operations.access import require_read
from schema_builder.operations.ir import (
    AllOf,
    AnyOf,
    Condition,
    DeleteRequest,
    Filter,
    GetRequest,
    Include,
    Not,
    ReadRequest,
    SortKey,
    WriteMode,
    WriteRequest,
)

Resolver = Callable[..., Awaitable[Any]]


@dataclass(slots=True)
class GraphQLContext:
    """What resolvers need from the application, per request."""

    engine: AsyncEngine
    reader: AsyncEngine
    catalog: Catalog
    max_page_size: int
    default_page_size: int
    access: Permissions
    extra: dict[str, Any] = field(default_factory=dict)


class InvalidArgumentError(RequestError):
    code = "DX100"


class ManyErrorsError(Exception):
    """Several operation errors for one field; the endpoint reports each as a GraphQL error."""

    def __init__(self, errors: Sequence[DexgateError]) -> None:
        super().__init__(errors[-1].message if errors else "")
        self.errors = list(errors)


def to_graphql_error(error: DexgateError) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": error.code, "status": error.status})


def filter_from_input(value: Mapping[str, Any] | None) -> tuple[Filter, ...]:
    """An entity filter input (``{price: {gte: "10"}, or: [...]}``) as operation filters."""
    if not value:
        return ()
    parts: list[Filter] = []
    for key, operand in value.items():
        if operand is None:
            continue
        if key == "and":
            parts.append(AllOf(tuple(f for item in operand for f in filter_from_input(item))))
        elif key == "or":
            parts.append(AnyOf(tuple(AllOf(filter_from_input(item)) for item in operand)))
        elif key == "not":
            parts.append(Not(AllOf(filter_from_input(operand))))
        else:
            # A null operand stays a condition, refused when compiled (DX101, "use isNull"):
            # skipped, a null variable would widen the filter, up to every row.
            parts.extend(Condition(key, op, argument) for op, argument in operand.items())
    return tuple(parts)


def sort_keys(value: Sequence[tuple[str, bool]] | None) -> tuple[SortKey, ...]:
    """A ``sort`` argument (its enum values are (field, descending) pairs) as sort keys."""
    return tuple(SortKey(name, descending) for name, descending in value or ())


def page_bounds(context: GraphQLContext, limit: int | None, offset: int | None) -> tuple[int, int]:
    """``offset`` and ``limit`` checked, the limit defaulting to the page size (DX100, DX103)."""
    if offset is not None and offset < 0:
        raise InvalidArgumentError(f"`offset` must not be negative, got {offset}.")
    if limit is None:
        return offset or 0, context.default_page_size
    if limit < 0:
        raise InvalidArgumentError(f"`limit` must not be negative, got {limit}.")
    if limit > context.max_page_size:
        raise PageLimitExceededError(limit, context.max_page_size)
    return offset or 0, limit


class Selection(Protocol):
    """What reading a selection needs; a GraphQLResolveInfo is one."""

    @property
    def schema(self) -> GraphQLSchema: ...
    @property
    def fragments(self) -> dict[str, FragmentDefinitionNode]: ...
    @property
    def variable_values(self) -> dict[str, Any]: ...


def _includes(
    info: Selection,
    context: GraphQLContext,
    entity: Entity,
    object_type: GraphQLObjectType,
    field_nodes: list[FieldNode],
) -> tuple[Include, ...]:
    """The relationships selected under ``field_nodes``, with their arguments, as includes."""
    selected = collect_sub_fields(
        info.schema, info.fragments, info.variable_values, object_type, field_nodes
    )
    includes: list[Include] = []
    for key, nodes in selected.items():
        name = nodes[0].name.value
        relation = entity.relations.get(name)
        if relation is None:
            continue
        target = context.catalog.entities[relation.target]
        field_def = object_type.fields[name]
        target_type = get_named_type(field_def.type)
        assert isinstance(target_type, GraphQLObjectType)
        children = _includes(info, context, target, target_type, nodes)
        if relation.many:
            args = get_argument_values(field_def, nodes[0], info.variable_values)
            offset, limit = page_bounds(context, args.get("limit"), args.get("offset"))
            includes.append(
                Include(
                    name,
                    children,
                    key=key,
                    conditions=filter_from_input(args.get("filter")),
                    sort=sort_keys(args.get("sort")),
                    # Without a limit, each parent's list is still capped at the page size.
                    limit=limit,
                    offset=offset,
                )
            )
        else:
            includes.append(Include(name, children, key=key))
    return tuple(includes)


def _context(info: GraphQLResolveInfo) -> GraphQLContext:
    context: GraphQLContext = info.context
    return context


async def read_list(
    selection: Selection,
    context: GraphQLContext,
    alias: str,
    list_type: GraphQLObjectType,
    field_nodes: list[FieldNode],
    args: Mapping[str, Any],
) -> dict[str, Any]:
    """A list query's result, ``{"items": [...], "totalCount": n or None}``, read with its
    whole selection at once. Raises :class:`DexgateError`."""
    entity = context.catalog.entity(alias)
    selected = collect_sub_fields(
        selection.schema, selection.fragments, selection.variable_values, list_type, field_nodes
    )
    includes: tuple[Include, ...] = ()
    item_type = get_named_type(list_type.fields["items"].type)
    assert isinstance(item_type, GraphQLObjectType)
    for nodes in (v for v in selected.values() if v[0].name.value == "items"):
        includes += _includes(selection, context, entity, item_type, nodes)
    want_count = any(v[0].name.value == "totalCount" for v in selected.values())
    page_offset, page_limit = page_bounds(context, args.get("limit"), args.get("offset"))
    result = await read.list_rows(
        context.reader,
        context.catalog,
        ReadRequest(
            alias=alias,
            conditions=filter_from_input(args.get("filter")),
            sort=sort_keys(args.get("sort")),
            offset=page_offset,
            limit=page_limit,
            include=includes,
            count=want_count,
        ),
        context.access,
    )
    return {"items": result.rows, "totalCount": result.total}


async def read_one(
    selection: Selection,
    context: GraphQLContext,
    alias: str,
    object_type: GraphQLObjectType,
    field_nodes: list[FieldNode],
    identifier: Any,
) -> dict[str, Any] | None:
    """A by-id query's row with its selected relationships, or None when there is none."""
    entity = context.catalog.entity(alias)
    includes = _includes(selection, context, entity, object_type, field_nodes)
    try:
        return await read.get_row(
            context.reader,
            context.catalog,
            GetRequest(alias, str(identifier), includes),
            context.access,
        )
    except EntityNotFoundError:
        return None


def list_resolver(alias: str) -> Resolver:
    async def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        list_type = get_named_type(info.return_type)
        assert isinstance(list_type, GraphQLObjectType)
        try:
            return await read_list(
                info, _context(info), alias, list_type, list(info.field_nodes), args
            )
        except DexgateError as exc:
            raise to_graphql_error(exc) from exc

    return resolve


def get_resolver(alias: str) -> Resolver:
    async def resolve(_root: Any, info: GraphQLResolveInfo, id: Any) -> Any:
        object_type = get_named_type(info.return_type)
        assert isinstance(object_type, GraphQLObjectType)
        try:
            return await read_one(
                info, _context(info), alias, object_type, list(info.field_nodes), id
            )
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


def _written_includes(
    info: GraphQLResolveInfo, context: GraphQLContext, alias: str
) -> tuple[Include, ...]:
    """The relationships selected under a mutation result's ``items``. Selecting any needs
    read access, checked before the write so that a refusal leaves nothing written."""
    entity = context.catalog.entity(alias)
    result_type = get_named_type(info.return_type)
    assert isinstance(result_type, GraphQLObjectType)
    selected = collect_sub_fields(
        info.schema, info.fragments, info.variable_values, result_type, list(info.field_nodes)
    )
    item_type = get_named_type(result_type.fields["items"].type)
    assert isinstance(item_type, GraphQLObjectType)
    includes: tuple[Include, ...] = ()
    for nodes in (v for v in selected.values() if v[0].name.value == "items"):
        includes += _includes(info, context, entity, item_type, nodes)
    if includes:
        require_read(context.access, context.catalog, entity, includes)
    return includes


async def _with_relations(
    context: GraphQLContext,
    alias: str,
    rows: list[dict[str, Any]],
    includes: tuple[Include, ...],
) -> list[dict[str, Any]]:
    """The saved rows with their selected relationships read back (one statement per level)."""
    if not includes or not rows:
        return rows
    entity = context.catalog.entity(alias)
    key = entity.identifier.name
    result = await read.list_rows(
        context.engine,
        context.catalog,
        ReadRequest(
            alias=alias,
            conditions=(Condition(key, "in", [row[key] for row in rows]),),
            limit=len(rows),
            include=includes,
        ),
        context.access,
    )
    by_key = {row[key]: row for row in result.rows}
    return [{**row, **by_key.get(row[key], {})} for row in rows]


def write_resolver(alias: str, mode: WriteMode) -> Resolver:
    async def resolve(
        _root: Any, info: GraphQLResolveInfo, items: list[Any], transactional: bool = True
    ) -> dict[str, Any]:
        context = _context(info)
        try:
            includes = _written_includes(info, context, alias)
            result = await write.write(
                context.engine,
                context.catalog,
                WriteRequest(alias, mode, items, transactional is not False),
                context.access,
            )
            saved = await _with_relations(context, alias, result.data, includes)
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
