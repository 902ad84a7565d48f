"""Filter operators: a fixed table from operator name to SQL expression.

Clients choose an operator by name; the name is looked up here and never reaches SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from schema_builder.catalog import Entity
from schema_builder.errors import FilterFieldNotFoundError, InvalidFilterError
from schema_builder.operations.ir import Condition
from schema_builder.operations.values import filter_value

Column = sa.ColumnElement[Any]

OPERATORS: dict[str, Callable[[Column, Any], sa.ColumnElement[bool]]] = {
    "eq": lambda c, v: c == v,
    "ne": lambda c, v: c != v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "in": lambda c, v: c.in_(v),
    "like": lambda c, v: c.like(v),
    "isNull": lambda c, v: c.is_(None) if v else c.is_not(None),
}
MAX_IN_VALUES = 1000


def compile_conditions(
    entity: Entity, conditions: Iterable[Condition]
) -> list[sa.ColumnElement[bool]]:
    """SQL predicates for the conditions, all ANDed by the caller."""
    return [compile_condition(entity, c) for c in conditions]


def compile_condition(entity: Entity, condition: Condition) -> sa.ColumnElement[bool]:
    field = entity.field_for_filter(condition.field)
    if field is None:
        raise FilterFieldNotFoundError(condition.field, entity.alias)
    build = OPERATORS.get(condition.operator)
    if build is None:
        raise InvalidFilterError(
            f"Unknown filter operator `{condition.operator}`. Use one of: {', '.join(OPERATORS)}."
        )
    raw = condition.value
    if condition.operator == "in":
        if not isinstance(raw, list):
            raise InvalidFilterError(f"`in` for field `{field.name}` needs a list of values.")
        if len(raw) > MAX_IN_VALUES:
            raise InvalidFilterError(
                f"`in` for field `{field.name}` lists {len(raw)} values; at most "
                f"{MAX_IN_VALUES} are allowed."
            )
        value: Any = [filter_value(field, item, entity.alias) for item in raw]
    elif condition.operator == "isNull":
        if not isinstance(raw, bool):
            raise InvalidFilterError(f"`isNull` for field `{field.name}` takes true or false.")
        value = raw
    elif condition.operator == "like":
        if not isinstance(raw, str) or field.type != "string":
            raise InvalidFilterError(
                f"`like` needs a text pattern on a string field; `{field.name}` is {field.type}."
            )
        value = filter_value(field, raw, entity.alias)
    else:
        value = filter_value(field, raw, entity.alias)
    return build(field.column, value)
