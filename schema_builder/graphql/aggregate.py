"""An aggregate field of the GraphQL schema planned and answered: its selection walked into
one :class:`~schema_builder.operations.aggregates.plan.AggregatePlan` (the functions selected at
the top and under ``groups``), read through the application's
:class:`~schema_builder.operations.aggregates.operation.Aggregator` (one statement), and
written as graphql-core's resolvers give it. The plan executor
(:mod:`schema_builder.graphql.answer`) plans it the same way and writes the answer itself
(:mod:`schema_builder.graphql.projection`). The types: :mod:`.aggregate_types`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    get_named_type,
)

from schema_builder.errors import DexgateError, InvalidAggregateError
from schema_builder.graphql.errors import to_graphql_error
from schema_builder.graphql.measures import FUNCTION_FIELDS, measures_selected
from schema_builder.graphql.selection import (
    RELATED_FILTER,
    GraphQLContext,
    Selection,
    filter_from_input,
    page_bounds,
)
from schema_builder.operations.aggregates.operation import Aggregates
from schema_builder.operations.aggregates.plan import (
    AggregatePlan,
    AggregateSortKey,
    HavingCondition,
    Measure,
)

if TYPE_CHECKING:
    from schema_builder.graphql.aggregate_types import GroupKeys

# The aggregate field's extension holding its entity's alias and group keys.
AGGREGATE_KEYS = "dexgate_aggregate"


def _having(value: Mapping[str, Any] | None) -> tuple[HavingCondition, ...]:
    conditions: list[HavingCondition] = []
    for function, operand in (value or {}).items():
        if operand is None:
            continue
        if function == "count":
            conditions.extend(HavingCondition(Measure("count"), op, v) for op, v in operand.items())
            continue
        for field, operators in _fields(operand, ""):
            measure = Measure(FUNCTION_FIELDS[function], field)
            conditions.extend(HavingCondition(measure, op, v) for op, v in operators.items())
    return tuple(conditions)


def _fields(operand: Mapping[str, Any], path: str) -> list[tuple[str, Mapping[str, Any]]]:
    """A function's having input as (field, operators): a related field's under its path
    (``{product: {price: {...}}}`` gives ``product.price``)."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    for key, operators in operand.items():
        if operators is None:
            continue
        if key.endswith(RELATED_FILTER):
            found.extend(_fields(operators, path + key))
        else:
            found.append((path + key, operators))
    return found


def _sort_key(item: Mapping[str, Any]) -> AggregateSortKey:
    """A sort input: ``{key: CATEGORY_ID}`` or ``{aggregate: SUM, field: PRICE}``."""
    key, function, field = item.get("key"), item.get("aggregate"), item.get("field")
    descending = bool(item.get("descending"))
    if (key is None) == (function is None):
        raise InvalidAggregateError("Each sort key names either `key` or `aggregate`.")
    if key is not None:
        if field is not None:
            raise InvalidAggregateError("`field` goes with `aggregate`, not with `key`.")
        return AggregateSortKey(key, descending)
    if function == "count":
        if field is not None:
            raise InvalidAggregateError("COUNT counts rows: it takes no `field`.")
        return AggregateSortKey(Measure("count"), descending)
    if field is None or field.bucket is not None:
        raise InvalidAggregateError(f"`{function}` needs a `field`: a field, not a bucket.")
    return AggregateSortKey(Measure(FUNCTION_FIELDS[str(function)], field.field), descending)


def _values(measures: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for measure, value in measures.items():
        if measure.field is None:
            out["count"] = value
        else:
            out.setdefault(measure.function, {})[measure.field] = value
    return out


@dataclass(frozen=True, slots=True)
class PlannedAggregate:
    """An aggregate field planned: the plan, whether the field selects the whole set's
    values and the groups, and the field's group keys (to name each group's key)."""

    plan: AggregatePlan
    with_totals: bool
    with_groups: bool
    keys: GroupKeys

    async def answer(self, context: GraphQLContext) -> dict[str, Any]:
        """The field's value as graphql-core's resolvers give it: each field under its
        name. Raises :class:`DexgateError`."""
        if context.aggregates is None:
            raise InvalidAggregateError("Aggregates are not served here.")
        answer = await context.aggregates.aggregate(context.catalog, self.plan, context.access)
        return _answer(answer, self.keys, self.with_totals, self.with_groups)


def plan_aggregate(
    selection: Selection,
    field: GraphQLField,
    nodes: Sequence[FieldNode],
    args: Mapping[str, Any],
    context: GraphQLContext,
) -> PlannedAggregate:
    """The plan of an aggregate field (``field``, selected by ``nodes``, with ``args``)."""
    alias, keys = field.extensions[AGGREGATE_KEYS]
    aggregate_type = get_named_type(field.type)
    assert isinstance(aggregate_type, GraphQLObjectType)
    totals = measures_selected(selection, aggregate_type, nodes)
    grouped: list[Measure] = []
    groups_selected = False
    for sub in selection.selected(aggregate_type, nodes).values():
        if sub[0].name.value == "groups":
            groups_selected = True
            group_type = get_named_type(aggregate_type.fields["groups"].type)
            assert isinstance(group_type, GraphQLObjectType)
            grouped.extend(measures_selected(selection, group_type, sub))
    measures = tuple(dict.fromkeys([*totals, *grouped])) or (Measure("count"),)
    group_keys = tuple(dict.fromkeys(args.get("groupBy") or ()))
    offset, page = page_bounds(context, args.get("limit"), args.get("offset"))
    # Without a limit: every group, up to the maximum page size (else DX153).
    limit: int | None = None if args.get("limit") is None else page
    if not (groups_selected and group_keys):
        offset, limit = 0, None  # one row: the whole set
    plan = AggregatePlan(
        alias,
        measures,
        group_keys if groups_selected else (),
        conditions=filter_from_input(args.get("filter")),
        having=_having(args.get("having")),
        sort=tuple(_sort_key(item) for item in args.get("sort") or ()),
        offset=offset,
        limit=limit,
        max_groups=context.max_page_size,
        totals=bool(totals) and groups_selected and bool(group_keys),
    )
    return PlannedAggregate(plan, bool(totals), groups_selected, keys)


def _answer(
    answer: Aggregates, keys: GroupKeys, with_totals: bool, with_groups: bool
) -> dict[str, Any]:
    named = keys.by_written
    groups = [
        {
            "key": {named[name]: value for name, value in group["keys"].items()},
            **_values(group["measures"]),
        }
        for group in answer.groups
    ]
    out: dict[str, Any] = {"groups": groups if with_groups else []}
    if with_totals:
        measures = answer.totals if answer.totals is not None else answer.groups[0]["measures"]
        out.update(_values(measures))
    return out


def aggregate_resolver() -> Callable[..., Any]:
    async def resolve(_root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        context: GraphQLContext = info.context
        selection = Selection(info.schema, info.fragments, info.variable_values)
        field = info.parent_type.fields[info.field_name]
        try:
            planned = plan_aggregate(selection, field, info.field_nodes, args, context)
            return await planned.answer(context)
        except DexgateError as exc:
            raise to_graphql_error(exc) from exc

    return resolve


RESOLVE = aggregate_resolver()
