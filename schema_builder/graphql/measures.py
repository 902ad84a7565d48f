"""The aggregate functions a selection asks for: ``count``, ``sum { price }``… under an
aggregate object, whether the root ``<entity>Aggregate`` field or a row's
``<relationship>Aggregate`` field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from graphql import GraphQLObjectType, get_named_type

from schema_builder.operations.aggregates.plan import Function, Measure
from schema_builder.operations.ir import AggregateOut, AggregateShape, Include

if TYPE_CHECKING:
    from schema_builder.graphql.selection import Selection

# The extension of a row's ``<relationship>Aggregate`` field: the related entity's alias.
RELATED_AGGREGATE = "dexgate_related_aggregate"
# The GraphQL field of each function with a field, and the function it stands for.
FUNCTION_FIELDS: dict[str, Function] = {
    "countDistinct": "countDistinct",
    "sum": "sum",
    "avg": "avg",
    "min": "min",
    "max": "max",
}


def measures_selected(
    selection: Selection, object_type: GraphQLObjectType, nodes: Sequence[Any]
) -> list[Measure]:
    """The functions selected directly under ``nodes`` (``count``, ``sum { price }``…)."""
    found: list[Measure] = []
    for sub in selection.selected(object_type, nodes).values():
        name = sub[0].name.value
        if name == "count":
            found.append(Measure("count"))
            continue
        function = FUNCTION_FIELDS.get(name)
        if function is None:
            continue
        inner = get_named_type(object_type.fields[name].type)
        assert isinstance(inner, GraphQLObjectType)
        for fields in selection.selected(inner, sub).values():
            field = fields[0].name.value
            if field != "__typename":
                found.append(Measure(function, field))
    return found


def aggregate_out(
    selection: Selection,
    aggregate_type: GraphQLObjectType,
    key: str,
    nodes: Sequence[Any],
    include: Include,
    *,
    by_name: bool = False,
) -> AggregateOut:
    """A row's ``<relationship>Aggregate`` field as the shape writes it: its measures, and
    each selected value under its response key (``__typename`` as a constant), or, for
    graphql-core's resolvers (``by_name``), under its name."""
    measures: dict[Measure, int] = {}

    def index(measure: Measure) -> int:
        return measures.setdefault(measure, len(measures))

    output: dict[str, int | str | AggregateShape] = {}
    for response_key, sub in selection.selected(aggregate_type, nodes).items():
        name = sub[0].name.value
        if name == "__typename":
            if not by_name:
                output[response_key] = f'"{aggregate_type.name}"'
            continue
        out_key = name if by_name else response_key
        if name == "count":
            output[out_key] = index(Measure("count"))
            continue
        function = FUNCTION_FIELDS[name]
        inner = get_named_type(aggregate_type.fields[name].type)
        assert isinstance(inner, GraphQLObjectType)
        members: dict[str, int | str | AggregateShape] = dict(
            output.get(out_key, ()) if by_name else ()  # type: ignore[arg-type]
        )
        for inner_key, fields in selection.selected(inner, sub).items():
            field = fields[0].name.value
            if field == "__typename":
                if not by_name:
                    members[inner_key] = f'"{inner.name}"'
                continue
            members[field if by_name else inner_key] = index(Measure(function, field))
        output[out_key] = tuple(members.items())
    if not measures:
        index(Measure("count"))  # a statement selects something
    return AggregateOut(key, include, tuple(measures), tuple(output.items()))
