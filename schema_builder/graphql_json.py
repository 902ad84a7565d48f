"""Queries whose whole answer PostgreSQL writes: the response body without Python row objects.

A query made only of entity list and by-id fields (with their ``items``, ``totalCount``,
relationships, aliases, fragments and ``__typename``) is read by
:mod:`schema_builder.operations.read_json`, one statement per root field, each selection
becoming the shape of the JSON objects in selection order. The values are those graphql-core
would write: the fields PostgreSQL can write exactly are the ones whose REST text is also their
GraphQL text (Int, BigInt, String, Boolean, Decimal, Date, DateTime). Anything else — a
mutation, introspection, a field type not written in SQL, a refused argument or permission —
returns None, and the endpoint tries :mod:`schema_builder.graphql_fast`, then graphql-core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    get_named_type,
    get_operation_ast,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values, get_variable_values

from schema_builder.catalog import Entity
from schema_builder.errors import EntityNotFoundError
from schema_builder.graphql_fast import ENTITY_QUERY
from schema_builder.graphql_resolvers import (
    GraphQLContext,
    filter_from_input,
    page_bounds,
    sort_keys,
)
from schema_builder.operations import read_json
from schema_builder.operations.ir import (
    ConstantOut,
    FieldOut,
    GetRequest,
    Include,
    ReadRequest,
    RelationOut,
    Shape,
)


class _UnsupportedError(Exception):
    """The query needs the general executor."""


@dataclass(frozen=True, slots=True)
class _Query:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    context: GraphQLContext

    def selected(
        self, object_type: GraphQLObjectType, nodes: list[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        return collect_sub_fields(self.schema, self.fragments, self.variables, object_type, nodes)

    def shape(
        self, entity: Entity, object_type: GraphQLObjectType, nodes: list[FieldNode]
    ) -> Shape:
        """The selection on ``object_type`` as the shape of its JSON objects."""
        catalog = self.context.catalog
        entries: list[FieldOut | ConstantOut | RelationOut] = []
        for key, sub in self.selected(object_type, nodes).items():
            name = sub[0].name.value
            relation = entity.relations.get(name)
            if name == "__typename":
                entries.append(ConstantOut(key, f'"{object_type.name}"'))
            elif relation is not None:
                definition = object_type.fields[name]
                target_type = get_named_type(definition.type)
                assert isinstance(target_type, GraphQLObjectType)
                target = catalog.entities[relation.target]
                shape = self.shape(target, target_type, sub)
                include = Include(name, key=key)
                if relation.many:
                    args = get_argument_values(definition, sub[0], self.variables)
                    offset, limit = page_bounds(self.context, args.get("limit"), args.get("offset"))
                    include = Include(
                        name,
                        key=key,
                        conditions=filter_from_input(args.get("filter")),
                        sort=sort_keys(args.get("sort")),
                        limit=limit,  # as the resolvers: capped at the page size per parent
                        offset=offset,
                    )
                entries.append(RelationOut(key, include, shape, omit_empty=False))
            elif name in entity.by_name:
                entries.append(FieldOut(key, name))
            else:
                raise _UnsupportedError(name)
        return tuple(entries)

    async def list_text(
        self,
        alias: str,
        list_type: GraphQLObjectType,
        nodes: list[FieldNode],
        args: Mapping[str, Any],
    ) -> str | None:
        context = self.context
        entity = context.catalog.entity(alias)
        item_type = get_named_type(list_type.fields["items"].type)
        assert isinstance(item_type, GraphQLObjectType)
        outputs: list[tuple[str, int | str | None]] = []  # items index, constant, or the count
        shapes: list[Shape] = []
        for key, sub in self.selected(list_type, nodes).items():
            name = sub[0].name.value
            if name == "items":
                outputs.append((key, len(shapes)))
                shapes.append(self.shape(entity, item_type, sub))
            elif name == "totalCount":
                outputs.append((key, None))
            elif name == "__typename":
                outputs.append((key, f'"{list_type.name}"'))
            else:
                raise _UnsupportedError(name)
        offset, limit = page_bounds(context, args.get("limit"), args.get("offset"))
        request = ReadRequest(
            alias=alias,
            conditions=filter_from_input(args.get("filter")),
            sort=sort_keys(args.get("sort")),
            offset=offset,
            limit=limit,
            count=any(value is None for _key, value in outputs),
        )
        page = await read_json.list_json(
            context.reader, context.catalog, request, context.access, tuple(shapes)
        )
        if page is None:
            return None
        parts = []
        for key, value in outputs:
            if isinstance(value, int):
                text = page.arrays[value]
            elif value is None:
                text = str(page.total)
            else:
                text = value
            parts.append(f'"{key}":{text}')
        return "{" + ",".join(parts) + "}"

    async def one_text(
        self, alias: str, object_type: GraphQLObjectType, nodes: list[FieldNode], identifier: Any
    ) -> str | None:
        context = self.context
        entity = context.catalog.entity(alias)
        shape = self.shape(entity, object_type, nodes)
        try:
            return await read_json.get_json(
                context.reader,
                context.catalog,
                GetRequest(alias, str(identifier)),
                context.access,
                shape,
            )
        except EntityNotFoundError:
            return "null"


async def execute_text(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    context: GraphQLContext,
) -> bytes | None:
    """The response body (``{"data": ...}``) of a query that only reads entities, written by
    the database; None to use another executor."""
    if not read_json.serves(context.reader):
        return None
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
    query = _Query(schema, fragments, coerced, context)
    parts: list[str] = []
    try:
        root = collect_fields(schema, fragments, coerced, query_type, operation.selection_set)
        for response_key, nodes in root.items():
            name = nodes[0].name.value
            if name == "__typename":
                parts.append(f'"{response_key}":"{query_type.name}"')
                continue
            field = query_type.fields.get(name)
            marker = (field.extensions or {}).get(ENTITY_QUERY) if field is not None else None
            if field is None or marker is None:
                return None
            kind, alias = marker
            args = get_argument_values(field, nodes[0], coerced)
            target = get_named_type(field.type)
            assert isinstance(target, GraphQLObjectType)
            if kind == "list":
                text = await query.list_text(alias, target, nodes, args)
            else:
                text = await query.one_text(alias, target, nodes, args["id"])
            if text is None:
                return None
            parts.append(f'"{response_key}":{text}')
    except Exception:  # the other executors report it as GraphQL errors
        return None
    return ('{"data":{' + ",".join(parts) + "}}").encode()
