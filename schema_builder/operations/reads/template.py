"""A plan as a template: its values replaced by slots, checked as the rows' path checks them.

The statement of a template is built and compiled once and kept; a request only binds its
values. Planning raises what executing would: an unknown sort field (1310), a filter that is
too large or names an unknown field, a value that does not fit its field (DX101…).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import UnknownSortFieldError
from schema_builder.operations.filters import compile_conditions
from schema_builder.operations.ir import (
    AggregateOut,
    AllOf,
    AnyOf,
    Condition,
    Filter,
    Not,
    RelationOut,
    Shape,
    SortKey,
)
from schema_builder.operations.reads.plan import GetPlan, ListPlan, depth
from schema_builder.operations.reads.sql.statement import (
    AggregateTemplate,
    GetTemplate,
    ListTemplate,
    RelationTemplate,
    ShapeTemplate,
    Slot,
)
from schema_builder.operations.values import filter_value

Template = ListTemplate | GetTemplate


class Planner:
    """Turns a plan into its template, collecting the values of its slots."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.values: list[Any] = []

    def slot(self, value: Any) -> Slot:
        self.values.append(value)
        return Slot(len(self.values) - 1)

    def filters(self, entity: Entity, nodes: Sequence[Filter]) -> tuple[Filter, ...]:
        if nodes:
            compile_conditions(entity, nodes)  # the checks of the rows' path, in its order
        return tuple(self._filter(entity, node) for node in nodes)

    def _filter(self, entity: Entity, node: Filter) -> Filter:
        if isinstance(node, AllOf):
            return AllOf(tuple(self._filter(entity, part) for part in node.parts))
        if isinstance(node, AnyOf):
            return AnyOf(tuple(self._filter(entity, part) for part in node.parts))
        if isinstance(node, Not):
            return Not(self._filter(entity, node.part))
        field = entity.field_for_filter(node.field)
        assert field is not None  # compile_conditions checked it
        if node.operator == "isNull":
            return node
        if node.operator == "in":
            value: Any = [filter_value(field, item, entity.alias) for item in node.value]
        else:
            value = filter_value(field, node.value, entity.alias)
        return Condition(node.field, node.operator, self.slot(value))

    @staticmethod
    def sort(entity: Entity, keys: tuple[SortKey, ...]) -> tuple[SortKey, ...]:
        for key in keys:
            if entity.field_for_filter(key.field) is None:
                raise UnknownSortFieldError(key.field, entity.alias)
        return keys

    def shape(self, entity: Entity, shape: Shape) -> ShapeTemplate:
        entries: list[Any] = []
        for entry in shape:
            if isinstance(entry, AggregateOut):
                target = self.catalog.entities[entity.relations[entry.include.name].target]
                where = self.filters(target, entry.include.conditions)
                entries.append(
                    AggregateTemplate(entry.key, entry.include.name, where, entry.measures)
                )
                continue
            if not isinstance(entry, RelationOut):
                entries.append(entry)
                continue
            include = entry.include
            relation = entity.relations[include.name]
            target = self.catalog.entities[relation.target]
            where = self.filters(target, include.conditions) if relation.many else ()
            windowed = relation.many and (include.limit is not None or include.offset != 0)
            entries.append(
                RelationTemplate(
                    key=entry.key,
                    name=include.name,
                    where=where,
                    sort=self.sort(target, include.sort),
                    offset=self.slot(include.offset) if windowed and include.offset else None,
                    limit=(
                        self.slot(include.limit) if windowed and include.limit is not None else None
                    ),
                    shape=self.shape(target, entry.shape),
                    omit_empty=entry.omit_empty,
                )
            )
        return tuple(entries)

    def list(self, entity: Entity, plan: ListPlan) -> ListTemplate:
        nested_count = _nested_count(plan.max_rows, plan.shapes)
        where = self.filters(entity, plan.conditions)
        sort = self.sort(entity, plan.sort)
        offset = self.slot(plan.offset)
        limit = None if plan.limit is None else self.slot(plan.limit)
        shapes = tuple(self.shape(entity, shape) for shape in plan.shapes)
        return ListTemplate(entity, where, sort, offset, limit, plan.count, nested_count, shapes)

    def get(self, entity: Entity, plan: GetPlan) -> GetTemplate:
        key = self.slot(None)  # slot 0: the identifier, bound per execution
        nested_count = _nested_count(plan.max_rows, (plan.shape,))
        return GetTemplate(entity, key, nested_count, self.shape(entity, plan.shape))


def _nested_count(max_rows: int | None, shapes: Sequence[Shape]) -> bool:
    return max_rows is not None and any(depth(shape) for shape in shapes)
