"""Builds the GraphQL schema of a catalog: one object type, filter, sort, inputs, two queries and
four mutations per active entity. Resolvers translate to the same operations REST uses.

Types are created once per entity and refer to each other through thunks, so building stays
linear in the number of fields; scalar fields use graphql-core's default resolver on plain dicts.
Fields, input fields, arguments and enum values that depend only on a scalar, a description or a
field name are created once per build (or once per process) and shared by every type that has
them: for 500 entities of 20 fields that is ~8,000 objects instead of ~84,000, and creating them
and having the garbage collector walk them was most of the build time.

What GraphQL cannot express is left out rather than failing the build (an input object needs a
field and an enum a value); REST serves the whole entity either way:

- An entity with nothing to create, no creatable field and no editable hasMany relationship to
  an entity with something to create, has no create mutation and no ``CreateInput``, and the
  relationships to it are left out of other entities' create inputs. Relationships that form a
  cycle keep their fields: nested items can be created through them.
- Update and upsert are always generated: their input always holds the identifier, which names
  the row to change (upsert creates a missing one under the same rules as REST's PUT).
- An entity without a sortable field (its only field is a ``json`` identifier) has no ``sort``
  argument.
- A field named ``and``, ``or`` or ``not`` is an object field like any other but no filter key:
  those keys combine conditions.

Names GraphQL reserves or that clash once derived are refused earlier, when a configuration is
applied (:func:`schema_builder.checks.check_graphql_names`).
"""

from __future__ import annotations

import functools
from typing import Any

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
from schema_builder.graphql.aggregate_types import AggregateTypes
from schema_builder.graphql.field_maps import FieldMaps
from schema_builder.graphql.names import (
    EntityNames,
    entity_names,
    related_aggregate_field,
    sort_value,
)
from schema_builder.graphql.resolvers import (
    delete_resolver,
    get_resolver,
    list_resolver,
    relation_resolver,
    write_resolver,
)
from schema_builder.graphql.scalars import (
    FILTERS,
    BigIntScalar,
    DateScalar,
    DateTimeScalar,
    DecimalScalar,
    DeleteResultType,
    JSONScalar,
    MutationErrorType,
)
from schema_builder.graphql.selection import COMBINATORS
from schema_builder.operations.ir import WriteMode

_INT32 = (-(2**31), 2**31 - 1)
_SCALARS: dict[str, GraphQLScalarType] = {
    "string": GraphQLString,
    "decimal": DecimalScalar,
    "boolean": GraphQLBoolean,
    "float": GraphQLFloat,
    "date": DateScalar,
    "datetime": DateTimeScalar,
    "json": JSONScalar,
}

# The same in every schema.
_LIMIT = GraphQLArgument(GraphQLInt, description="At most the maximum page size.")
_OFFSET = GraphQLArgument(GraphQLInt, default_value=0)
_TRANSACTIONAL = GraphQLArgument(
    GraphQLBoolean,
    default_value=True,
    description="false: save each item on its own and report the rest.",
)
_TOTAL_COUNT = GraphQLField(
    GraphQLNonNull(GraphQLInt), description="Rows matching the filter; counted only when selected."
)
_MUTATION_ERRORS = GraphQLField(
    GraphQLNonNull(GraphQLList(GraphQLNonNull(MutationErrorType))),
    description="Errors of the items not saved (partial mode).",
)
_DELETE_RESULT = GraphQLNonNull(DeleteResultType)
_FILTER_FIELDS = {name: GraphQLInputField(kind) for name, kind in FILTERS.items()}
_RELATION_MANY = relation_resolver(many=True)
_RELATION_ONE = relation_resolver(many=False)


def scalar_for(field: Field) -> GraphQLScalarType:
    kind = field.type
    if kind == "integer":
        low, high = integer_range(field.column.type)
        return GraphQLInt if (low, high) == _INT32 or high < _INT32[1] else BigIntScalar
    return _SCALARS[kind]


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
        self._nothing_to_create = nothing_to_create(catalog)
        self.names: dict[str, EntityNames] = {
            alias: entity_names(alias, entity.configuration.definition.graphql_name)
            for alias, entity in catalog.entities.items()
        }
        # Each entity's types: one of each, whoever refers to it.
        self._objects: dict[str, GraphQLObjectType] = {}
        self._filters: dict[str, GraphQLInputObjectType] = {}
        self._sorts: dict[str, GraphQLEnumType] = {}
        self._inputs: dict[tuple[str, str], GraphQLInputObjectType] = {}
        # Memos of objects used more than once: per entity (by alias), then shared by every
        # entity that has the same scalar, description or field name.
        self._items: dict[str, GraphQLNonNull[GraphQLList[GraphQLNonNull[GraphQLObjectType]]]] = {}
        self._list_arguments: dict[str, dict[str, GraphQLArgument]] = {}
        self._filter_arguments: dict[str, GraphQLArgument] = {}
        self._relation_fields: dict[tuple[str, bool], GraphQLField] = {}
        self._scalar_input_maps: dict[tuple[str, bool], dict[str, GraphQLInputField]] = {}
        self._entity_inputs: dict[str, tuple[GraphQLInputField, ...]] = {}
        self._entity_scalars: dict[str, tuple[GraphQLScalarType, ...]] = {}
        self._output_fields: dict[tuple[GraphQLScalarType, bool, str | None], GraphQLField] = {}
        self._input_fields: dict[tuple[GraphQLScalarType, str | None], GraphQLInputField] = {}
        self._id_arguments: dict[tuple[GraphQLScalarType, bool], GraphQLArgument] = {}
        self._sort_values: dict[str, dict[str, GraphQLEnumValue]] = {}
        self._maps = FieldMaps()
        self._aggregates = AggregateTypes(
            catalog,
            self.names,
            self._maps,
            self._filter_argument,
            self._filter_conditions,
            self._scalars,
        )

    def build(self) -> GraphQLSchema:
        query: dict[str, GraphQLField] = {}
        mutation: dict[str, GraphQLField] = {}
        for alias in sorted(self.catalog.entities):
            entity = self.catalog.entities[alias]
            names = self.names[alias]
            query[names.list_query] = self._maps.field(
                GraphQLNonNull(self._list_type(entity)),
                self._list_args(entity),
                resolve=list_resolver(alias),
                extensions={"dexgate_query": ("list", alias)},
                description=f"A page of `{alias}`, ordered by `sort` then by identifier.",
            )
            query[names.aggregate_query] = self._aggregates.root_field(entity)
            query[names.get_query] = self._maps.field(
                self.object_type(entity),
                {"id": self._id_argument(entity, required=True)},
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
                if mode == "create" and alias in self._nothing_to_create:
                    continue
                items = GraphQLNonNull(GraphQLList(GraphQLNonNull(self._write_input(entity, mode))))
                mutation[field_name] = self._maps.field(
                    result,
                    {"items": GraphQLArgument(items), "transactional": _TRANSACTIONAL},
                    resolve=write_resolver(alias, mode),
                )
            if entity.is_deletable:
                mutation[names.delete] = self._maps.field(
                    _DELETE_RESULT,
                    {
                        "id": self._id_argument(entity, required=False),
                        "filter": self._filter_argument(entity),
                    },
                    resolve=delete_resolver(alias),
                    description="Delete by id or by filter (a filter is required for many).",
                )
        if not query:
            query["_empty"] = GraphQLField(
                GraphQLString, description="No entity is active yet.", resolve=lambda *_: None
            )
        query_type = self._maps.object_type("Query", query)
        mutation_type = self._maps.object_type("Mutation", mutation) if mutation else None
        self._maps.resolve()
        schema = GraphQLSchema(query=query_type, mutation=mutation_type, types=[MutationErrorType])
        self._forget_memos()
        return schema

    def _forget_memos(self) -> None:
        """The types' thunks keep this builder alive as long as the schema, but all of them
        have run once the schema is built (it collects every type's fields): the memos are no
        longer needed."""
        memos: tuple[dict[Any, Any], ...] = (
            self._items,
            self._list_arguments,
            self._filter_arguments,
            self._relation_fields,
            self._scalar_input_maps,
            self._entity_inputs,
            self._entity_scalars,
            self._output_fields,
            self._input_fields,
            self._id_arguments,
            self._sort_values,
        )
        for memo in memos:
            memo.clear()
        self._aggregates.forget_memos()

    def object_type(self, entity: Entity) -> GraphQLObjectType:
        existing = self._objects.get(entity.alias)
        if existing is not None:
            return existing
        names = self.names[entity.alias]
        created = self._maps.object_type(
            names.type,
            functools.partial(self._object_fields, entity),
            description=f"An item of `{entity.alias}` ({entity.table_name}).",
        )
        self._objects[entity.alias] = created
        return created

    def _object_fields(self, entity: Entity) -> dict[str, GraphQLField]:
        result: dict[str, GraphQLField] = {}
        for field, scalar in zip(entity.fields, self._scalars(entity), strict=True):
            result[field.name] = self._output_field(
                scalar, bool(field.column.nullable), field.definition.description
            )
        for relation in entity.relations.values():
            result[relation.name] = self._relation_field(relation.target, relation.many)
        for relation in entity.relations.values():
            name = related_aggregate_field(relation.name)
            if relation.many and name not in result:  # a field or relationship keeps its name
                target = self.catalog.entities[relation.target]
                result[name] = self._aggregates.related_field(target)
        return result

    def _relation_field(self, alias: str, many: bool) -> GraphQLField:
        existing = self._relation_fields.get((alias, many))
        if existing is not None:
            return existing
        target = self.catalog.entities[alias]
        if many:
            created = self._maps.field(
                self._items_type(target), self._list_args(target), resolve=_RELATION_MANY
            )
        else:
            created = GraphQLField(self.object_type(target), resolve=_RELATION_ONE)
        self._relation_fields[(alias, many)] = created
        return created

    def _items_type(
        self, entity: Entity
    ) -> GraphQLNonNull[GraphQLList[GraphQLNonNull[GraphQLObjectType]]]:
        existing = self._items.get(entity.alias)
        if existing is not None:
            return existing
        created = GraphQLNonNull(GraphQLList(GraphQLNonNull(self.object_type(entity))))
        self._items[entity.alias] = created
        return created

    def _list_type(self, entity: Entity) -> GraphQLObjectType:
        return self._maps.object_type(
            self.names[entity.alias].list_result,
            {"items": GraphQLField(self._items_type(entity)), "totalCount": _TOTAL_COUNT},
        )

    def _list_args(self, entity: Entity) -> dict[str, GraphQLArgument]:
        existing = self._list_arguments.get(entity.alias)
        if existing is not None:
            return existing
        created = {"filter": self._filter_argument(entity)}
        sort = self._sort_type(entity)
        if sort is not None:
            created["sort"] = GraphQLArgument(GraphQLList(GraphQLNonNull(sort)))
        created["limit"] = _LIMIT
        created["offset"] = _OFFSET
        self._list_arguments[entity.alias] = created
        return created

    def _filter_argument(self, entity: Entity) -> GraphQLArgument:
        """The ``filter`` argument of the fields that read ``entity``."""
        existing = self._filter_arguments.get(entity.alias)
        if existing is None:
            existing = GraphQLArgument(self._filter_type(entity))
            self._filter_arguments[entity.alias] = existing
        return existing

    def _filter_type(self, entity: Entity) -> GraphQLInputObjectType:
        existing = self._filters.get(entity.alias)
        if existing is not None:
            return existing
        created = self._maps.input_type(
            self.names[entity.alias].filter, functools.partial(self._filter_fields, entity)
        )
        self._filters[entity.alias] = created
        return created

    def _filter_conditions(self, entity: Entity) -> dict[str, GraphQLInputField]:
        """The filter input's fields of the entity's own fields (a new map each call)."""
        result: dict[str, GraphQLInputField] = {}
        for field, scalar in zip(entity.fields, self._scalars(entity), strict=True):
            condition = _FILTER_FIELDS.get(scalar.name)
            if condition is not None and field.name not in COMBINATORS:
                result[field.name] = condition
        return result

    def _filter_fields(self, entity: Entity) -> dict[str, GraphQLInputField]:
        result = self._filter_conditions(entity)
        self_type = self._filters[entity.alias]
        any_of = GraphQLInputField(GraphQLList(GraphQLNonNull(self_type)))
        result["and"] = any_of
        result["or"] = any_of
        result["not"] = GraphQLInputField(self_type)
        return result

    def _sort_type(self, entity: Entity) -> GraphQLEnumType | None:
        """The entity's sort enum; None when no field is sortable (an enum needs a value)."""
        existing = self._sorts.get(entity.alias)
        if existing is not None:
            return existing
        values: dict[str, GraphQLEnumValue] = {}
        for field in entity.fields:
            if field.type != "json":
                values.update(self._sort_values_of(field.name))
        if not values:
            return None
        created = self._maps.enum_type(self.names[entity.alias].sort, values)
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
        created = self._maps.input_type(
            type_name, functools.partial(self._write_input_fields, entity, mode)
        )
        self._inputs[(entity.alias, mode)] = created
        return created

    def _write_input_fields(self, entity: Entity, mode: str) -> dict[str, GraphQLInputField]:
        result = dict(self._scalar_inputs(entity, creating=mode == "create"))
        for relation in entity.relations.values():
            left_out = mode == "create" and relation.target in self._nothing_to_create
            if relation.many and relation.is_editable and not left_out:
                target = self.catalog.entities[relation.target]
                result[relation.name] = GraphQLInputField(
                    GraphQLList(GraphQLNonNull(self._write_input(target, mode)))
                )
        return result

    def _scalar_inputs(self, entity: Entity, *, creating: bool) -> dict[str, GraphQLInputField]:
        """The fields a create input (or an update and upsert input) takes, without its
        relationships: the same for the update and the upsert input."""
        existing = self._scalar_input_maps.get((entity.alias, creating))
        if existing is not None:
            return existing
        identifier = entity.identifier
        created = {
            field.name: input_field
            for field, input_field in zip(entity.fields, self._field_inputs(entity), strict=True)
            if (
                field.definition.is_creatable
                if creating
                else field.definition.is_editable or field is identifier
            )
        }
        self._scalar_input_maps[(entity.alias, creating)] = created
        return created

    def _field_inputs(self, entity: Entity) -> tuple[GraphQLInputField, ...]:
        """The input field of each of ``entity``'s fields, in order (for its write inputs)."""
        existing = self._entity_inputs.get(entity.alias)
        if existing is None:
            existing = self._entity_inputs[entity.alias] = tuple(
                self._input_field(scalar, _description(field))
                for field, scalar in zip(entity.fields, self._scalars(entity), strict=True)
            )
        return existing

    def _mutation_result(self, entity: Entity) -> GraphQLObjectType:
        return self._maps.object_type(
            self.names[entity.alias].mutation_result,
            {
                "items": GraphQLField(
                    self._items_type(entity), description="The saved items, as stored."
                ),
                "errors": _MUTATION_ERRORS,
            },
        )

    # Shared objects, memoised for this build.

    def _scalars(self, entity: Entity) -> tuple[GraphQLScalarType, ...]:
        """The scalar of each of ``entity``'s fields, in order."""
        existing = self._entity_scalars.get(entity.alias)
        if existing is None:
            existing = tuple(scalar_for(field) for field in entity.fields)
            self._entity_scalars[entity.alias] = existing
        return existing

    def _output_field(
        self, scalar: GraphQLScalarType, nullable: bool, description: str | None
    ) -> GraphQLField:
        key = (scalar, nullable, description)
        existing = self._output_fields.get(key)
        if existing is None:
            kind: GraphQLOutputType = scalar if nullable else GraphQLNonNull(scalar)
            existing = self._output_fields[key] = GraphQLField(kind, description=description)
        return existing

    def _input_field(self, kind: GraphQLScalarType, description: str | None) -> GraphQLInputField:
        existing = self._input_fields.get((kind, description))
        if existing is None:
            existing = GraphQLInputField(kind, description=description)
            self._input_fields[(kind, description)] = existing
        return existing

    def _id_argument(self, entity: Entity, *, required: bool) -> GraphQLArgument:
        kind = scalar_for(entity.identifier)
        existing = self._id_arguments.get((kind, required))
        if existing is None:
            existing = GraphQLArgument(GraphQLNonNull(kind) if required else kind)
            self._id_arguments[(kind, required)] = existing
        return existing

    def _sort_values_of(self, name: str) -> dict[str, GraphQLEnumValue]:
        existing = self._sort_values.get(name)
        if existing is None:
            existing = {
                sort_value(name, descending=False): GraphQLEnumValue((name, False)),
                sort_value(name, descending=True): GraphQLEnumValue((name, True)),
            }
            self._sort_values[name] = existing
        return existing


def nothing_to_create(catalog: Catalog) -> frozenset[str]:
    """The entities whose create input would have no field: no creatable field, and every
    editable hasMany relationship (if any) leads to such an entity. Found backwards from the
    entities that have neither, so a cycle of relationships keeps its inputs."""
    remaining: dict[str, int] = {}  # editable hasMany relations to entities not (yet) found
    owners: dict[str, list[str]] = {}
    for alias, entity in catalog.entities.items():
        if any(field.definition.is_creatable for field in entity.fields):
            continue
        targets = [r.target for r in entity.relations.values() if r.many and r.is_editable]
        remaining[alias] = len(targets)
        for target in targets:
            owners.setdefault(target, []).append(alias)
    pending = [alias for alias, count in remaining.items() if count == 0]
    found = set(pending)
    while pending:
        for owner in owners.get(pending.pop(), ()):
            remaining[owner] -= 1
            if remaining[owner] == 0:
                found.add(owner)
                pending.append(owner)
    return frozenset(found)


def build_schema(catalog: Catalog) -> GraphQLSchema:
    """The GraphQL schema serving ``catalog``'s active entities. (A serving application memoises
    graphql-core's name checks, which this build calls many times: see ``app/runtime.py``.)"""
    return SchemaBuilder(catalog).build()
