"""A direct executor for plain queries over list and by-id fields.

graphql-core completes every field of every row through its general machinery (resolve info,
awaitable checks, error paths), which costs more than reading the rows. A query that only reads
entities needs none of it: its selection is read at once by the same functions the resolvers
use, and the rows are projected onto the selection with a plan computed once per selection.
Anything else — mutations, introspection, an error, a null where the schema promises a value —
returns ``None`` and the endpoint runs graphql-core's executor instead, so the results are the
same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    get_operation_ast,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values, get_variable_values

from schema_builder.graphql.resolvers import GraphQLContext, read_list, read_one

ENTITY_QUERY = "dexgate_query"


class _UnsupportedError(Exception):
    """The fast path cannot give the same answer as the full executor."""


@dataclass(frozen=True, slots=True)
class Selection:
    """What graphql-core's collect functions read a selection with."""

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
        field = query_type.fields.get(name)
        marker = entity_query(field)
        if field is None or marker is None:
            return None
        kind, alias = marker
        target = get_named_type(field.type)
        assert isinstance(target, GraphQLObjectType)
        args = get_argument_values(field, nodes[0], variables)
        reads.append(RootRead(key, nodes, kind, alias, args, target, field.type))
    return reads


Convert = Callable[[Any], Any]


def _leaf(kind: GraphQLScalarType | GraphQLEnumType) -> Convert:
    """A leaf's serializer; the built-in scalars pass values of their own type through."""
    own = {"String": str, "Int": int, "Boolean": bool}.get(kind.name)
    serialize = kind.serialize
    if own is None:
        return serialize
    return lambda value: value if type(value) is own else serialize(value)


class _Projector:
    """Turns the rows the operations return into the shape of the selection.

    Each selection is planned once (fields, fragments, directives resolved by graphql-core's own
    collect functions) into a converter per field, then applied to every row."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection

    def converter(self, kind: GraphQLOutputType, nodes: list[FieldNode]) -> Convert:
        if isinstance(kind, GraphQLNonNull):
            inner = self.converter(kind.of_type, nodes)

            def non_null(value: Any) -> Any:
                if value is None:
                    raise _UnsupportedError("null for a non-null field")
                return inner(value)

            return non_null
        if isinstance(kind, GraphQLList):
            item = self.converter(kind.of_type, nodes)
            return lambda value: None if value is None else [item(v) for v in value]
        if isinstance(kind, GraphQLScalarType | GraphQLEnumType):
            leaf = _leaf(kind)
            return lambda value: None if value is None else leaf(value)
        if not isinstance(kind, GraphQLObjectType):
            raise _UnsupportedError("abstract type")
        return self._object(kind, nodes)

    def _object(self, kind: GraphQLObjectType, nodes: list[FieldNode]) -> Convert:
        s = self.selection
        fields = collect_sub_fields(s.schema, s.fragments, s.variable_values, kind, nodes)
        steps: list[tuple[str, str, Convert]] = []
        for response_key, sub_nodes in fields.items():
            name = sub_nodes[0].name.value
            if name == "__typename":
                steps.append((response_key, "", _constant(kind.name)))
                continue
            field = kind.fields.get(name)
            if field is None:
                raise _UnsupportedError(name)
            convert = self.converter(field.type, sub_nodes)
            if field.resolve is not None:  # a relationship: nested under the response key
                if isinstance(field.type, GraphQLNonNull):
                    steps.append((response_key, response_key, _or_empty(convert)))
                else:
                    steps.append((response_key, response_key, convert))
            else:
                steps.append((response_key, name, convert))

        def project(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, Mapping):
                raise _UnsupportedError("not an object")
            get = value.get
            return {key: convert(get(source)) for key, source, convert in steps}

        return project


def _constant(value: str) -> Convert:
    return lambda _ignored: value


def _or_empty(convert: Convert) -> Convert:
    return lambda value: convert([] if value is None else value)


async def execute_query(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    context: GraphQLContext,
) -> dict[str, Any] | None:
    """The ``data`` of a query that only reads entities, or None to use the full executor."""
    operation = get_operation_ast(document, operation_name)
    query_type = schema.query_type
    if operation is None or operation.operation != OperationType.QUERY or query_type is None:
        return None
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {})
    )
    if isinstance(coerced, list):
        return None
    selection = Selection.of(schema, document, coerced)
    projector = _Projector(selection)
    data: dict[str, Any] = {}
    try:
        reads = root_reads(selection, operation)
        if reads is None:
            return None
        for read in reads:
            value: dict[str, Any] | None
            if read.kind == "__typename":
                data[read.key] = query_type.name
                continue
            if read.kind == "list":
                value = await read_list(
                    selection, context, read.alias, read.target, read.nodes, read.args
                )
            else:
                value = await read_one(
                    selection, context, read.alias, read.target, read.nodes, read.args["id"]
                )
            data[read.key] = projector.converter(read.type, read.nodes)(value)
    except Exception:  # graphql-core reports it as GraphQL errors (DX500 for unknown ones)
        return None
    return data
