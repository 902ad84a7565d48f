"""Each entity's aggregate query: its types, and the resolver that plans and reads it.

For ``products``::

    productsAggregate(filter: ProductAggregateFilter, groupBy: [ProductGroupBy!],
                      having: ProductHaving, sort: [ProductAggregateSort!],
                      limit: Int, offset: Int = 0): ProductAggregate!

    type ProductAggregate {            # the whole filtered set, and its groups
      count: Int!
      countDistinct: ProductCounts!    # every field but json ones: Int!
      sum: ProductSums!                # number fields: BigInt (integer), Decimal, Float
      avg: ProductAverages!            # Decimal for decimal fields, Float for the others
      min: ProductValues!              # every field but boolean and json ones, its own type
      max: ProductValues!
      groups: [ProductAggregateGroup!]!
    }
    type ProductAggregateGroup { key: ProductGroupKey!  count … max (as above) }

Group keys are the fields (``CATEGORY_ID`` in ``ProductGroupBy``, ``categoryId`` in the key,
with the field's own type) and, for date and timestamp fields, their UTC buckets
(``CREATED_AT_MONTH``, ``createdAtMonth: String`` such as ``"2026-03"``, or
``created_at_month`` for a field named in snake case; ``…Year`` is an ``Int``); a bucket
name that a field already has is not generated. ``filter`` is the list's filter, and for an
entity with belongsTo relationships ``<Type>AggregateFilter``, which also takes the related
rows' conditions per relationship (``{category: {name: {eq: "Cameras"}}}``). ``having``
takes the filter inputs per function and field
(``{count: {gt: 3}, sum: {price: {gte: "100"}}}``; ``count``, ``sum``, ``avg``, ``min``,
``max``: a ``countDistinct`` input would cost every schema build for little use), and per
belongsTo relationship the related entity's (``{sum: {category: {…}}}``). ``sort``
orders the groups by keys and aggregates, each an input
(``[{aggregate: SUM, field: PRICE, descending: true}, {key: CATEGORY_ID}]``): an enum value
per function and field would be ten times as many names to build.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
)

from schema_builder.catalog import Catalog, Entity, Relation
from schema_builder.graphql.aggregate import AGGREGATE_KEYS, RESOLVE
from schema_builder.graphql.field_maps import FieldMaps
from schema_builder.graphql.measures import RELATED_AGGREGATE
from schema_builder.graphql.names import EntityNames, upper_snake
from schema_builder.graphql.scalars import FILTERS, BigIntScalar, DecimalScalar
from schema_builder.graphql.selection import COMBINATORS, ENTITY_QUERY, RELATED_FILTER
from schema_builder.operations.aggregates.buckets import is_datelike
from schema_builder.operations.aggregates.measures import NUMERIC_TYPES
from schema_builder.operations.aggregates.plan import BUCKETS, Bucket, GroupKey

# The functions with a having input per field (max takes min's).
_HAVING_FUNCTIONS = ("sum", "avg", "min")
_COUNT_TYPE = GraphQLNonNull(GraphQLInt)
_COUNT = GraphQLField(_COUNT_TYPE, description="The rows.")
_OFFSET = GraphQLArgument(GraphQLInt, default_value=0)
_LIMIT = GraphQLArgument(GraphQLInt, description="Groups, at most the maximum page size.")
AggregateFunctionType = GraphQLEnumType(
    "AggregateFunction",
    {
        "COUNT": GraphQLEnumValue("count", description="The rows (no field)."),
        "COUNT_DISTINCT": GraphQLEnumValue("countDistinct"),
        "SUM": GraphQLEnumValue("sum"),
        "AVG": GraphQLEnumValue("avg"),
        "MIN": GraphQLEnumValue("min"),
        "MAX": GraphQLEnumValue("max"),
    },
    description="An aggregate function, to sort groups by.",
)

# The entity-independent fields of every aggregate sort input.
_SORT_AGGREGATE = GraphQLInputField(AggregateFunctionType, description="An aggregate (of `field`).")
_SORT_DESCENDING = GraphQLInputField(GraphQLBoolean, default_value=False)


def _related_value(parent: Mapping[str, Any], info: GraphQLResolveInfo, **_args: Any) -> Any:
    """A row's aggregate, read with the row under the field's response key."""
    return parent.get(str(info.path.key))


@dataclass(frozen=True, slots=True)
class _Measured:
    """An entity's fields by the functions that apply to them, each with the GraphQL type of
    its value: ``countDistinct`` (``Int!``) every field but json ones, ``sum`` and ``avg`` the
    number fields, ``min`` and ``max`` every field but boolean and json ones (its own type)."""

    counted: list[str]
    sums: dict[str, GraphQLScalarType]
    averages: dict[str, GraphQLScalarType]
    values: dict[str, GraphQLScalarType]


_SUM_SCALARS: dict[str, GraphQLScalarType] = {"integer": BigIntScalar, "decimal": DecimalScalar}


def _measured(entity: Entity, scalars: Sequence[GraphQLScalarType]) -> _Measured:
    """The fields of each function, in one pass over the entity's fields."""
    measured = _Measured([], {}, {}, {})
    for field, scalar in zip(entity.fields, scalars, strict=True):
        kind = field.type
        if kind == "json":
            continue
        name = field.name
        measured.counted.append(name)
        if kind in NUMERIC_TYPES:
            measured.sums[name] = _SUM_SCALARS.get(kind, GraphQLFloat)
            measured.averages[name] = DecimalScalar if kind == "decimal" else GraphQLFloat
        if kind != "boolean":
            measured.values[name] = scalar
    return measured


def joined_name(first: str, second: str) -> str:
    """Two names as one GraphQL name, in the first's case: ``createdAt`` + ``month`` is
    ``createdAtMonth``, ``created_at`` + ``month`` is ``created_at_month``."""
    if "_" in first or "_" in second:
        return f"{first}_{second}"
    return first + second[:1].upper() + second[1:]


# A group key with the GraphQL type of its key field, by field path, bucket and type.
KeyTypes = dict[tuple[str, Bucket | None, GraphQLScalarType], tuple[GroupKey, GraphQLScalarType]]


class GroupKeys:
    """An entity's group keys: each GraphQL key field name with its GroupKey and type: its
    fields, their date buckets, and the fields (and buckets) of the entities its belongsTo
    relationships lead to (``product`` + ``category_id``: ``product_category_id`` when the
    entity's names are in snake case, ``product`` + ``fkCategory``: ``productFkCategory``).

    ``shared`` holds the keys of the entities built before (one schema's): entities with a
    field of the same name and type share its key and its pair with its type."""

    def __init__(
        self,
        catalog: Catalog,
        entity: Entity,
        scalars: Callable[[Entity], Sequence[GraphQLScalarType]],
        shared: KeyTypes | None = None,
    ) -> None:
        self.keys: dict[str, tuple[GroupKey, GraphQLScalarType]] = {}
        shared = {} if shared is None else shared
        taken = {field.name for field in entity.fields}
        # The configuration's style: snake case when one of its names is.
        snake = any("_" in name for name in taken)
        self._add(entity, scalars(entity), "", "", taken, snake, shared)
        for relation in entity.relations.values():
            if not relation.many:
                target = catalog.entities[relation.target]
                prefix, path = relation.name, relation.name + "."
                self._add(target, scalars(target), prefix, path, taken, snake, shared)
        # The GraphQL key field of each group key as the operation names it (``month(x)``).
        self.by_written = {key.name: name for name, (key, _kind) in self.keys.items()}

    def _add(
        self,
        entity: Entity,
        scalars: Sequence[GraphQLScalarType],
        prefix: str,
        path: str,
        taken: set[str],
        snake: bool,
        shared: KeyTypes,
    ) -> None:
        keys = self.keys
        for field, scalar in zip(entity.fields, scalars, strict=True):
            field_type = field.definition.type
            if field_type == "json":
                continue
            name = written = field.name
            if prefix:
                name = f"{prefix}_{name}" if snake else joined_name(prefix, name)
                written = path + written
            if name in keys or (prefix and name in taken):
                continue  # a name a field already has
            existing = shared.get((written, None, scalar))
            if existing is None:
                existing = shared[(written, None, scalar)] = (GroupKey(written), scalar)
            keys[name] = existing
            if field_type not in ("date", "datetime") and not is_datelike(field.column.type):
                continue
            for bucket in BUCKETS:
                bucket_name = joined_name(name, bucket)
                if bucket_name not in taken and bucket_name not in keys:
                    kind = GraphQLInt if bucket == "year" else GraphQLString
                    existing = shared.get((written, bucket, kind))
                    if existing is None:
                        existing = (GroupKey(written, bucket), kind)
                        shared[(written, bucket, kind)] = existing
                    keys[bucket_name] = existing


class AggregateTypes:
    """Builds the aggregate query of each entity for one schema."""

    def __init__(
        self,
        catalog: Catalog,
        names: Mapping[str, EntityNames],
        maps: FieldMaps,
        filter_argument: Callable[[Entity], GraphQLArgument],
        filter_conditions: Callable[[Entity], dict[str, GraphQLInputField]],
        scalars: Callable[[Entity], tuple[GraphQLScalarType, ...]],
    ) -> None:
        self.catalog = catalog
        self.names = names
        self.maps = maps
        self.filter_argument = filter_argument
        self.filter_conditions = filter_conditions
        self.scalars = scalars
        # Fields of the same type are one object, shared by every type that has one.
        self._fields: dict[GraphQLOutputType, GraphQLField] = {}
        self._input_fields: dict[GraphQLInputObjectType, GraphQLInputField] = {}
        self._conditions: dict[GraphQLScalarType, GraphQLInputField | None] = {}
        # Per entity: its measure fields (shared by its root and related aggregate types) and
        # the field of a row's aggregate of it (shared by every hasMany relationship to it).
        self._measures: dict[str, dict[str, GraphQLField]] = {}
        self._measured: dict[str, _Measured] = {}
        # Group keys and their enum values (with their names), shared by entities.
        self._keys: KeyTypes = {}
        self._group_values: dict[tuple[str, GroupKey], tuple[str, GraphQLEnumValue]] = {}
        self._related: dict[str, GraphQLField] = {}
        # Per entity: the aggregate query's filter argument and input type.
        self._filter_arguments: dict[str, GraphQLArgument] = {}
        self._filters: dict[str, GraphQLInputType] = {}
        # Per entity and function: its having input (None: the function applies to no field).
        self._function_havings: dict[tuple[str, str], GraphQLInputObjectType | None] = {}

    def _field(self, kind: GraphQLOutputType) -> GraphQLField:
        existing = self._fields.get(kind)
        if existing is None:
            existing = self._fields[kind] = GraphQLField(kind)
        return existing

    def forget_memos(self) -> None:
        """Once the schema is built (see ``SchemaBuilder._forget_memos``)."""
        memos: tuple[dict[Any, Any], ...] = (
            self._fields,
            self._input_fields,
            self._conditions,
            self._measures,
            self._related,
            self._measured,
            self._keys,
            self._group_values,
            self._filter_arguments,
            self._filters,
            self._function_havings,
        )
        for memo in memos:
            memo.clear()

    def _group_value(self, name: str, key: GroupKey) -> tuple[str, GraphQLEnumValue]:
        """The group-by enum value of the key field ``name`` grouping by ``key``."""
        existing = self._group_values.get((name, key))
        if existing is None:
            existing = (upper_snake(name), GraphQLEnumValue(key))
            self._group_values[(name, key)] = existing
        return existing

    def _condition(self, kind: GraphQLScalarType) -> GraphQLInputField | None:
        """The ``having`` input field of an aggregate of type ``kind``: its filter input."""
        if kind in self._conditions:
            return self._conditions[kind]
        condition = FILTERS.get(kind.name)
        created = None if condition is None else self._input_field(condition)
        self._conditions[kind] = created
        return created

    def _input_field(self, kind: GraphQLInputObjectType) -> GraphQLInputField:
        existing = self._input_fields.get(kind)
        if existing is None:
            existing = self._input_fields[kind] = GraphQLInputField(kind)
        return existing

    def root_field(self, entity: Entity) -> GraphQLField:
        names = self.names[entity.alias]
        keys = GroupKeys(self.catalog, entity, self.scalars, self._keys)
        measures = self._measures_of(entity)
        group_fields = dict(measures)
        if keys.keys:
            key_type = self.maps.object_type(
                names.group_key,
                {name: self._field(kind) for name, (_key, kind) in keys.keys.items()},
                description="The group's keys: the values it was grouped by.",
            )
            group_fields = {"key": GraphQLField(GraphQLNonNull(key_type)), **measures}
        group_type = self.maps.object_type(names.aggregate_group, group_fields)
        aggregate_type = self.maps.object_type(
            names.aggregate,
            {
                **measures,
                "groups": GraphQLField(
                    GraphQLNonNull(GraphQLList(GraphQLNonNull(group_type))),
                    description="The groups of `groupBy` (one, the whole set, without it).",
                ),
            },
            description=f"Aggregates of `{entity.alias}`.",
        )
        args: dict[str, GraphQLArgument] = {"filter": self._filter_argument(entity)}
        if keys.keys:
            group_by = self.maps.enum_type(
                names.group_by,
                dict(self._group_value(name, key) for name, (key, _k) in keys.keys.items()),
            )
            args["groupBy"] = GraphQLArgument(GraphQLList(GraphQLNonNull(group_by)))
            args["sort"] = GraphQLArgument(
                GraphQLList(GraphQLNonNull(self._sort_type(names, group_by)))
            )
        args["having"] = GraphQLArgument(self._having_type(entity))
        args["limit"] = _LIMIT
        args["offset"] = _OFFSET
        return self.maps.field(
            GraphQLNonNull(aggregate_type),
            args,
            resolve=RESOLVE,
            extensions={
                ENTITY_QUERY: ("aggregate", entity.alias),
                AGGREGATE_KEYS: (entity.alias, keys),
            },
            description=f"Counts, sums, averages, minimums and maximums of `{entity.alias}`, "
            "over the filtered rows and per group.",
        )

    def _filter_argument(self, entity: Entity) -> GraphQLArgument:
        """The aggregate query's ``filter``: the list's, unless the entity has belongsTo
        relationships, whose related rows the filter may then name too."""
        existing = self._filter_arguments.get(entity.alias)
        if existing is None:
            kind = self._filter_type(entity)
            plain = self.filter_argument(entity)
            existing = plain if kind is plain.type else GraphQLArgument(kind)
            self._filter_arguments[entity.alias] = existing
        return existing

    def _filter_type(self, entity: Entity) -> GraphQLInputType:
        """``<Type>AggregateFilter``: the entity's filter fields, a field per belongsTo
        relationship holding its related entity's (``{product: {is_active: {eq: true}}}``),
        and ``and``, ``or``, ``not`` of itself. The list's ``<Type>Filter`` for an entity
        without belongsTo relationships."""
        existing = self._filters.get(entity.alias)
        if existing is not None:
            return existing
        relations = [
            relation
            for relation in entity.relations.values()
            if not relation.many and relation.name not in COMBINATORS
        ]
        created: GraphQLInputType
        if relations:
            created = self.maps.input_type(
                self.names[entity.alias].aggregate_filter,
                functools.partial(self._filter_fields, entity, relations),
                description=f"Conditions on `{entity.alias}` and on the rows its belongsTo "
                "relationships lead to.",
            )
        else:
            created = self.filter_argument(entity).type
        self._filters[entity.alias] = created
        return created

    def _filter_fields(
        self, entity: Entity, relations: Sequence[Relation]
    ) -> dict[str, GraphQLInputField]:
        own = self._filters[entity.alias]
        fields = self.filter_conditions(entity)
        for relation in relations:
            target = self.catalog.entities[relation.target]
            # Named with the trailing dot, the related conditions are told from the fields'
            # (see schema_builder.graphql.selection.filter_from_input).
            fields[relation.name] = GraphQLInputField(
                self._filter_type(target), out_name=relation.name + RELATED_FILTER
            )
        combined = GraphQLInputField(GraphQLList(GraphQLNonNull(own)))
        fields["and"] = combined
        fields["or"] = combined
        fields["not"] = GraphQLInputField(own)
        return fields

    def _measures_of(self, entity: Entity) -> dict[str, GraphQLField]:
        existing = self._measures.get(entity.alias)
        if existing is None:
            names = self.names[entity.alias]
            existing = self._measure_fields(names, self._measured_of(entity))
            self._measures[entity.alias] = existing
        return existing

    def _measured_of(self, entity: Entity) -> _Measured:
        existing = self._measured.get(entity.alias)
        if existing is None:
            existing = self._measured[entity.alias] = _measured(entity, self.scalars(entity))
        return existing

    def related_field(self, entity: Entity) -> GraphQLField:
        """The field of a row's aggregate of its related rows of ``entity`` (a hasMany
        relationship's ``<name>Aggregate``): the whole set's measures, no groups. One field
        and one type per related entity, whichever relationships lead to it."""
        existing = self._related.get(entity.alias)
        if existing is not None:
            return existing
        names = self.names[entity.alias]
        related_type = self.maps.object_type(
            names.related_aggregate,
            self._measures_of(entity),
            description=f"Aggregates of a row's related `{entity.alias}`.",
        )
        created = self.maps.field(
            GraphQLNonNull(related_type),
            {"filter": self.filter_argument(entity)},
            resolve=_related_value,
            extensions={RELATED_AGGREGATE: entity.alias},
            description=f"Counts, sums, averages, minimums and maximums of the row's related "
            f"`{entity.alias}` that pass the filter (a count of 0 and null values without any).",
        )
        self._related[entity.alias] = created
        return created

    def _measure_fields(self, names: EntityNames, measured: _Measured) -> dict[str, GraphQLField]:
        fields: dict[str, GraphQLField] = {"count": _COUNT}
        if measured.counted:
            counts = dict.fromkeys(measured.counted, self._field(_COUNT_TYPE))
            fields["countDistinct"] = self._measure(names.counts, counts)
        if measured.sums:
            fields["sum"] = self._measure(names.sums, self._members(measured.sums))
            fields["avg"] = self._measure(names.averages, self._members(measured.averages))
        if measured.values:
            # min and max: one type, whose name says it holds values of the fields.
            fields["min"] = fields["max"] = self._measure(
                names.values, self._members(measured.values)
            )
        return fields

    def _measure(self, type_name: str, members: dict[str, GraphQLField]) -> GraphQLField:
        return GraphQLField(GraphQLNonNull(self.maps.object_type(type_name, members)))

    def _members(self, kinds: Mapping[str, GraphQLScalarType]) -> dict[str, GraphQLField]:
        field = self._field
        return {name: field(kind) for name, kind in kinds.items()}

    def _having_type(self, entity: Entity) -> GraphQLInputObjectType:
        fields: dict[str, GraphQLInputField] = {"count": self._input_field(FILTERS["Int"])}
        for function in _HAVING_FUNCTIONS:
            having = self._function_having(entity, function)
            if having is not None:
                fields[function] = self._input_field(having)
        if "min" in fields:
            fields["max"] = fields["min"]
        return self.maps.input_type(
            self.names[entity.alias].having,
            fields,
            description="Conditions on the groups' aggregates, all of which must hold.",
        )

    def _function_having(self, entity: Entity, function: str) -> GraphQLInputObjectType | None:
        """``<Type>SumsHaving`` (``…AveragesHaving``, ``…ValuesHaving`` for min and max): a
        filter input per field the function applies to, and a field per belongsTo
        relationship holding the related entity's (``{product: {price: {gt: "10"}}}``); None
        when the function applies to none of the entity's fields."""
        key = (entity.alias, function)
        if key in self._function_havings:
            return self._function_havings[key]
        conditions = self._having_conditions(entity, function)
        created: GraphQLInputObjectType | None = None
        if conditions:
            names = self.names[entity.alias]
            type_name = {
                "sum": names.sums_having,
                "avg": names.averages_having,
                "min": names.values_having,
            }[function]
            created = self.maps.input_type(
                type_name,
                functools.partial(self._function_having_fields, entity, function, conditions),
            )
        self._function_havings[key] = created
        return created

    def _having_conditions(self, entity: Entity, function: str) -> dict[str, GraphQLInputField]:
        measured = self._measured_of(entity)
        kinds = {"sum": measured.sums, "avg": measured.averages, "min": measured.values}
        return {
            name: condition
            for name, kind in kinds[function].items()
            if (condition := self._condition(kind)) is not None
        }

    def _function_having_fields(
        self, entity: Entity, function: str, conditions: dict[str, GraphQLInputField]
    ) -> dict[str, GraphQLInputField]:
        fields = dict(conditions)
        taken = {field.name for field in entity.fields}
        for relation in entity.relations.values():
            if relation.many or relation.name in taken:
                continue
            related = self._function_having(self.catalog.entities[relation.target], function)
            if related is not None:
                # Named with the trailing dot, as the aggregate filter's relationships are.
                fields[relation.name] = GraphQLInputField(
                    related, out_name=relation.name + RELATED_FILTER
                )
        return fields

    def _sort_type(self, names: EntityNames, group_by: GraphQLEnumType) -> GraphQLInputObjectType:
        return self.maps.input_type(
            names.aggregate_sort,
            {
                "key": GraphQLInputField(group_by, description="A group key."),
                "aggregate": _SORT_AGGREGATE,
                "field": GraphQLInputField(
                    group_by, description="The field of the aggregate (not for COUNT)."
                ),
                "descending": _SORT_DESCENDING,
            },
            description="One sort key: a group key, or an aggregate such as `{aggregate: SUM, "
            "field: PRICE}`; `descending` to reverse it.",
        )
