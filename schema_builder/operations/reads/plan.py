"""What a read asks for, whichever transport asked: the plan every read is executed from.

REST builds a plan from its query string (``rest_shape`` writes every field and each include
under its name, leaving out includes without rows), GraphQL from a selection (the fields in
selection order under their response keys, ``__typename`` as constants, relationships with
their own filter, sort and page). Neither knows how the plan is executed: see
:mod:`schema_builder.operations.reads.compile`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import RelationNotFoundError
from schema_builder.operations.ir import (
    AggregateOut,
    ConstantOut,
    FieldOut,
    Filter,
    Include,
    RelationOut,
    Shape,
    SortKey,
)

__all__ = [
    "ConstantOut",
    "FieldOut",
    "GetPlan",
    "ListPlan",
    "RelationOut",
    "Shape",
    "includes_of",
    "rest_shape",
    "rest_shape_of",
]


@dataclass(frozen=True, slots=True)
class ListPlan:
    """A page of ``alias``: the rows that pass ``conditions``, ordered by ``sort`` then the
    identifier, ``offset``/``limit``; written once per shape (GraphQL may select ``items``
    twice under two keys; REST writes one), with the total when ``count``. ``max_rows``
    bounds the rows the response nests in all (REST's includes)."""

    alias: str
    shapes: tuple[Shape, ...]
    conditions: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    offset: int = 0
    limit: int | None = None
    count: bool = False
    max_rows: int | None = None


@dataclass(frozen=True, slots=True)
class GetPlan:
    """One row of ``alias`` written as ``shape``; its identifier is given per execution, so
    that one plan serves every identifier."""

    alias: str
    shape: Shape
    max_rows: int | None = None


Plan = ListPlan | GetPlan


@functools.lru_cache(maxsize=256)
def rest_shape(catalog: Catalog, entity: Entity, includes: tuple[Include, ...]) -> Shape:
    """REST's object: every field, then each include under its key when it has rows.
    Raises 1313 for a relationship that does not exist."""
    entries: list[FieldOut | ConstantOut | RelationOut] = [
        FieldOut(field.name, field.name) for field in entity.fields
    ]
    for include in includes:
        relation = entity.relations.get(include.name)
        if relation is None:
            raise RelationNotFoundError(include.name)
        target = catalog.entities[relation.target]
        shape = rest_shape(catalog, target, include.children)
        entries.append(RelationOut(include.output_key, include, shape, omit_empty=True))
    return tuple(entries)


def rest_shape_of(catalog: Catalog, alias: str, includes: tuple[Include, ...]) -> Shape:
    """:func:`rest_shape` of the entity ``alias`` (1302 when there is none)."""
    return rest_shape(catalog, catalog.entity(alias), includes)


def includes_of(shape: Shape) -> tuple[Include, ...]:
    """The relationships a shape reads, as includes nested under the shape's keys, with the
    arguments of each (filter, sort, page per parent)."""
    out: list[Include] = []
    for entry in shape:
        if isinstance(entry, RelationOut):
            include = entry.include
            out.append(
                Include(
                    include.name,
                    includes_of(entry.shape),
                    key=entry.key,
                    conditions=include.conditions,
                    sort=include.sort,
                    limit=include.limit,
                    offset=include.offset,
                )
            )
    return tuple(out)


def shapes_of(plan: Plan) -> tuple[Shape, ...]:
    """The shapes a plan writes (a get writes one)."""
    return plan.shapes if isinstance(plan, ListPlan) else (plan.shape,)


def reads_of(plan: Plan) -> tuple[Include, ...]:
    """Every relationship the plan reads, for the permission checks: its includes, and the
    relationships its aggregates read (``stocksAggregate``: ``stocks``)."""
    return tuple(include for shape in shapes_of(plan) for include in shape_reads(shape))


def shape_reads(shape: Shape) -> tuple[Include, ...]:
    """The relationships a shape reads, nested, its aggregates' included (the rows of a
    relationship an aggregate reads are read, as those of an include are)."""
    out: list[Include] = []
    for entry in shape:
        if isinstance(entry, RelationOut):
            out.append(Include(entry.include.name, shape_reads(entry.shape), key=entry.key))
        elif isinstance(entry, AggregateOut):
            out.append(Include(entry.include.name, key=entry.key))
    return tuple(out)


def aggregates_in(shape: Shape) -> bool:
    """Whether the shape, at any depth, holds a relationship's aggregate."""
    return any(
        isinstance(entry, AggregateOut)
        or (isinstance(entry, RelationOut) and aggregates_in(entry.shape))
        for entry in shape
    )


def depth(shape: Shape) -> int:
    """How many levels of relationships the shape nests."""
    return max((1 + depth(e.shape) for e in shape if isinstance(e, RelationOut)), default=0)
