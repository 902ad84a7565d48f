"""The Explore panel of an entity: a grouping and an aggregate picked in a form, answered as a
table and a bar chart, with the REST URL and the GraphQL query that give the same answer.

The page reads through the application's aggregate operation with the admin's own
permissions, exactly as the two APIs do; the chart is drawn by dexgate
(:mod:`app.admin.bar_chart`). Groups are capped at :data:`MAX_GROUPS`, the largest first when
sorted by value.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from app.admin.bar_chart import bar_chart
from app.admin.endpoints import page
from app.admin.entities import LIST, configuration_of
from app.admin.templating import render
from app.gateway import Gateway
from app.rest.aggregate_query import group_key, measure_named
from app.security import permissions_of
from schema_builder.catalog import Entity
from schema_builder.errors import DexgateError
from schema_builder.graphql.aggregate_types import joined_name
from schema_builder.graphql.names import entity_names, upper_snake
from schema_builder.operations.aggregates.buckets import is_datelike
from schema_builder.operations.aggregates.measures import NUMERIC_TYPES
from schema_builder.operations.aggregates.plan import (
    BUCKETS,
    AggregatePlan,
    AggregateSortKey,
    GroupKey,
    Measure,
)

MAX_GROUPS = 50


def group_choices(entity: Entity) -> list[str]:
    """Every group key of the entity's own fields: each field, and each bucket of a date."""
    choices: list[str] = []
    for field in entity.fields:
        if field.type == "json":
            continue
        choices.append(field.name)
        if field.type in ("date", "datetime") or is_datelike(field.column.type):
            choices.extend(f"{bucket}({field.name})" for bucket in BUCKETS)
    return choices


def measure_choices(entity: Entity) -> list[str]:
    """``count`` and each function of each field it applies to (``sum.price``)."""
    choices = ["count"]
    for field in entity.fields:
        if field.type in NUMERIC_TYPES:
            choices += [f"sum.{field.name}", f"avg.{field.name}"]
        if field.type not in ("boolean", "json"):
            choices += [f"min.{field.name}", f"max.{field.name}"]
        if field.type != "json":
            choices.append(f"countDistinct.{field.name}")
    return choices


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def rest_url(alias: str, key: GroupKey | None, measure: Measure, by_value: bool) -> str:
    params: list[tuple[str, str]] = [
        (f"aggregate[{measure.function}]", measure.field or "*"),
    ]
    if key is not None:
        params.append(("groupBy[]", key.name))
        params.append(("sort", f"-{measure.name}" if by_value else key.name))
        params.append(("page[limit]", str(MAX_GROUPS)))
    return f"/dynamic-entity/{alias}?{urlencode(params, safe='[]*(),.')}"


def graphql_query(entity: Entity, key: GroupKey | None, measure: Measure, by_value: bool) -> str:
    names = entity_names(entity.alias, entity.configuration.definition.graphql_name)
    value = "count" if measure.field is None else f"{measure.function} {{ {measure.field} }}"
    if key is None:
        return f"{{\n  {names.aggregate_query} {{\n    {value}\n  }}\n}}\n"
    key_name = key.field if key.bucket is None else joined_name(key.field, key.bucket)
    if by_value and measure.field is None:
        sort = "{aggregate: COUNT, descending: true}"
    elif by_value:
        function, field = upper_snake(measure.function), upper_snake(measure.field or "")
        sort = f"{{aggregate: {function}, field: {field}, descending: true}}"
    else:
        sort = f"{{key: {upper_snake(key_name)}}}"
    return (
        f"{{\n  {names.aggregate_query}(groupBy: [{upper_snake(key_name)}], sort: [{sort}], "
        f"limit: {MAX_GROUPS}) {{\n    groups {{ key {{ {key_name} }} {value} }}\n  }}\n}}\n"
    )


async def explore(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    alias = request.path_params["alias"]
    config = await configuration_of(gateway, alias)
    catalog = await gateway.registry.current()
    entity = catalog.entities.get(alias)
    context: dict[str, Any] = {"config": config, "entity": entity}
    if entity is None:
        return render(request, "explore.html", section="entities", **context)
    groups, measures = group_choices(entity), measure_choices(entity)
    chosen_group = request.query_params.get("group", "")
    chosen_measure = request.query_params.get("measure", "count")
    by_value = request.query_params.get("order") == "value"
    if chosen_group not in groups:
        chosen_group = ""
    if chosen_measure not in measures:
        chosen_measure = "count"
    key = group_key(chosen_group) if chosen_group else None
    measure = measure_named(chosen_measure)
    sort: tuple[AggregateSortKey, ...] = ()
    if key is not None:
        sort = (AggregateSortKey(measure, True) if by_value else AggregateSortKey(key),)
    plan = AggregatePlan(
        alias,
        (measure,),
        (key,) if key is not None else (),
        sort=sort,
        limit=MAX_GROUPS if key is not None else None,
        max_groups=gateway.settings.max_page_size,
    )
    rows: list[tuple[str, Any]] = []
    error = None
    try:
        answer = await gateway.aggregates.aggregate(catalog, plan, permissions_of(request))
    except DexgateError as exc:
        error = exc.message
    else:
        for group in answer.groups:
            label = "all rows" if key is None else str(group["keys"][key.name])
            rows.append((label, group["measures"][measure]))
    chart = bar_chart(
        [(label, _number(value), "null" if value is None else str(value)) for label, value in rows],
        f"{measure.name} by {key.name if key else 'nothing'}",
    )
    return render(
        request,
        "explore.html",
        section="entities",
        **context,
        groups=groups,
        measures=measures,
        chosen_group=chosen_group,
        chosen_measure=chosen_measure,
        by_value=by_value,
        rows=rows,
        error=error,
        chart=Markup(chart),  # noqa: S704  # every text in it is escaped
        rest=rest_url(alias, key, measure, by_value),
        graphql=graphql_query(entity, key, measure, by_value),
        max_groups=MAX_GROUPS,
        key_name=key.name if key else None,
        measure_name=measure.name,
    )


routes = [page(LIST + "/{alias}/explore", explore)]
