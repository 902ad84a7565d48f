"""The one walk of a GraphQL selection into read plans.

A list field becomes a :class:`ListPlan` (its ``items`` selections as shapes, ``totalCount``
as the count), a by-id field a :class:`GetPlan`; under them every selected field is a
:class:`FieldOut` under its response key, ``__typename`` a constant, and each relationship a
:class:`RelationOut` with its own filter, sort and page. The plan executor
(:mod:`schema_builder.graphql.answer`) and graphql-core's resolvers
(:mod:`schema_builder.graphql.resolvers`) both plan with it, so a query is read the same
way whoever answers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values

from auth.permissions import Permissions
from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import InvalidArgumentError, PageLimitExceededError
from schema_builder.graphql.measures import RELATED_AGGREGATE, aggregate_out
from schema_builder.operations.aggregates.operation import Aggregator
from schema_builder.operations.ir import (
    AggregateOut,
    AllOf,
    AnyOf,
    Condition,
    ConstantOut,
    FieldOut,
    Filter,
    Include,
    Not,
    RelationOut,
    Shape,
    SortKey,
)
from schema_builder.operations.reads.plan import GetPlan, ListPlan
from schema_builder.operations.reads.reader import Reader

ENTITY_QUERY = "dexgate_query"
# How an aggregate filter's relationship field ends once coerced (its ``out_name``): field
# names are GraphQL names, so none ends with it.
RELATED_FILTER = "."
# A filter input's combinations (no field of that name is a filter key).
COMBINATORS = ("and", "or", "not")


@dataclass(slots=True)
class GraphQLContext:
    """What planning and resolving need from the application, per request."""

    engine: Any  # the AsyncEngine writes run on
    reads: Reader
    catalog: Catalog
    max_page_size: int
    default_page_size: int
    access: Permissions
    extra: dict[str, Any] = field(default_factory=dict)
    aggregates: Aggregator | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """What graphql-core's collect functions read a selection with (a GraphQLResolveInfo
    has the same three attributes)."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variable_values: dict[str, Any]

    @classmethod
    def of(
        cls, schema: GraphQLSchema, document: DocumentNode, variable_values: dict[str, Any]
    ) -> Selection:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        return cls(schema, fragments, variable_values)

    def selected(
        self, object_type: GraphQLObjectType, nodes: Sequence[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        return collect_sub_fields(
            self.schema, self.fragments, self.variable_values, object_type, list(nodes)
        )


def entity_query(field: GraphQLField | None) -> tuple[str, str] | None:
    """``("list" | "get", alias)`` for a root field that reads an entity, else None."""
    if field is None:
        return None
    marker: tuple[str, str] | None = (field.extensions or {}).get(ENTITY_QUERY)
    return marker


@dataclass(frozen=True, slots=True)
class RootRead:
    """A root field of a query that reads entities: ``kind`` is ``list``, ``get`` or
    ``__typename`` (then ``target`` is the query type)."""

    key: str
    nodes: list[FieldNode]
    kind: str
    alias: str
    args: dict[str, Any]
    target: GraphQLObjectType
    type: GraphQLOutputType


def root_reads(selection: Selection, operation: OperationDefinitionNode) -> list[RootRead] | None:
    """The root fields of ``operation`` (a query) by response key, or None when one of them
    is not an entity's list or by-id field (nor ``__typename``)."""
    schema = selection.schema
    query_type = schema.query_type
    assert query_type is not None
    variables = selection.variable_values
    reads = []
    root = collect_fields(
        schema, selection.fragments, variables, query_type, operation.selection_set
    )
    for key, nodes in root.items():
        name = nodes[0].name.value
        if name == "__typename":
            reads.append(RootRead(key, nodes, name, "", {}, query_type, query_type))
            continue
        field_def = query_type.fields.get(name)
        marker = entity_query(field_def)
        if field_def is None or marker is None:
            return None
        kind, alias = marker
        target = get_named_type(field_def.type)
        assert isinstance(target, GraphQLObjectType)
        reads.append(RootRead(key, nodes, kind, alias, {}, target, field_def.type))
    return reads


def arguments(
    selection: Selection, object_type: GraphQLObjectType, node: FieldNode
) -> dict[str, Any]:
    """The field's arguments with the request's variables."""
    return get_argument_values(object_type.fields[node.name.value], node, selection.variable_values)


def filter_from_input(value: Mapping[str, Any] | None, path: str = "") -> tuple[Filter, ...]:
    """An entity filter input (``{price: {gte: "10"}, or: [...]}``) as operation filters.

    An aggregate's filter may name a belongsTo relationship (``{product: {is_active: ...}}``),
    its key ending with :data:`RELATED_FILTER`: its conditions name the related fields by
    their path (``product.is_active``), as REST's do."""
    if not value:
        return ()
    parts: list[Filter] = []
    for key, operand in value.items():
        if operand is None:
            continue
        if key == "and":
            parts.append(AllOf(tuple(f for item in operand for f in filter_from_input(item, path))))
        elif key == "or":
            parts.append(AnyOf(tuple(AllOf(filter_from_input(item, path)) for item in operand)))
        elif key == "not":
            parts.append(Not(AllOf(filter_from_input(operand, path))))
        elif key.endswith(RELATED_FILTER):
            parts.append(AllOf(filter_from_input(operand, path + key)))
        else:
            # A null operand stays a condition, refused when compiled (DX101, "use isNull"):
            # skipped, a null variable would widen the filter, up to every row.
            parts.extend(Condition(path + key, op, argument) for op, argument in operand.items())
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


class Walk:
    """Plans the selections of one request."""

    def __init__(self, selection: Selection, context: GraphQLContext) -> None:
        self.selection = selection
        self.context = context

    def shape(
        self,
        entity: Entity,
        object_type: GraphQLObjectType,
        nodes: Sequence[FieldNode],
        *,
        omit_empty: bool = False,
    ) -> Shape:
        """The selection on ``object_type`` (an entity's type) as the shape of its objects."""
        catalog = self.context.catalog
        entries: list[FieldOut | ConstantOut | RelationOut | AggregateOut] = []
        for key, sub in self.selection.selected(object_type, nodes).items():
            name = sub[0].name.value
            relation = entity.relations.get(name)
            if name == "__typename":
                entries.append(ConstantOut(key, f'"{object_type.name}"'))
            elif relation is None and name not in entity.by_name:
                entries.append(self.related_aggregate(entity, object_type, key, sub))
            elif relation is not None:
                target_type = get_named_type(object_type.fields[name].type)
                assert isinstance(target_type, GraphQLObjectType)
                target = catalog.entities[relation.target]
                shape = self.shape(target, target_type, sub, omit_empty=omit_empty)
                include = Include(name, key=key)
                if relation.many:
                    args = arguments(self.selection, object_type, sub[0])
                    offset, limit = page_bounds(self.context, args.get("limit"), args.get("offset"))
                    include = Include(
                        name,
                        key=key,
                        conditions=filter_from_input(args.get("filter")),
                        sort=sort_keys(args.get("sort")),
                        # Without a limit, each parent's list is still capped at the page size.
                        limit=limit,
                        offset=offset,
                    )
                entries.append(RelationOut(key, include, shape, omit_empty=omit_empty))
            else:
                # The generated types hold the entity's fields, its relationships and nothing
                # else: validation refused any other name.
                entries.append(FieldOut(key, entity.by_name[name].name))
        return tuple(entries)

    def related_aggregate(
        self,
        entity: Entity,
        object_type: GraphQLObjectType,
        key: str,
        nodes: Sequence[FieldNode],
        *,
        by_name: bool = False,
    ) -> AggregateOut:
        """A row's ``<relationship>Aggregate`` field (the only other fields the generated
        types hold): the whole set of its related rows that pass its filter."""
        name = nodes[0].name.value
        field = object_type.fields[name]
        assert RELATED_AGGREGATE in (field.extensions or {})
        relation = name.removesuffix("Aggregate")
        aggregate_type = get_named_type(field.type)
        assert isinstance(aggregate_type, GraphQLObjectType)
        args = arguments(self.selection, object_type, nodes[0])
        include = Include(relation, key=key, conditions=filter_from_input(args.get("filter")))
        return aggregate_out(self.selection, aggregate_type, key, nodes, include, by_name=by_name)

    def list_plan(
        self,
        alias: str,
        list_type: GraphQLObjectType,
        nodes: Sequence[FieldNode],
        args: Mapping[str, Any],
    ) -> tuple[ListPlan, tuple[tuple[str, int | str | None], ...]]:
        """The plan of a list field, and what its object holds in order: ``items`` (the index
        of its shape), ``totalCount`` (None) or ``__typename`` (its JSON)."""
        entity = self.context.catalog.entity(alias)
        item_type = get_named_type(list_type.fields["items"].type)
        assert isinstance(item_type, GraphQLObjectType)
        outputs: list[tuple[str, int | str | None]] = []
        shapes: list[Shape] = []
        for key, sub in self.selection.selected(list_type, nodes).items():
            name = sub[0].name.value
            if name == "items":
                outputs.append((key, len(shapes)))
                shapes.append(self.shape(entity, item_type, sub))
            elif name == "totalCount":
                outputs.append((key, None))
            else:  # __typename
                outputs.append((key, f'"{list_type.name}"'))
        offset, limit = page_bounds(self.context, args.get("limit"), args.get("offset"))
        plan = ListPlan(
            alias,
            tuple(shapes),
            conditions=filter_from_input(args.get("filter")),
            sort=sort_keys(args.get("sort")),
            offset=offset,
            limit=limit,
            count=any(value is None for _key, value in outputs),
        )
        return plan, tuple(outputs)

    def get_plan(
        self, alias: str, object_type: GraphQLObjectType, nodes: Sequence[FieldNode]
    ) -> GetPlan:
        entity = self.context.catalog.entity(alias)
        return GetPlan(alias, self.shape(entity, object_type, nodes))
