"""Aggregate functions written per SQL dialect, and their values as the API writes them.

Each function of a field is one or two expressions in the statement's ``SELECT`` and a
conversion of what the driver returns:

- ``count`` (rows, or the rows where the field is set) and ``countDistinct``: integers.
- ``sum``: integers for integer fields, exact decimal text for ``decimal`` fields (the
  database's ``SUM`` of ``NUMERIC``/``DECIMAL``; on SQLite, which adds doubles, dexgate's own
  :mod:`~schema_builder.operations.aggregates.sqlite_sum`), written with at least the places
  the column declares; floats for ``float`` fields.
- ``avg``: the exact sum and the count of values, divided in Python: a decimal rounded half
  up to the places the column declares (``DECIMAL(10,2)``: 2; at least 6 when it declares
  none) for ``decimal`` fields, a float for the others, so that every database answers the
  same text.
- ``min``/``max``: the field's own value, read and written as a list writes it.

``having`` and ``sort`` compare the same values in SQL: :meth:`MeasureSql.compared`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import sqlalchemy as sa

from schema_builder.catalog import Field, output_converter
from schema_builder.errors import AggregateFieldNotFoundError, AggregateNotApplicableError
from schema_builder.operations.aggregates.paths import Paths
from schema_builder.operations.aggregates.plan import Measure
from schema_builder.operations.aggregates.sqlite_sum import DECIMAL_SUM, scale_argument

Expression = sa.ColumnElement[Any]
NUMERIC_TYPES = ("integer", "decimal", "float")
_UNORDERED = ("boolean", "json")
_RAW = sa.types.NullType()
_PRECISION = 80
# The places of the average of a decimal field whose column declares no scale, at least.
AVERAGE_PLACES = 6


def measure_sql(paths: Paths, measure: Measure, dialect: str) -> MeasureSql:
    """A measure on ``dialect``; refuses an unknown field (DX150) and a function that does
    not apply to its type (DX152)."""
    if measure.field is None:
        if measure.function != "count":
            raise AggregateNotApplicableError(f"`{measure.function}` needs a field.")
        return MeasureSql(measure, None, None, dialect)
    found = paths.resolve(measure.field)
    if found is None:
        raise AggregateFieldNotFoundError(measure.field, paths.entity.alias)
    field, column = found
    kind = field.type
    function = measure.function
    if function in ("sum", "avg") and kind not in NUMERIC_TYPES:
        raise AggregateNotApplicableError(
            f"`{function}` needs a number; `{field.name}` is {kind}. Use count, "
            "countDistinct, min or max."
        )
    if function in ("min", "max") and kind in _UNORDERED:
        raise AggregateNotApplicableError(
            f"`{function}` does not apply to the {kind} field `{field.name}`."
        )
    if function == "countDistinct" and kind == "json":
        raise AggregateNotApplicableError(
            f"`countDistinct` does not apply to the json field `{field.name}`."
        )
    return MeasureSql(measure, field, column, dialect)


def plain(value: Any) -> Any:
    """A value as JSON writes it: dates and timestamps as ISO 8601 text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value) if not isinstance(value, int) else value)


def _at_least_places(value: Decimal, places: int | None) -> Decimal:
    if places is None or -int(value.as_tuple().exponent) >= places:
        return value
    with localcontext() as context:
        context.prec = _PRECISION
        return value.quantize(Decimal(1).scaleb(-places))


@dataclass(frozen=True, slots=True)
class MeasureSql:
    """A measure on one dialect: the expressions it selects, how their values become the
    API's, and the expression ``having`` and ``sort`` compare."""

    measure: Measure
    field: Field | None
    column: Expression | None  # the field's column, in its table or a joined one
    dialect: str

    # -- the statement ---------------------------------------------------------------------

    def _column(self) -> Expression:
        assert self.column is not None
        return self.column

    def _sqlite_decimal(self) -> bool:
        field = self.field
        return self.dialect == "sqlite" and field is not None and field.type == "decimal"

    def _sum(self) -> Expression:
        column = self._column()
        if self._sqlite_decimal():
            scale = scale_argument(column.type)
            function: Expression = getattr(sa.func, DECIMAL_SUM)(column, scale, type_=sa.String)
            return function
        return sa.func.sum(column)

    def selected(self) -> list[Expression]:
        """What the statement selects for this measure (typed so that the driver's values
        reach :meth:`value` as the row path reads the field)."""
        function = self.measure.function
        if function == "count":
            if self.field is None:
                return [sa.type_coerce(sa.func.count(), _RAW)]
            return [sa.type_coerce(sa.func.count(self._column()), _RAW)]
        if function == "countDistinct":
            return [sa.type_coerce(sa.func.count(sa.distinct(self._column())), _RAW)]
        if function == "sum":
            return [sa.type_coerce(self._sum(), _RAW)]
        if function == "avg":
            return [
                sa.type_coerce(self._sum(), _RAW),
                sa.type_coerce(sa.func.count(self._column()), _RAW),
            ]
        column = self._column()
        aggregate = sa.func.min(column) if function == "min" else sa.func.max(column)
        return [sa.type_coerce(aggregate, column.type)]

    def compared(self) -> Expression:
        """The value ``having`` and ``sort`` compare, typed for the values it is compared
        with (:meth:`compares_as`): counts as integers, sums and averages of floats as
        doubles, of the others as exact numbers (PostgreSQL casts to ``numeric``); SQLite's
        decimal sums as doubles (exact for sums of at most 15 significant digits)."""
        function = self.measure.function
        if function in ("count", "countDistinct", "min", "max"):
            return self.selected()[0]
        value = sa.func.avg(self._column()) if function == "avg" else self._sum()
        if self.compares_as() == "float":
            return (
                sa.cast(value, sa.Float)
                if self._sqlite_decimal()
                else sa.type_coerce(value, sa.Float())
            )
        if self.dialect == "postgresql":
            return sa.cast(value, sa.Numeric())
        return sa.type_coerce(value, sa.Numeric())

    def compares_as(self) -> str:
        """``integer``, ``float``, ``decimal`` (sums and averages), or ``field`` (min, max:
        the field's own values)."""
        function = self.measure.function
        if function in ("count", "countDistinct"):
            return "integer"
        if function in ("min", "max"):
            return "field"
        assert self.field is not None
        if self.field.type == "float" or self._sqlite_decimal():
            return "float"
        return "decimal"

    # -- the answer ------------------------------------------------------------------------

    def width(self) -> int:
        return 2 if self.measure.function == "avg" else 1

    def value(self, values: Sequence[Any]) -> Any:
        """The measure's value from its :meth:`width` selected values."""
        function = self.measure.function
        first = values[0]
        if function in ("count", "countDistinct"):
            return int(first or 0)
        field = self.field
        assert field is not None
        if function in ("min", "max"):
            return None if first is None else plain(output_converter(field.type)(first))
        if first is None:
            return None
        kind = field.type
        if function == "sum":
            if kind == "integer":
                return int(first)
            if kind == "float":
                return float(first)
            return format(_at_least_places(_decimal(first), field.column_scale), "f")
        count = int(values[1] or 0)
        if count == 0:
            return None
        if kind == "decimal":
            total = _decimal(first)
            places = field.column_scale
            if places is None:
                places = max(-int(total.as_tuple().exponent), AVERAGE_PLACES)
            with localcontext() as context:
                context.prec = _PRECISION
                mean = (total / count).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
            return format(mean, "f")
        with localcontext() as context:
            context.prec = _PRECISION
            return float(_decimal(first) / count)
