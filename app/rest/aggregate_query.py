"""Reading an aggregate request from the REST query string, and writing its answer.

A collection GET with any ``aggregate[...]``, ``groupBy[]`` or ``having[...]`` parameter is an
aggregate read (a request without them is answered exactly as before)::

    aggregate[count]=*  aggregate[sum]=price,quantity  aggregate[countDistinct]=sku
    groupBy[]=category_id  groupBy[]=month(created_at)
    having[sum.price]={"gt":100}  having[count]=3
    sort=-sum.price,category_id  page[limit]=10  page[offset]=0  filter[...] as for lists

Each object of the answer holds the group's keys under the expressions as written, then
``"count": N`` for ``aggregate[count]=*`` and ``"FUNCTION": {"field": value}`` for the others,
in the order the functions were first asked for. Without ``groupBy[]`` the answer is one
object: the whole filtered set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

from app.rest.query import non_negative_int, parse_conditions, split_operators
from schema_builder.errors import InvalidAggregateError, PageLimitExceededError
from schema_builder.operations.aggregates.operation import Aggregates
from schema_builder.operations.aggregates.plan import (
    BUCKETS,
    FUNCTIONS,
    AggregatePlan,
    AggregateSortKey,
    Bucket,
    Function,
    GroupKey,
    HavingCondition,
    Measure,
)

_BUCKET = re.compile(r"^([a-z]+)\((.+)\)$")
ROWS = "*"


def is_aggregate(params: Iterable[tuple[str, str]]) -> bool:
    """Whether a collection GET asks for aggregates."""
    return any(
        key.startswith(("aggregate[", "having[")) or key in ("groupBy[]", "groupBy")
        for key, _ in params
    )


def _function(name: str) -> Function:
    for function in FUNCTIONS:
        if name == function:
            return function
    raise InvalidAggregateError(
        f"Unknown aggregate function `{name}`. Use one of: {', '.join(FUNCTIONS)}."
    )


def _bracketed(key: str, prefix: str) -> str | None:
    if key.startswith(prefix + "[") and key.endswith("]"):
        return key[len(prefix) + 1 : -1]
    return None


def parse_measures(params: Iterable[tuple[str, str]]) -> tuple[Measure, ...]:
    """``aggregate[FUNCTION]=field,field`` (``*`` for ``count``: the rows)."""
    measures: list[Measure] = []
    for key, value in params:
        name = _bracketed(key, "aggregate")
        if name is None:
            if key.startswith("aggregate"):
                raise InvalidAggregateError(f"Write `aggregate[FUNCTION]=field`, not `{key}`.")
            continue
        function = _function(name)
        fields = [part.strip() for part in value.split(",")]
        if not value.strip() or any(not part for part in fields):
            raise InvalidAggregateError(f"`{key}` names no field (use `*` to count rows).")
        for field in fields:
            if field == ROWS:
                if function != "count":
                    raise InvalidAggregateError("`*` only counts rows: aggregate[count]=*.")
                measures.append(Measure("count"))
            else:
                measures.append(Measure(function, field))
    return tuple(dict.fromkeys(measures))


def group_key(text: str) -> GroupKey:
    """``field`` or ``BUCKET(field)``."""
    text = text.strip()
    if not text:
        raise InvalidAggregateError("`groupBy[]` names no field.")
    match = _BUCKET.match(text)
    if match is None:
        if "(" in text or ")" in text:
            raise InvalidAggregateError(
                f"`{text}` is no group key: write a field or BUCKET(field) with BUCKET one of "
                f"{', '.join(BUCKETS)}."
            )
        return GroupKey(text)
    bucket, field = match.group(1), match.group(2).strip()
    if bucket not in BUCKETS:
        raise InvalidAggregateError(
            f"Unknown date bucket `{bucket}`. Use one of: {', '.join(BUCKETS)}."
        )
    return GroupKey(field, cast(Bucket, bucket))


def parse_groups(params: Iterable[tuple[str, str]]) -> tuple[GroupKey, ...]:
    """``groupBy[]=a&groupBy[]=month(b)`` (or ``groupBy=a,month(b)``)."""
    keys: list[GroupKey] = []
    for key, value in params:
        if key == "groupBy[]":
            keys.append(group_key(value))
        elif key == "groupBy":
            keys.extend(group_key(part) for part in value.split(","))
        elif key.startswith("groupBy"):
            raise InvalidAggregateError(f"Write `groupBy[]=field`, not `{key}`.")
    return tuple(dict.fromkeys(keys))


def measure_named(text: str) -> Measure:
    """``count`` or ``FUNCTION.field``."""
    if text == "count":
        return Measure("count")
    function, dot, field = text.partition(".")
    if not dot or not field:
        raise InvalidAggregateError(
            f"`{text}` names no aggregate: write `count` or FUNCTION.field, e.g. sum.price."
        )
    return Measure(_function(function), field)


def parse_having(params: Iterable[tuple[str, str]]) -> tuple[HavingCondition, ...]:
    """``having[sum.price]={"gt":100}``, ``having[count]=3`` (equality)."""
    conditions: list[HavingCondition] = []
    for key, value in params:
        target = _bracketed(key, "having")
        if target is None:
            if key.startswith("having"):
                raise InvalidAggregateError(f"Write `having[FUNCTION.field]=...`, not `{key}`.")
            continue
        measure = measure_named(target.strip())
        conditions.extend(
            HavingCondition(measure, operator, operand)
            for operator, operand in split_operators(target, value)
        )
    return tuple(conditions)


def parse_sort(raw: str | None, groups: tuple[GroupKey, ...]) -> tuple[AggregateSortKey, ...]:
    """``sort=-sum.price,category_id``: group keys and aggregates, ``-`` descending."""
    if raw is None or not raw.strip():
        return ()
    named = {key.name: key for key in groups}
    keys: list[AggregateSortKey] = []
    for part in raw.split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part[1:].strip() if descending else part
        if not name:
            raise InvalidAggregateError(f"`sort` has an empty key: {raw!r}.")
        by: GroupKey | Measure
        if name in named:
            by = named[name]
        elif name == "count" or "." in name:
            by = measure_named(name)
        else:
            by = group_key(name)
        keys.append(AggregateSortKey(by, descending))
    return tuple(keys)


def aggregate_plan(alias: str, params: Any, max_page_size: int) -> AggregatePlan:
    """The plan of a collection GET that :func:`is_aggregate`; ``params`` are Starlette's
    query parameters."""
    items = params.multi_items()
    if params.get("include") is not None:
        raise InvalidAggregateError("`include` does not apply to aggregates.")
    measures = parse_measures(items)
    if not measures:
        raise InvalidAggregateError(
            "Ask for at least one aggregate, e.g. aggregate[count]=* or aggregate[sum]=price."
        )
    groups = parse_groups(items)
    offset_raw, limit_raw = params.get("page[offset]"), params.get("page[limit]")
    offset = non_negative_int("page[offset]", offset_raw) if offset_raw is not None else 0
    limit = non_negative_int("page[limit]", limit_raw) if limit_raw is not None else None
    if limit is not None and limit > max_page_size:
        raise PageLimitExceededError(limit, max_page_size)
    return AggregatePlan(
        alias,
        measures,
        groups,
        conditions=parse_conditions(items),
        having=parse_having(items),
        sort=parse_sort(params.get("sort"), groups),
        offset=offset,
        limit=limit,
        max_groups=max_page_size,
    )


def rest_objects(plan: AggregatePlan, answer: Aggregates) -> list[dict[str, Any]]:
    """The answer's ``data``: per group its keys, then each function's values."""
    out: list[dict[str, Any]] = []
    for group in answer.groups:
        item: dict[str, Any] = dict(group["keys"])
        item.update(_by_function(plan.measures, group["measures"]))
        out.append(item)
    return out


def _by_function(measures: tuple[Measure, ...], values: Mapping[Measure, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for measure in measures:
        value = values[measure]
        if measure.field is None:
            existing = out.get("count")
            if isinstance(existing, dict):
                existing[ROWS] = value
            else:
                out["count"] = value
            continue
        existing = out.get(measure.function)
        if not isinstance(existing, dict):
            rows = existing
            existing = out[measure.function] = {}
            if rows is not None:
                existing[ROWS] = rows
        existing[measure.field] = value
    return out
