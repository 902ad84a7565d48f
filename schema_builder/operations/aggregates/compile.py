"""An aggregate plan compiled for one SQL dialect: one statement, grouped in the database.

The statement selects each group's keys and each measure's values (see
:mod:`~schema_builder.operations.aggregates.measures`) from the rows the filter selects,
``GROUP BY`` the keys, ``HAVING`` the plan's conditions, ordered by the plan's sort keys then
by every key (NULLs last, a group of their own, as in SQL), and paged. A plan that also asks
for the totals of the whole set (GraphQL's top-level values beside ``groups``) unites the two
in one statement: the totals' row first (level 0), then the groups (level 1) in their order.

Nothing is added up in Python: each group is one row of the answer, whose values are only
converted (and an average divided once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from schema_builder.catalog import Catalog, Entity, Field, output_converter
from schema_builder.errors import (
    AggregateFieldNotFoundError,
    AggregateNotApplicableError,
    InvalidAggregateError,
    InvalidFilterError,
)
from schema_builder.operations.aggregates.buckets import bucket, is_datelike
from schema_builder.operations.aggregates.measures import (
    Expression,
    MeasureSql,
    measure_sql,
    plain,
)
from schema_builder.operations.aggregates.paths import Paths
from schema_builder.operations.aggregates.plan import (
    AggregatePlan,
    GroupKey,
    HavingCondition,
    Measure,
)
from schema_builder.operations.filters import OPERATORS, compile_conditions
from schema_builder.operations.ir import Include
from schema_builder.operations.null_order import NullsOrdered
from schema_builder.operations.values import DECIMAL_PATTERN, filter_value

_HAVING_OPERATORS = tuple(name for name in OPERATORS if name != "like")
_MAX_HAVING_VALUES = 1000


@dataclass(frozen=True, slots=True)
class KeySql:
    """A group key on one dialect: its expression and how its values are written."""

    key: GroupKey
    field: Field
    expression: Expression

    def value(self, raw: Any) -> Any:
        if raw is None:
            return None
        if self.key.bucket is not None:
            return int(raw) if self.key.bucket == "year" else str(raw)
        return plain(output_converter(self.field.type)(raw))


def key_sql(paths: Paths, key: GroupKey, dialect: str) -> KeySql:
    """A group key's expression; refuses an unknown field (DX150), a json field and a
    bucket of a field that holds no dates (DX152)."""
    found = paths.resolve(key.field)
    if found is None:
        raise AggregateFieldNotFoundError(key.field, paths.entity.alias)
    field, column = found
    if field.type == "json":
        raise AggregateNotApplicableError(f"The json field `{field.name}` cannot be a group key.")
    if key.bucket is None:
        return KeySql(key, field, column)
    if field.type not in ("date", "datetime") and not is_datelike(column.type):
        raise AggregateNotApplicableError(
            f"`{key.bucket}` needs a date or a timestamp; `{field.name}` is {field.type} "
            "over a column that holds no dates."
        )
    return KeySql(key, field, bucket(dialect, column, key.bucket))


@dataclass(frozen=True, slots=True)
class CompiledAggregate:
    """A plan ready to execute: the statement, and how each row becomes an object."""

    entity: Entity
    plan: AggregatePlan
    reads: tuple[Include, ...]  # the relationships followed
    statement: sa.Select[Any]
    keys: tuple[KeySql, ...]
    measures: tuple[MeasureSql, ...]
    fetch_limit: int | None  # groups asked of the database (one more than the answer holds)

    def objects(self, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        """Each row as ``{"keys": {name: value}, "measures": {measure: value}}``, in order
        (with the totals first when the plan has them)."""
        out: list[dict[str, Any]] = []
        for row in rows:
            keys = {k.key.name: k.value(row[i]) for i, k in enumerate(self.keys)}
            position = len(self.keys)
            values: dict[Measure, Any] = {}
            for measure in self.measures:
                width = measure.width()
                values[measure.measure] = measure.value(row[position : position + width])
                position += width
            out.append({"keys": keys, "measures": values})
        return out


def compile_aggregate(
    catalog: Catalog, entity: Entity, plan: AggregatePlan, dialect: str
) -> CompiledAggregate:
    """``plan`` over ``entity`` as one statement for ``dialect`` (a dialect's name); refuses
    what cannot be answered (DX150 to DX152, filter errors) before any SQL runs."""
    if not plan.measures:
        raise InvalidAggregateError("Ask for at least one aggregate, e.g. aggregate[count]=*.")
    paths = Paths(catalog, entity)
    measures = tuple(measure_sql(paths, measure, dialect) for measure in plan.measures)
    keys = tuple(key_sql(paths, key, dialect) for key in plan.groups)
    where = compile_conditions(entity, plan.conditions, paths.resolve)
    by_measure = {m.measure: m for m in measures}
    having = [_having(paths, condition, by_measure, dialect) for condition in plan.having]
    order = _order(paths, plan, keys, by_measure, dialect)
    selected = [column for measure in measures for column in measure.selected()]
    key_columns = [k.expression for k in keys]
    source = paths.source()
    groups = sa.select(*key_columns, *selected).select_from(source).where(*where)
    if keys:
        groups = groups.group_by(*key_columns)
    if having:
        groups = groups.having(sa.and_(*having))
    fetch_limit = plan.limit
    if keys and plan.limit is None:
        fetch_limit = plan.max_groups + 1
    if keys:
        groups = groups.order_by(*order).offset(plan.offset or None).limit(fetch_limit)
    elif plan.offset or plan.limit == 0:
        # One row, the whole set: a page of it is that row or nothing.
        groups = groups.offset(plan.offset or None).limit(plan.limit)
    statement: sa.Select[Any] = groups
    if plan.totals and keys:
        statement = _with_totals(source, keys, measures, where, groups, order)
    return CompiledAggregate(entity, plan, paths.reads(), statement, keys, measures, fetch_limit)


def _with_totals(
    source: sa.FromClause,
    keys: tuple[KeySql, ...],
    measures: tuple[MeasureSql, ...],
    where: list[sa.ColumnElement[bool]],
    groups: sa.Select[Any],
    order: list[Expression],
) -> sa.Select[Any]:
    """The totals' row (level 0) and the groups (level 1, numbered in their order), united
    and ordered by level and number."""
    nulls = [
        sa.type_coerce(sa.null(), k.expression.type).label(f"k{i}") for i, k in enumerate(keys)
    ]
    selected = [column for measure in measures for column in measure.selected()]
    measure_labels = [column.label(f"m{i}") for i, column in enumerate(selected)]
    totals = (
        sa.select(
            sa.literal(0, sa.Integer).label("level"),
            sa.literal(0, sa.Integer).label("n"),
            *nulls,
            *measure_labels,
        )
        .select_from(source)
        .where(*where)
    )
    numbered = groups.add_columns(sa.func.row_number().over(order_by=order).label("n"))
    inner = numbered.subquery("g")
    group_columns = list(inner.c)
    ranked = sa.select(
        sa.literal(1, sa.Integer).label("level"),
        group_columns[-1].label("n"),
        *[c.label(f"k{i}") for i, c in enumerate(group_columns[: len(keys)])],
        *[c.label(f"m{i}") for i, c in enumerate(group_columns[len(keys) : -1])],
    )
    united = sa.union_all(totals, ranked).subquery("u")
    columns = list(united.c)
    return sa.select(*columns[2:]).order_by(columns[0], columns[1])


def _order(
    paths: Paths,
    plan: AggregatePlan,
    keys: tuple[KeySql, ...],
    by_measure: dict[Measure, MeasureSql],
    dialect: str,
) -> list[Expression]:
    by_key = {k.key: k for k in keys}
    order: list[Expression] = []
    for sort in plan.sort:
        target = sort.by
        if isinstance(target, GroupKey):
            key = by_key.get(target)
            if key is None:
                raise InvalidAggregateError(
                    f"`sort` names `{target.name}`, which is not a group key. Sort by a "
                    "group key or an aggregate."
                )
            expression = key.expression
        else:
            measure = by_measure.get(target)
            if measure is None:
                measure = measure_sql(paths, target, dialect)
            expression = measure.compared()
        order.append(NullsOrdered(expression, sort.descending))
    order.extend(NullsOrdered(k.expression, False) for k in keys)
    return order


def _having(
    paths: Paths,
    condition: HavingCondition,
    by_measure: dict[Measure, MeasureSql],
    dialect: str,
) -> sa.ColumnElement[bool]:
    entity = paths.entity
    measure = by_measure.get(condition.measure)
    if measure is None:
        measure = measure_sql(paths, condition.measure, dialect)
    operator = condition.operator
    build = OPERATORS.get(operator)
    if build is None or operator not in _HAVING_OPERATORS:
        raise InvalidFilterError(
            f"Unknown `having` operator `{operator}`. Use one of: {', '.join(_HAVING_OPERATORS)}."
        )
    raw = condition.value
    name = condition.measure.name
    if operator == "isNull":
        if not isinstance(raw, bool):
            raise InvalidFilterError(f"`isNull` for `{name}` takes true or false.")
        value: Any = raw
    elif operator == "in":
        if not isinstance(raw, list) or len(raw) > _MAX_HAVING_VALUES:
            raise InvalidFilterError(
                f"`in` for `{name}` needs a list of at most {_MAX_HAVING_VALUES} values."
            )
        value = [_having_value(entity, measure, item) for item in raw]
    else:
        value = _having_value(entity, measure, raw)
    return build(measure.compared(), value)


def _having_value(entity: Entity, measure: MeasureSql, raw: Any) -> Any:
    kind = measure.compares_as()
    name = measure.measure.name
    if kind == "field":
        assert measure.field is not None
        return filter_value(measure.field, raw, entity.alias)
    number = _number(raw)
    if number is None:
        raise InvalidFilterError(f"`having` value {raw!r} for `{name}` is not a number.")
    if kind == "integer":
        if number != number.to_integral_value():
            raise InvalidFilterError(f"`having` value {raw!r} for `{name}` is not an integer.")
        return int(number)
    return float(number) if kind == "float" else number


def _number(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw)) if raw == raw and abs(raw) != float("inf") else None
    if isinstance(raw, str) and DECIMAL_PATTERN.match(raw.strip()) and len(raw) <= 100:
        return Decimal(raw.strip())
    return None
