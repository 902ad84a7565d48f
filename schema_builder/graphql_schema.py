"""Builds the GraphQL schema of a catalog: one object type, filter, sort, inputs, two queries and
four mutations per active entity. Resolvers translate to the same operations REST uses.

Types are created once per entity and refer to each other through thunks, so building stays
linear in the number of fields; scalar fields use graphql-core's default resolver on plain dicts.
"""

from __future__ import annotations

import functools
from typing import Any

import graphql.type.definition as graphql_definition
from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
)

from schema_builder.catalog import Catalog, Entity, Field, integer_range
from schema_builder.graphql_names import EntityNames, entity_names
from schema_builder.graphql_resolvers import (
    delete_resolver,
    get_resolver,
    list_resolver,
    relation_resolver,
    write_resolver,
)
from schema_builder.graphql_scalars import (
    FILTERS,
    BigIntScalar,
    DateScalar,
    DateTimeScalar,
    DecimalScalar,
    DeleteResultType,
    JSONScalar,
    MutationErrorType,
)
from schema_builder.operations.ir import WriteMode

_INT32 = (-(2**31), 2**31 - 1)


def scalar_for(field: Field) -> GraphQLScalarType:
    kind = field.type
    if kind == "integer":
        low, high = integer_range(field.column.type)
        return GraphQLInt if (low, high) == _INT32 or high < _INT32[1] else BigIntScalar
    return {
        "string": GraphQLString,
        "decimal": DecimalScalar,
        "boolean": GraphQLBoolean,
        "float": GraphQLFloat,
        "date": DateScalar,
        "datetime": DateTimeScalar,
        "json": JSONScalar,
    }[kind]


def _description(field: Field) -> str | None:
    parts = []
    if field.definition.description:
        parts.append(field.definition.description)
    if field.definition.validation.is_required:
        parts.append("Required.")
    return " ".join(parts) or None


class SchemaBuilder:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.names: dict[str, EntityNames] = {
            alias: entity_names(alias, entity.configuration.definition.graphql_name)
            for alias, entity in catalog.entities.items()
        }
        self._objects: dict[str, GraphQLObjectType] = {}
        self._filters: dict[str, GraphQLInputObjectType] = {}
        self._sorts: dict[str, GraphQLEnumType] = {}
        self._inputs: dict[tuple[str, str], GraphQLInputObjectType] = {}

    def build(self) -> GraphQLSchema:
        query: dict[str, GraphQLField] = {}
        mutation: dict[str, GraphQLField] = {}
        for alias in sorted(self.catalog.entities):
            entity = self.catalog.entities[alias]
            names = self.names[alias]
            query[names.list_query] = GraphQLField(
                GraphQLNonNull(self._list_type(entity)),
                args=self._list_args(entity),
                resolve=list_resolver(alias),
                extensions={"dexgate_query": ("list", alias)},
                description=f"A page of `{alias}`, ordered by `sort` then by identifier.",
            )
            query[names.get_query] = GraphQLField(
                self.object_type(entity),
                args={"id": GraphQLArgument(GraphQLNonNull(scalar_for(entity.identifier)))},
                resolve=get_resolver(alias),
                extensions={"dexgate_query": ("get", alias)},
                description=f"One of `{alias}` by identifier, or null.",
            )
            result = self._mutation_result(entity)
            modes: tuple[tuple[WriteMode, str], ...] = (
                ("create", names.create),
                ("update", names.update),
                ("upsert", names.upsert),
            )
            for mode, field_name in modes:
                mutation[field_name] = GraphQLField(
                    result,
                    args={
                        "items": GraphQLArgument(
                            GraphQLNonNull(
                                GraphQLList(GraphQLNonNull(self._write_input(entity, mode)))
                            )
                        ),
                        "transactional": GraphQLArgument(
                            GraphQLBoolean,
                            default_value=True,
                            description="false: save each item on its own and report the rest.",
                        ),
                    },
                    resolve=write_resolver(alias, mode),
                )
            if entity.is_deletable:
                mutation[names.delete] = GraphQLField(
                    GraphQLNonNull(DeleteResultType),
                    args={
                        "id": GraphQLArgument(scalar_for(entity.identifier)),
                        "filter": GraphQLArgument(self._filter_type(entity)),
                    },
                    resolve=delete_resolver(alias),
                    description="Delete by id or by filter (a filter is required for many).",
                )
        if not query:
            query["_empty"] = GraphQLField(
                GraphQLString, description="No entity is active yet.", resolve=lambda *_: None
            )
        return GraphQLSchema(
            query=GraphQLObjectType("Query", query),
            mutation=GraphQLObjectType("Mutation", mutation) if mutation else None,
            types=[MutationErrorType],
        )

    def object_type(self, entity: Entity) -> GraphQLObjectType:
        existing = self._objects.get(entity.alias)
        if existing is not None:
            return existing
        names = self.names[entity.alias]

        def fields() -> dict[str, GraphQLField]:
            result: dict[str, GraphQLField] = {}
            for field in entity.fields:
                kind: GraphQLOutputType = scalar_for(field)
                if not field.column.nullable:
                    kind = GraphQLNonNull(kind)
                result[field.name] = GraphQLField(kind, description=field.definition.description)
            for relation in entity.relations.values():
                target = self.catalog.entities[relation.target]
                if relation.many:
                    result[relation.name] = GraphQLField(
                        GraphQLNonNull(GraphQLList(GraphQLNonNull(self.object_type(target)))),
                        args=self._list_args(target),
                        resolve=relation_resolver(many=True),
                    )
                else:
                    result[relation.name] = GraphQLField(
                        self.object_type(target), resolve=relation_resolver(many=False)
                    )
            return result

        created = GraphQLObjectType(
            names.type, fields, description=f"An item of `{entity.alias}` ({entity.table_name})."
        )
        self._objects[entity.alias] = created
        return created

    def _list_type(self, entity: Entity) -> GraphQLObjectType:
        names = self.names[entity.alias]
        return GraphQLObjectType(
            names.list_result,
            lambda: {
                "items": GraphQLField(
                    GraphQLNonNull(GraphQLList(GraphQLNonNull(self.object_type(entity))))
                ),
                "totalCount": GraphQLField(
                    GraphQLNonNull(GraphQLInt),
                    description="Rows matching the filter; counted only when selected.",
                ),
            },
        )

    def _list_args(self, entity: Entity) -> dict[str, GraphQLArgument]:
        return {
            "filter": GraphQLArgument(self._filter_type(entity)),
            "sort": GraphQLArgument(GraphQLList(GraphQLNonNull(self._sort_type(entity)))),
            "limit": GraphQLArgument(GraphQLInt, description="At most the maximum page size."),
            "offset": GraphQLArgument(GraphQLInt, default_value=0),
        }

    def _filter_type(self, entity: Entity) -> GraphQLInputObjectType:
        existing = self._filters.get(entity.alias)
        if existing is not None:
            return existing
        names = self.names[entity.alias]

        def fields() -> dict[str, GraphQLInputField]:
            result: dict[str, GraphQLInputField] = {}
            for field in entity.fields:
                scalar = scalar_for(field)
                if scalar.name in FILTERS:
                    result[field.name] = GraphQLInputField(FILTERS[scalar.name])
            self_type = self._filters[entity.alias]
            result["and"] = GraphQLInputField(GraphQLList(GraphQLNonNull(self_type)))
            result["or"] = GraphQLInputField(GraphQLList(GraphQLNonNull(self_type)))
            result["not"] = GraphQLInputField(self_type)
            return result

        created = GraphQLInputObjectType(names.filter, fields)
        self._filters[entity.alias] = created
        return created

    def _sort_type(self, entity: Entity) -> GraphQLEnumType:
        existing = self._sorts.get(entity.alias)
        if existing is not None:
            return existing
        values: dict[str, GraphQLEnumValue] = {}
        for field in entity.fields:
            if field.type == "json":
                continue
            values[f"{field.name}_ASC"] = GraphQLEnumValue((field.name, False))
            values[f"{field.name}_DESC"] = GraphQLEnumValue((field.name, True))
        created = GraphQLEnumType(self.names[entity.alias].sort, values)
        self._sorts[entity.alias] = created
        return created

    def _write_input(self, entity: Entity, mode: str) -> GraphQLInputObjectType:
        existing = self._inputs.get((entity.alias, mode))
        if existing is not None:
            return existing
        names = self.names[entity.alias]
        type_name = {
            "create": names.create_input,
            "update": names.update_input,
            "upsert": names.upsert_input,
        }[mode]

        def fields() -> dict[str, GraphQLInputField]:
            result: dict[str, GraphQLInputField] = {}
            for field in entity.fields:
                wanted = (
                    field.definition.is_creatable
                    if mode == "create"
                    else field.definition.is_editable or field is entity.identifier
                )
                if wanted:
                    result[field.name] = GraphQLInputField(
                        scalar_for(field), description=_description(field)
                    )
            for relation in entity.relations.values():
                if relation.many and relation.is_editable:
                    target = self.catalog.entities[relation.target]
                    result[relation.name] = GraphQLInputField(
                        GraphQLList(GraphQLNonNull(self._write_input(target, mode)))
                    )
            return result

        created = GraphQLInputObjectType(type_name, fields)
        self._inputs[(entity.alias, mode)] = created
        return created

    def _mutation_result(self, entity: Entity) -> GraphQLObjectType:
        names = self.names[entity.alias]
        return GraphQLObjectType(
            names.mutation_result,
            lambda: {
                "items": GraphQLField(
                    GraphQLNonNull(GraphQLList(GraphQLNonNull(self.object_type(entity)))),
                    description="The saved items, as stored.",
                ),
                "errors": GraphQLField(
                    GraphQLNonNull(GraphQLList(GraphQLNonNull(MutationErrorType))),
                    description="Errors of the items not saved (partial mode).",
                ),
            },
        )


def _memoize_name_checks() -> None:
    """graphql-core checks every type, field and argument name character by character each time
    a type's fields are resolved: about 60 % of building a 500-entity schema, spent re-checking
    the same few thousand names. The check is a pure function of the name, so a memoised
    version gives the same answers (invalid names still raise, and exceptions are not cached)."""
    module: Any = graphql_definition
    for name in ("assert_name", "assert_enum_value_name"):
        check = getattr(module, name)
        if not hasattr(check, "cache_info"):
            setattr(module, name, functools.lru_cache(maxsize=65536)(check))


def build_schema(catalog: Catalog) -> GraphQLSchema:
    """The GraphQL schema serving ``catalog``'s active entities."""
    _memoize_name_checks()
    return SchemaBuilder(catalog).build()
