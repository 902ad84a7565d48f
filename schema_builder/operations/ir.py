"""The transport-neutral request and result objects every operation takes and returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

from schema_builder.errors import DexgateError

if TYPE_CHECKING:
    from schema_builder.operations.aggregates.plan import Measure

WriteMode = Literal["create", "update", "upsert"]


# The largest page[offset] accepted: the largest integer every JSON client reads exactly.
MAX_OFFSET = 2**53
# The most rows a REST read returns, counting every row ``include`` nests (a row nested under
# several parents counts once per parent): include chains that loop back (products → category
# → products → …) grow exponentially with their length.
MAX_RESPONSE_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class Condition:
    """``field`` (a visible name, or ``identifier``) ``operator`` ``value``; operators are the
    keys of :data:`schema_builder.operations.filters.OPERATORS`."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part holds (an empty AllOf always holds)."""

    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one part holds (an empty AnyOf never holds)."""

    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Filter


Filter = Condition | AllOf | AnyOf | Not


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Include:
    """A relationship to load, with the relationships to load beneath it.

    Related rows are nested under ``key`` (the relationship's name unless given). For hasMany
    relationships, ``conditions``, ``sort``, ``limit`` and ``offset`` apply per parent.
    """

    name: str
    children: tuple[Include, ...] = ()
    key: str | None = None
    conditions: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    limit: int | None = None
    offset: int = 0

    @property
    def output_key(self) -> str:
        return self.key or self.name


@dataclass(frozen=True, slots=True)
class FieldOut:
    """The field with visible name ``field``, written under ``key``."""

    key: str
    field: str


@dataclass(frozen=True, slots=True)
class ConstantOut:
    """A constant (``json``, as JSON text) written under ``key``."""

    key: str
    json: str


@dataclass(frozen=True, slots=True)
class RelationOut:
    """The related rows of ``include`` (its name, and for hasMany its filter, sort and page;
    its children are unused), each written as ``shape``, under ``key``. When there is none the
    key is left out (``omit_empty``, as REST does) or written as ``[]`` (hasMany) or ``null``."""

    key: str
    include: Include
    shape: Shape
    omit_empty: bool


# What an aggregate object holds, in order: under each key the index of a measure, a constant
# (JSON text) or an object of its own (``sum { quantity }``).
AggregateShape = tuple[tuple[str, Union[int, str, "AggregateShape"]], ...]


@dataclass(frozen=True, slots=True)
class AggregateOut:
    """The ``measures`` of the related rows of one row through the hasMany relationship of
    ``include`` (its name and ``conditions``; the rest is unused), over the whole set of
    them, written as ``output`` says under ``key``: a count of 0 and NULL sums where there
    is none."""

    key: str
    include: Include
    measures: tuple[Measure, ...]
    output: AggregateShape


Shape = tuple[FieldOut | ConstantOut | RelationOut | AggregateOut, ...]
"""What an object of a response holds, in order."""


@dataclass(frozen=True, slots=True)
class ReadRequest:
    alias: str
    conditions: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    offset: int = 0
    limit: int | None = None
    include: tuple[Include, ...] = ()
    count: bool = False
    max_rows: int | None = None


@dataclass(frozen=True, slots=True)
class GetRequest:
    alias: str
    identifier: Any
    include: tuple[Include, ...] = ()
    max_rows: int | None = None


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """``items`` are the client's objects as decoded, before any validation. ``identifier``
    is the id from the URL of an id route (a single item)."""

    alias: str
    mode: WriteMode
    items: Sequence[Any]
    transactional: bool = True
    identifier: Any = None


@dataclass(frozen=True, slots=True)
class DeleteRequest:
    alias: str
    conditions: tuple[Filter, ...] = ()
    identifier: Any = None


@dataclass(slots=True)
class ReadResult:
    rows: list[dict[str, Any]]
    total: int | None = None


@dataclass(slots=True)
class WriteResult:
    """Saved rows (each with its nested children) and the errors of the items not saved."""

    data: list[dict[str, Any]] = field(default_factory=list)
    errors: list[DexgateError] = field(default_factory=list)
