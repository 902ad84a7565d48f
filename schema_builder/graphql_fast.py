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
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationType,
    get_named_type,
    get_operation_ast,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values, get_variable_values

from schema_builder.graphql_resolvers import GraphQLContext, read_list, read_one

ENTITY_QUERY = "dexgate_query"


class _UnsupportedError(Exception):
    """The fast path cannot give the same answer as the full executor."""


@dataclass(frozen=True, slots=True)
class _Selection:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variable_values: dict[str, Any]


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

    def __init__(self, selection: _Selection) -> None:
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
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    selection = _Selection(schema, fragments, coerced)
    projector = _Projector(selection)
    data: dict[str, Any] = {}
    try:
        root = collect_fields(schema, fragments, coerced, query_type, operation.selection_set)
        for response_key, nodes in root.items():
            name = nodes[0].name.value
            if name == "__typename":
                data[response_key] = query_type.name
                continue
            field = query_type.fields.get(name)
            marker = (field.extensions or {}).get(ENTITY_QUERY) if field is not None else None
            if field is None or marker is None:
                return None
            kind, alias = marker
            args = get_argument_values(field, nodes[0], coerced)
            target = get_named_type(field.type)
            assert isinstance(target, GraphQLObjectType)
            value: dict[str, Any] | None
            if kind == "list":
                value = await read_list(selection, context, alias, target, nodes, args)
            else:
                value = await read_one(selection, context, alias, target, nodes, args["id"])
            data[response_key] = projector.converter(field.type, nodes)(value)
    except Exception:  # graphql-core reports it as GraphQL errors (DX500 for unknown ones)
        return None
    return data
