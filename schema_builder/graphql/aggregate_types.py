"""Each entity's aggregate query: its types, and the resolver that plans and reads it.

For ``products``::

    productsAggregate(filter: ProductFilter, groupBy: [ProductGroupBy!],
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
name that a field already has is not generated. ``having`` takes the filter inputs per
function and field (``{count: {gt: 3}, sum: {price: {gte: "100"}}}``; ``count``, ``sum``,
``avg``, ``min``, ``max``: a ``countDistinct`` input would cost every schema build for little
use). ``sort`` orders the groups by keys and aggregates, each an input
(``[{aggregate: SUM, field: PRICE, descending: true}, {key: CATEGORY_ID}]``): an enum value
per function and field would be ten times as many names to build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
)

from schema_builder.catalog import Catalog, Entity, Field
from schema_builder.graphql.aggregate import AGGREGATE_KEYS, RESOLVE
from schema_builder.graphql.field_maps import FieldMaps
from schema_builder.graphql.measures import RELATED_AGGREGATE
from schema_builder.graphql.names import EntityNames, upper_snake
from schema_builder.graphql.scalars import FILTERS, BigIntScalar, DecimalScalar
from schema_builder.graphql.selection import ENTITY_QUERY
from schema_builder.operations.aggregates.buckets import is_datelike
from schema_builder.operations.aggregates.measures import NUMERIC_TYPES
from schema_builder.operations.aggregates.plan import (
    BUCKETS,
    GroupKey,
)

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


def _related_value(parent: Mapping[str, Any], info: GraphQLResolveInfo, **_args: Any) -> Any:
    """A row's aggregate, read with the row under the field's response key."""
    return parent.get(str(info.path.key))


def _sum_scalar(field: Field, scalar: GraphQLScalarType) -> GraphQLScalarType:
    return {"integer": BigIntScalar, "decimal": DecimalScalar}.get(field.type, GraphQLFloat)


def _avg_scalar(field: Field, scalar: GraphQLScalarType) -> GraphQLScalarType:
    return DecimalScalar if field.type == "decimal" else GraphQLFloat


def _counted(field: Field) -> bool:
    return field.type != "json"


def _summed(field: Field) -> bool:
    return field.type in NUMERIC_TYPES


def _ordered(field: Field) -> bool:
    return field.type not in ("boolean", "json")


def _datelike(field: Field) -> bool:
    return field.type in ("date", "datetime") or is_datelike(field.column.type)


# Per function: which fields it applies to, and the GraphQL type of its value.
_MEASURED: dict[
    str,
    tuple[
        Callable[[Field], bool],
        Callable[[Field, GraphQLScalarType], GraphQLScalarType] | None,
    ],
] = {
    "countDistinct": (_counted, None),
    "sum": (_summed, _sum_scalar),
    "avg": (_summed, _avg_scalar),
    "min": (_ordered, lambda _f, scalar: scalar),
    "max": (_ordered, lambda _f, scalar: scalar),
}


def joined_name(first: str, second: str) -> str:
    """Two names as one GraphQL name, in the first's case: ``createdAt`` + ``month`` is
    ``createdAtMonth``, ``created_at`` + ``month`` is ``created_at_month``."""
    if "_" in first or "_" in second:
        return f"{first}_{second}"
    return first + second[:1].upper() + second[1:]


class GroupKeys:
    """An entity's group keys: each GraphQL key field name with its GroupKey and type: its
    fields, their date buckets, and the fields (and buckets) of the entities its belongsTo
    relationships lead to (``product`` + ``category_id``: ``product_category_id`` when the
    entity's names are in snake case, ``product`` + ``fkCategory``: ``productFkCategory``)."""

    def __init__(
        self,
        catalog: Catalog,
        entity: Entity,
        scalars: Callable[[Entity], Sequence[GraphQLScalarType]],
    ) -> None:
        self.keys: dict[str, tuple[GroupKey, GraphQLScalarType]] = {}
        self._taken = {field.name for field in entity.fields}
        # The configuration's style: snake case when one of its names is.
        self._snake = any("_" in name for name in self._taken)
        self._add(entity, scalars(entity), "", "")
        for relation in entity.relations.values():
            if not relation.many:
                target = catalog.entities[relation.target]
                self._add(target, scalars(target), relation.name, relation.name + ".")
        self.names = {key: name for name, (key, _kind) in self.keys.items()}
        # The GraphQL key field of each group key as the operation names it (``month(x)``).
        self.by_written = {key.name: name for key, name in self.names.items()}

    def _add(
        self, entity: Entity, scalars: Sequence[GraphQLScalarType], prefix: str, path: str
    ) -> None:
        for field, scalar in zip(entity.fields, scalars, strict=True):
            if field.type == "json":
                continue
            name = field.name
            if prefix:
                name = f"{prefix}_{name}" if self._snake else joined_name(prefix, name)
            if name in self.keys or (prefix and name in self._taken):
                continue  # a name a field already has
            self.keys[name] = (GroupKey(path + field.name), scalar)
            if not _datelike(field):
                continue
            for bucket in BUCKETS:
                bucket_name = joined_name(name, bucket)
                if bucket_name not in self._taken and bucket_name not in self.keys:
                    kind = GraphQLInt if bucket == "year" else GraphQLString
                    self.keys[bucket_name] = (GroupKey(path + field.name, bucket), kind)


class AggregateTypes:
    """Builds the aggregate query of each entity for one schema."""

    def __init__(
        self,
        catalog: Catalog,
        names: Mapping[str, EntityNames],
        maps: FieldMaps,
        filter_type: Callable[[Entity], GraphQLInputObjectType],
        scalars: Callable[[Entity], tuple[GraphQLScalarType, ...]],
    ) -> None:
        self.catalog = catalog
        self.names = names
        self.maps = maps
        self.filter_type = filter_type
        self.scalars = scalars
        # Fields of the same type are one object, shared by every type that has one.
        self._fields: dict[GraphQLOutputType, GraphQLField] = {}
        self._input_fields: dict[GraphQLInputObjectType, GraphQLInputField] = {}
        # Per entity: its measure fields (shared by its root and related aggregate types) and
        # the field of a row's aggregate of it (shared by every hasMany relationship to it).
        self._measures: dict[str, dict[str, GraphQLField]] = {}
        self._related: dict[str, GraphQLField] = {}

    def _field(self, kind: GraphQLOutputType) -> GraphQLField:
        existing = self._fields.get(kind)
        if existing is None:
            existing = self._fields[kind] = GraphQLField(kind)
        return existing

    def _input_field(self, kind: GraphQLInputObjectType) -> GraphQLInputField:
        existing = self._input_fields.get(kind)
        if existing is None:
            existing = self._input_fields[kind] = GraphQLInputField(kind)
        return existing

    def root_field(self, entity: Entity) -> GraphQLField:
        names = self.names[entity.alias]
        scalars = self.scalars(entity)
        keys = GroupKeys(self.catalog, entity, self.scalars)
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
        args: dict[str, GraphQLArgument] = {"filter": GraphQLArgument(self.filter_type(entity))}
        if keys.keys:
            group_by = GraphQLEnumType(
                names.group_by,
                {upper_snake(name): GraphQLEnumValue(key) for name, (key, _k) in keys.keys.items()},
            )
            args["groupBy"] = GraphQLArgument(GraphQLList(GraphQLNonNull(group_by)))
            args["sort"] = GraphQLArgument(
                GraphQLList(GraphQLNonNull(self._sort_type(names, group_by)))
            )
        args["having"] = GraphQLArgument(self._having_type(entity, names, scalars))
        args["limit"] = _LIMIT
        args["offset"] = _OFFSET
        return GraphQLField(
            GraphQLNonNull(aggregate_type),
            args=args,
            resolve=RESOLVE,
            extensions={
                ENTITY_QUERY: ("aggregate", entity.alias),
                AGGREGATE_KEYS: (entity.alias, keys),
            },
            description=f"Counts, sums, averages, minimums and maximums of `{entity.alias}`, "
            "over the filtered rows and per group.",
        )

    def _measures_of(self, entity: Entity) -> dict[str, GraphQLField]:
        existing = self._measures.get(entity.alias)
        if existing is None:
            names = self.names[entity.alias]
            existing = self._measure_fields(entity, names, self.scalars(entity))
            self._measures[entity.alias] = existing
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
        created = GraphQLField(
            GraphQLNonNull(related_type),
            args={"filter": GraphQLArgument(self.filter_type(entity))},
            resolve=_related_value,
            extensions={RELATED_AGGREGATE: entity.alias},
            description=f"Counts, sums, averages, minimums and maximums of the row's related "
            f"`{entity.alias}` that pass the filter (a count of 0 and null values without any).",
        )
        self._related[entity.alias] = created
        return created

    def _measure_fields(
        self, entity: Entity, names: EntityNames, scalars: Sequence[GraphQLScalarType]
    ) -> dict[str, GraphQLField]:
        fields: dict[str, GraphQLField] = {"count": _COUNT}
        type_names = {
            "countDistinct": names.counts,
            "sum": names.sums,
            "avg": names.averages,
            "min": names.values,
        }
        shared: GraphQLObjectType | None = None
        for function, (applies, typed) in _MEASURED.items():
            if function == "max" and shared is not None:
                fields["max"] = GraphQLField(GraphQLNonNull(shared))
                continue
            members: dict[str, GraphQLField] = {}
            for field, scalar in zip(entity.fields, scalars, strict=True):
                if applies(field):
                    kind = _COUNT_TYPE if typed is None else typed(field, scalar)
                    members[field.name] = self._field(kind)
            if not members:
                continue
            created = self.maps.object_type(type_names[function], members)
            if function == "min":
                shared = created
            fields[function] = GraphQLField(GraphQLNonNull(created))
        return fields

    def _having_type(
        self, entity: Entity, names: EntityNames, scalars: Sequence[GraphQLScalarType]
    ) -> GraphQLInputObjectType:
        fields: dict[str, GraphQLInputField] = {"count": GraphQLInputField(FILTERS["Int"])}
        type_names = {
            "sum": names.sums_having,
            "avg": names.averages_having,
            "min": names.values_having,
        }
        shared: GraphQLInputObjectType | None = None
        for function, (applies, typed) in _MEASURED.items():
            if function == "countDistinct":  # not offered: its type would cost every build
                continue
            if function == "max" and shared is not None:
                fields["max"] = GraphQLInputField(shared)
                continue
            members: dict[str, GraphQLInputField] = {}
            for field, scalar in zip(entity.fields, scalars, strict=True):
                if not applies(field):
                    continue
                kind = GraphQLInt if typed is None else typed(field, scalar)
                condition = FILTERS.get(kind.name)
                if condition is not None:
                    members[field.name] = self._input_field(condition)
            if not members:
                continue
            created = self.maps.input_type(type_names[function], members)
            if function == "min":
                shared = created
            fields[function] = GraphQLInputField(created)
        return self.maps.input_type(
            names.having,
            fields,
            description="Conditions on the groups' aggregates, all of which must hold.",
        )

    def _sort_type(self, names: EntityNames, group_by: GraphQLEnumType) -> GraphQLInputObjectType:
        return self.maps.input_type(
            names.aggregate_sort,
            {
                "key": GraphQLInputField(group_by, description="A group key."),
                "aggregate": GraphQLInputField(
                    AggregateFunctionType, description="An aggregate (of `field`)."
                ),
                "field": GraphQLInputField(
                    group_by, description="The field of the aggregate (not for COUNT)."
                ),
                "descending": GraphQLInputField(GraphQLBoolean, default_value=False),
            },
            description="One sort key: a group key, or an aggregate such as `{aggregate: SUM, "
            "field: PRICE}`; `descending` to reverse it.",
        )
