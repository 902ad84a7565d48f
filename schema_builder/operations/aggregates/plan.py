"""What an aggregate read asks for, whichever transport asked: functions of fields over the rows
a filter selects, grouped by fields or by date buckets, the groups filtered (``having``),
ordered and paged.

REST builds an :class:`AggregatePlan` from ``aggregate[...]``, ``groupBy[]``, ``having[...]``
(:mod:`app.rest.aggregate_query`), GraphQL from the arguments and selection of an entity's
aggregate field (:mod:`schema_builder.graphql.aggregate`). Neither knows how it is executed:
see :mod:`schema_builder.operations.aggregates.compile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from schema_builder.operations.ir import Filter

Function = Literal["count", "countDistinct", "sum", "avg", "min", "max"]
FUNCTIONS: tuple[Function, ...] = ("count", "countDistinct", "sum", "avg", "min", "max")
Bucket = Literal["year", "quarter", "month", "week", "day", "hour"]
BUCKETS: tuple[Bucket, ...] = ("year", "quarter", "month", "week", "day", "hour")


@dataclass(frozen=True, slots=True)
class Measure:
    """``function`` of the field with visible name ``field`` over a group's rows; ``count``
    without a field counts the rows (NULLs included), with one the rows where it is set."""

    function: Function
    field: str | None = None

    @property
    def name(self) -> str:
        """How REST writes it in ``having``/``sort``: ``count``, ``sum.price``."""
        return self.function if self.field is None else f"{self.function}.{self.field}"


@dataclass(frozen=True, slots=True)
class GroupKey:
    """Rows are grouped by the value of ``field``, or by the ``bucket`` (UTC) its date or
    timestamp falls in."""

    field: str
    bucket: Bucket | None = None

    @property
    def name(self) -> str:
        """How REST writes it: ``category_id``, ``month(created_at)``."""
        return self.field if self.bucket is None else f"{self.bucket}({self.field})"


@dataclass(frozen=True, slots=True)
class HavingCondition:
    """A group is kept when ``measure`` ``operator`` ``value`` holds (the filter operators
    but ``like``)."""

    measure: Measure
    operator: str
    value: Any


@dataclass(frozen=True, slots=True)
class AggregateSortKey:
    """Groups ordered by a group key or an aggregate value."""

    by: GroupKey | Measure
    descending: bool = False


@dataclass(frozen=True, slots=True)
class AggregatePlan:
    """The ``measures`` of the rows of ``alias`` that pass ``conditions``: over the whole set
    when ``totals`` (one object), and per group of ``groups`` (the groups that pass
    ``having``, ordered by ``sort`` then by their keys, ``offset``/``limit``). ``limit`` None
    means every group up to ``max_groups``, beyond which the read is refused (DX153)."""

    alias: str
    measures: tuple[Measure, ...]
    groups: tuple[GroupKey, ...] = ()
    conditions: tuple[Filter, ...] = ()
    having: tuple[HavingCondition, ...] = ()
    sort: tuple[AggregateSortKey, ...] = ()
    offset: int = 0
    limit: int | None = None
    max_groups: int = 1000
    totals: bool = False
    grouped: bool = True
