"""Filter operators: a fixed table from operator name to SQL expression.

Clients choose an operator by name; the name is looked up here and never reaches SQL.

``like`` escapes with a backslash on every back end (``\\%``, ``\\_``, ``\\\\``), as PostgreSQL
does by default and SQLite only when told. A filter is bounded: SQLite refuses expressions
nested more than 1000 deep and both back ends statements of more than 32766 parameters, which
would otherwise be server errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from schema_builder.catalog import Entity, Field
from schema_builder.errors import FilterFieldNotFoundError, InvalidFilterError
from schema_builder.operations.ir import AllOf, AnyOf, Condition, Filter, Not
from schema_builder.operations.like import LIKE_ESCAPE, like
from schema_builder.operations.values import filter_value

Column = sa.ColumnElement[Any]
# The field a filter names and the column it compares, when not the entity's own field
# (aggregates name fields of related entities: ``product.category_id``); None: unknown.
Resolver = Callable[[str], "tuple[Field, Column] | None"]

OPERATORS: dict[str, Callable[[Column, Any], sa.ColumnElement[bool]]] = {
    "eq": lambda c, v: c == v,
    "ne": lambda c, v: c != v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "in": lambda c, v: c.in_(v),
    "like": like,
    "isNull": lambda c, v: c.is_(None) if v else c.is_not(None),
}
MAX_IN_VALUES = 1000
# Conditions (and, or, not included) and listed values per filter: far below the back ends'
# limits of expression depth and statement parameters.
MAX_CONDITIONS = 200
MAX_FILTER_VALUES = 10_000
# SQLite refuses LIKE patterns of more than 50,000 bytes; 10,000 characters stay below.
MAX_LIKE_LENGTH = 10_000
ORDERING = ("gt", "gte", "lt", "lte")


def compile_conditions(
    entity: Entity, conditions: Iterable[Filter], resolve: Resolver | None = None
) -> list[sa.ColumnElement[bool]]:
    """SQL predicates for the filters, all ANDed by the caller (fields found by ``resolve``
    when given). Raises :class:`InvalidFilterError` for a filter larger than the bounds
    above."""
    conditions = tuple(conditions)
    count, values = _size(conditions)
    if count > MAX_CONDITIONS:
        raise InvalidFilterError(
            f"The filter has {count} conditions; at most {MAX_CONDITIONS} are allowed."
        )
    if values > MAX_FILTER_VALUES:
        raise InvalidFilterError(
            f"The filter lists {values} values; at most {MAX_FILTER_VALUES} are allowed."
        )
    return [compile_filter(entity, c, resolve) for c in conditions]


def has_condition(filters: Iterable[Filter]) -> bool:
    """Whether the filters select rows by their values: at least one filter, and no ``and``,
    ``or`` or ``not`` without a condition beneath it.

    A filter without a condition (``{}``, ``and: []``, nestings of those, ``not`` of an empty
    ``or``) is constant: it selects every row or none. Within a larger filter such an empty
    part can still make the whole select every row (``or: [{}, ...]``). A delete takes neither
    as its filter (DX104). Walked without recursion, as :func:`_size`.
    """
    pending = list(filters)
    if not pending:
        return False
    while pending:
        node = pending.pop()
        if isinstance(node, AllOf | AnyOf):
            if not node.parts:
                return False
            pending.extend(node.parts)
        elif isinstance(node, Not):
            pending.append(node.part)
    return True


def _size(nodes: Iterable[Filter]) -> tuple[int, int]:
    """How many conditions and combinations (and, or, not) and how many values the filter
    holds, counted without recursion: a filter may be nested deeper than Python recurses."""
    count = values = 0
    pending = list(nodes)
    while pending:
        node = pending.pop()
        count += 1
        if isinstance(node, Condition):
            values += len(node.value) if isinstance(node.value, list) else 1
        elif isinstance(node, AllOf | AnyOf):
            pending.extend(node.parts)
            count -= isinstance(node, AllOf)  # a group of conditions, not one of its own
        else:
            pending.append(node.part)
    return count, values


def compile_filter(
    entity: Entity, node: Filter, resolve: Resolver | None = None
) -> sa.ColumnElement[bool]:
    """A predicate for a condition or a tree of and/or/not."""
    if isinstance(node, Condition):
        return compile_condition(entity, node, resolve)
    if isinstance(node, AllOf):
        return sa.and_(sa.true(), *(compile_filter(entity, part, resolve) for part in node.parts))
    if isinstance(node, AnyOf):
        return sa.or_(sa.false(), *(compile_filter(entity, part, resolve) for part in node.parts))
    return sa.not_(compile_filter(entity, node.part, resolve))


def compile_condition(
    entity: Entity, condition: Condition, resolve: Resolver | None = None
) -> sa.ColumnElement[bool]:
    found: tuple[Field, Column] | None
    if resolve is None:
        own = entity.field_for_filter(condition.field)
        found = None if own is None else (own, own.column)
    else:
        found = resolve(condition.field)
    if found is None:
        raise FilterFieldNotFoundError(condition.field, entity.alias)
    field, column = found[0], found[1]
    build = OPERATORS.get(condition.operator)
    if build is None:
        raise InvalidFilterError(
            f"Unknown filter operator `{condition.operator}`. Use one of: {', '.join(OPERATORS)}."
        )
    if field.type == "boolean" and condition.operator in ORDERING:
        raise InvalidFilterError(
            f"`{condition.operator}` does not apply to the boolean field `{field.name}`. "
            "Use eq, ne, in or isNull."
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
        _check_like(field.name, value)
    else:
        value = filter_value(field, raw, entity.alias)
    if field.type == "decimal":
        # Bind as plain NUMERIC: PostgreSQL would cast to the column's numeric(p, s), which
        # rounds the value (1.234 would equal 1.23) or overflows (a server error).
        column = sa.type_coerce(column, sa.Numeric())
    return build(column, value)


def _check_like(field: str, pattern: str) -> None:
    if len(pattern) > MAX_LIKE_LENGTH:
        raise InvalidFilterError(
            f"The `like` pattern for field `{field}` is {len(pattern)} characters long; "
            f"at most {MAX_LIKE_LENGTH} are allowed."
        )
    trailing = len(pattern) - len(pattern.rstrip(LIKE_ESCAPE))
    if trailing % 2:
        raise InvalidFilterError(
            f"The `like` pattern for field `{field}` ends with the escape character `\\`; "
            "write `\\\\` for a backslash."
        )
