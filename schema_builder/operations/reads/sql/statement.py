"""The statement that has the database write a read's JSON, built from a template of the request.

A template is the request with its values replaced by :class:`Slot` s: the statement is built
and compiled once per template (see :mod:`schema_builder.operations.reads.compile`), each slot a
bound parameter ``p<index>``. The statement keeps the rules of the row-by-row path
(:mod:`schema_builder.operations.rows`): the same WHERE (filters), ORDER BY (``ordering``) and
page, a per-parent ``limit``/``offset`` on related rows, the first related row for belongsTo.
What differs between databases (value renderers, list parameters, joining rows in order, how
related rows are read) is asked of a
:class:`~schema_builder.operations.reads.sql.dialect.JsonDialect` (:data:`DIALECTS`).

On PostgreSQL (``lateral``) each page row's related rows are read by a LATERAL subquery,
by the related key, in order, within the parent's window, their JSON aggregated as it
comes (see :meth:`_Builder.correlated`):

```
WITH page AS (SELECT <columns> FROM <table> WHERE <filter> ORDER BY <order> LIMIT .. OFFSET ..)
SELECT '[' || string_agg(rows.j0, ',') || ']', ...
FROM (SELECT <row JSON, with a1.j> AS j0 FROM page
      LEFT OUTER JOIN LATERAL (SELECT string_agg(r.j, ',') AS j, count(*) AS c
          FROM (SELECT <related row JSON> AS j FROM <child> AS t
                WHERE t.<remote> = page.<local> AND <filter> ORDER BY <order> LIMIT .. OFFSET ..) r
      ) AS a1 ON true
      ORDER BY <order>) AS rows
```

On a database without LATERAL (SQLite) each relationship is read once for the whole page
(``<remote> IN (SELECT <local> FROM page)``), numbered per parent by ROW_NUMBER(), each
parent's window kept, and joined per parent key (``dialect.grouped``; see
:meth:`_Builder.related`). MariaDB and MySQL (``scalar_related``) read a relationship without
a window of its own by scalar subqueries of each parent row instead (:meth:`_Builder.scalar`),
and MariaDB (``scalar_window``) one with a window too, kept by its ordered aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from schema_builder.catalog import Catalog, Entity, Field
from schema_builder.operations.aggregates.measures import MeasureSql, measure_sql
from schema_builder.operations.aggregates.paths import Paths
from schema_builder.operations.aggregates.plan import Measure
from schema_builder.operations.filters import OPERATORS
from schema_builder.operations.ir import (
    AllOf,
    AnyOf,
    ConstantOut,
    FieldOut,
    Filter,
    Not,
    SortKey,
)
from schema_builder.operations.like import like
from schema_builder.operations.reads.related_aggregates import WRITTEN_AS_FIELD
from schema_builder.operations.reads.sql.dialect import POSTGRESQL, JsonDialect
from schema_builder.operations.reads.sql.mariadb import MARIADB, MYSQL
from schema_builder.operations.reads.sql.postgresql import (
    Text,
    UnsupportedShapeError,
    constant,
)
from schema_builder.operations.reads.sql.sqlite import SQLITE
from schema_builder.operations.rows import ordering

_COMMA = sa.literal_column("','", sa.Text)
DIALECTS: dict[str, JsonDialect] = {
    "postgresql": POSTGRESQL,
    "sqlite": SQLITE,
    "mysql": MYSQL,
    "mariadb": MARIADB,
}


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a request's value goes: the statement's parameter ``p<index>``."""

    index: int


@dataclass(frozen=True, slots=True)
class RelationTemplate:
    """A :class:`RelationOut` with its filter's values, offset and limit as slots."""

    key: str
    name: str
    where: tuple[Filter, ...]
    sort: tuple[SortKey, ...]
    offset: Slot | None
    limit: Slot | None
    shape: ShapeTemplate
    omit_empty: bool


@dataclass(frozen=True, slots=True)
class AggregateTemplate:
    """An :class:`~schema_builder.operations.ir.AggregateOut` with its filter's values as
    slots: the ``measures`` of the related rows of ``name`` that pass ``where``."""

    key: str
    name: str
    where: tuple[Filter, ...]
    measures: tuple[Measure, ...]


ShapeTemplate = tuple[FieldOut | ConstantOut | RelationTemplate | AggregateTemplate, ...]


@dataclass(frozen=True, slots=True)
class ListTemplate:
    entity: Entity
    where: tuple[Filter, ...]
    sort: tuple[SortKey, ...]
    offset: Slot
    limit: Slot | None
    count: bool
    nested_count: bool
    shapes: tuple[ShapeTemplate, ...]


@dataclass(frozen=True, slots=True)
class GetTemplate:
    entity: Entity
    key: Slot
    nested_count: bool
    shape: ShapeTemplate


def _param(slot: Slot, type_: Any) -> sa.BindParameter[Any]:
    return sa.bindparam(f"p{slot.index}", type_=type_)


def _integer(slot: Slot) -> sa.BindParameter[Any]:
    return _param(slot, sa.BigInteger())


def where_clause(
    entity: Entity, filters: Sequence[Filter], dialect: JsonDialect = POSTGRESQL
) -> list[sa.ColumnElement[bool]]:
    """The predicates of templated filters, as ``filters.compile_filter`` builds them from
    values, except ``in``: one list parameter (``dialect.member``), the same for any number
    of values."""
    return [_filter(entity, node, dialect) for node in filters]


def _filter(entity: Entity, node: Filter, dialect: JsonDialect) -> sa.ColumnElement[bool]:
    if isinstance(node, AllOf):
        return sa.and_(sa.true(), *(_filter(entity, part, dialect) for part in node.parts))
    if isinstance(node, AnyOf):
        return sa.or_(sa.false(), *(_filter(entity, part, dialect) for part in node.parts))
    if isinstance(node, Not):
        return sa.not_(_filter(entity, node.part, dialect))
    field = entity.field_for_filter(node.field)
    assert field is not None  # checked when the request was planned
    column: sa.ColumnElement[Any] = field.column
    if field.type == "decimal":
        column = sa.type_coerce(column, sa.Numeric())
    if node.operator == "isNull":
        return OPERATORS["isNull"](column, node.value)
    slot = node.value
    assert isinstance(slot, Slot)
    if node.operator == "in":
        return dialect.member(column, f"p{slot.index}")
    if node.operator == "like":
        return like(column, _param(slot, column.type))
    return OPERATORS[node.operator](column, _param(slot, column.type))


@dataclass
class _Level:
    """The JSON of one row of a level and what it needs joined."""

    json: Text
    joins: list[tuple[sa.FromClause, sa.ColumnElement[bool]]]
    counts: list[sa.ColumnElement[Any]]


class _Builder:
    def __init__(self, catalog: Catalog, dialect: JsonDialect, *, counted: bool) -> None:
        self.catalog = catalog
        self.dialect = dialect
        self.counted = counted  # whether related rows are counted (REST's row limit)
        self.names = 0

    def _name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def columns(self, entity: Entity, shapes: Sequence[ShapeTemplate]) -> dict[str, str]:
        """The columns the shapes read (fields, relationship keys), each with its label."""
        needed: dict[str, str] = {}
        for shape in shapes:
            for entry in shape:
                if isinstance(entry, FieldOut):
                    field = entity.by_name.get(entry.field)
                    if field is None:
                        raise UnsupportedShapeError(entry.field)
                    name = field.column_name
                elif isinstance(entry, RelationTemplate | AggregateTemplate):
                    name = entity.relations[entry.name].local
                else:
                    continue
                needed.setdefault(name, f"c{len(needed)}")
        return needed

    def level(
        self, entity: Entity, shape: ShapeTemplate, rows: sa.FromClause, labels: dict[str, str]
    ) -> _Level:
        parts: list[Text] = []
        pending = ""  # constant text not written yet, merged into one literal
        joins: list[tuple[sa.FromClause, sa.ColumnElement[bool]]] = []
        counts: list[sa.ColumnElement[Any]] = []

        def flush() -> None:
            nonlocal pending
            if pending:
                parts.append(constant(pending))
                pending = ""

        for position, entry in enumerate(shape):
            lead = "{" if position == 0 else ","
            name = f'"{entry.key}":'
            if isinstance(entry, FieldOut):
                field = entity.by_name[entry.field]
                render = self.dialect.renderer(field)
                if render is None:
                    raise UnsupportedShapeError(f"field {field.name} ({field.type})")
                pending += lead + name
                flush()
                parts.append(render(rows.c[labels[field.column_name]]))
            elif isinstance(entry, ConstantOut):
                pending += lead + name + entry.json
            elif isinstance(entry, AggregateTemplate):
                pending += lead + name
                flush()
                parts.append(self.aggregate(entity, entry, rows, labels))
            else:
                relation = entity.relations[entry.name]
                found: Text
                missing: sa.ColumnElement[bool]
                once = False
                if self._by_key(entity, entry):
                    found, missing, joined = self.joined(entity, entry, rows, labels)
                    joins += joined
                    if self.counted:
                        counts.append(sa.case((missing, _number(0)), else_=_number(1)))
                elif self.dialect.scalar_related and (
                    self.dialect.scalar_window or not _windowed(relation.many, entry)
                ):
                    found, count = self.scalar(entity, entry, rows, labels)
                    if self.counted:
                        counts.append(count)
                    missing = count == _number(0)
                    once = True
                else:
                    if self.dialect.lateral:
                        related = self.correlated(entity, entry, rows, labels)
                        joins.append((related, sa.true()))
                    else:
                        related = self.related(entity, entry, rows, labels)
                        on = related.c["__m"] == rows.c[labels[relation.local]]
                        joins.append((related, on))
                    if self.counted:
                        counts.append(sa.func.coalesce(related.c["c"], _number(0)))
                    found = related.c["j"]
                    missing = found.is_(None)
                text: Text = found
                if relation.many:
                    text = self.dialect.concat([constant("["), text, constant("]")])
                if entry.omit_empty:
                    if position == 0:
                        raise UnsupportedShapeError("a relationship written first")
                    flush()
                    entry_text = self.dialect.concat([constant(lead + name), text])
                    if once:
                        # The rows' subquery runs once; where its text is NULL (no rows, or
                        # cut by the database) the rows are counted: where there are some,
                        # the row's JSON is NULL, which the reader refuses. MariaDB plans a
                        # prepared statement again at every execution: a count costs less to
                        # plan than the rows' subquery written twice (REST B's statement:
                        # bench/README.md).
                        absent = sa.case((missing, constant("")), else_=sa.null())
                        parts.append(sa.func.coalesce(entry_text, absent, type_=sa.Text))
                    else:
                        parts.append(sa.case((missing, constant("")), else_=entry_text))
                else:
                    pending += lead + name
                    flush()
                    empty = "[]" if relation.many else "null"
                    parts.append(sa.func.coalesce(text, constant(empty), type_=sa.Text))
        if not shape:
            raise UnsupportedShapeError("an empty object")
        pending += "}"
        flush()
        return _Level(self.dialect.concat(parts), joins, counts)

    def _by_key(self, entity: Entity, entry: RelationTemplate) -> bool:
        """Whether ``entry`` reads at most one row by the related entity's identifier, with no
        filter of its own: a belongsTo, joined rather than read by a subquery."""
        relation = entity.relations[entry.name]
        target = self.catalog.entities[relation.target]
        return (
            not relation.many
            and not entry.where
            and entry.offset is None
            and relation.remote == target.identifier.column_name
        )

    def joined(
        self,
        entity: Entity,
        entry: RelationTemplate,
        parent: sa.FromClause,
        parent_labels: dict[str, str],
    ) -> tuple[Text, sa.ColumnElement[bool], list[tuple[sa.FromClause, sa.ColumnElement[bool]]]]:
        """The related row of a belongsTo read by the related identifier (:meth:`_by_key`):
        its table joined to the parent (``LEFT OUTER JOIN <target> AS t ON t.<identifier> =
        parent.<local>``, at most one row as the identifier is unique): its JSON, NULL when
        there is none; the condition that there is none (tested on the key, not on the JSON,
        which would be written twice); and the joins (the table, then its own
        relationships'). Measured
        with pgbench on the bench data (B: 100 products, their category and stocks), a
        third cheaper than a LATERAL subquery aggregating one row."""
        relation = entity.relations[entry.name]
        target = self.catalog.entities[relation.target]
        labels = {name: name for name in self.columns(target, [entry.shape])}
        table = target.table.alias(self._name("t"))
        key = table.c[relation.remote]
        level = self.level(target, entry.shape, table, labels)
        missing = key.is_(None)
        json = sa.case((missing, sa.null()), else_=level.json)
        on = key == parent.c[parent_labels[relation.local]]
        return json, missing, [(table, on), *level.joins]

    def correlated(
        self,
        entity: Entity,
        entry: RelationTemplate,
        parent: sa.FromClause,
        parent_labels: dict[str, str],
    ) -> sa.FromClause:
        """The related rows of one parent row (``LATERAL``): ``j`` (the rows' JSON,
        comma-separated, in order) and, when counted, ``c`` (how many). The rows are read
        by the related key (its index, where there is one), in order, with the parent's
        window (``LIMIT``/``OFFSET``), their JSON written (deeper relationships included)
        by that ordered subquery and aggregated as it comes: PostgreSQL aggregates a sorted
        subquery in its order when the aggregating level neither joins nor groups.
        :meth:`related` instead numbers every related row of the page's keys
        (``row_number()``) and keeps each parent's window of them; measured with pgbench
        on the bench data (100 products, their category and stocks) this form is cheaper."""
        relation = entity.relations[entry.name]
        target = self.catalog.entities[relation.target]
        labels = {name: name for name in self.columns(target, [entry.shape])}
        table = target.table.alias(self._name("t"))
        adapter = ClauseAdapter(table)
        level = self.level(target, entry.shape, table, labels)
        source: sa.FromClause = table
        for joined, on in level.joins:
            source = source.outerjoin(joined, on)
        selected = (
            sa.select(level.json.label("j"))
            .select_from(source)
            .where(
                table.c[relation.remote] == parent.c[parent_labels[relation.local]],
                *(
                    adapter.traverse(clause)
                    for clause in where_clause(target, entry.where, self.dialect)
                ),
            )
            .order_by(*ordering(target, entry.sort, lambda f: table.c[f.column_name]))
            .correlate(parent)
        )
        if not relation.many:
            selected = selected.limit(sa.literal_column("1"))
        else:
            if entry.offset is not None:
                selected = selected.offset(_integer(entry.offset))
            if entry.limit is not None:
                selected = selected.limit(_integer(entry.limit))
        rows = selected.subquery(self._name("r"))
        columns: list[sa.ColumnElement[Any]] = [sa.func.string_agg(rows.c["j"], _COMMA).label("j")]
        if self.counted:
            columns.append(sa.func.count().label("c"))
        return sa.select(*columns).select_from(rows).lateral(self._name("a"))

    def scalar(
        self,
        entity: Entity,
        entry: RelationTemplate,
        parent: sa.FromClause,
        parent_labels: dict[str, str],
    ) -> tuple[Text, sa.ColumnElement[Any]]:
        """The related rows of one parent row, as two scalar subqueries correlated to the
        parent (a dialect with ``scalar_related``): the rows' JSON joined in order (NULL when
        there is none), and how many there are. The rows are read by the related key, with
        the relationship's filter; deeper relationships are written inside. A window of their
        own (``limit``/``offset``, a belongsTo's first row: a dialect with ``scalar_window``)
        is kept by the aggregate (``dialect.joined_window``), and counted as the rows in
        it."""
        relation = entity.relations[entry.name]
        target = self.catalog.entities[relation.target]
        labels = {name: name for name in self.columns(target, [entry.shape])}
        table = target.table.alias(self._name("t"))
        adapter = ClauseAdapter(table)
        level = self.level(target, entry.shape, table, labels)
        source: sa.FromClause = table
        for joined, on in level.joins:
            source = source.outerjoin(joined, on)
        where = [
            table.c[relation.remote] == parent.c[parent_labels[relation.local]],
            *(
                adapter.traverse(clause)
                for clause in where_clause(target, entry.where, self.dialect)
            ),
        ]
        order = ordering(target, entry.sort, lambda f: table.c[f.column_name])
        aggregated = self.dialect.joined_in_order(level.json, order)
        counted: sa.ColumnElement[Any] = sa.func.count()
        if _windowed(relation.many, entry):
            offset = limit = None
            if not relation.many:
                limit = _number(1)
            else:
                offset = None if entry.offset is None else _integer(entry.offset)
                limit = None if entry.limit is None else _integer(entry.limit)
            if limit is None:  # an offset alone: every row after it
                limit = _number(_NO_LIMIT)
            aggregated = self.dialect.joined_window(level.json, order, offset, limit)
            if offset is not None:  # never below zero: the count may be unsigned
                counted = sa.func.greatest(counted, offset) - offset
            counted = sa.func.least(counted, limit)
        json = sa.select(aggregated).select_from(source).where(*where).correlate(parent)
        count = sa.select(counted).select_from(table).where(*where).correlate(parent)
        return json.scalar_subquery(), count.scalar_subquery()

    def aggregate(
        self,
        entity: Entity,
        entry: AggregateTemplate,
        parent: sa.FromClause,
        parent_labels: dict[str, str],
    ) -> Text:
        """A row's aggregate of its related rows, one scalar subquery correlated to the row
        (no LATERAL: the same on every database): the values the measures select, as a JSON
        array (counts as numbers, sums as strings, minimums and maximums as the field's
        JSON), which the reader turns into the aggregate's object
        (:mod:`schema_builder.operations.reads.related_aggregates`). Over no rows: a count of
        0 and NULLs, as the aggregate functions answer an empty set."""
        relation = entity.relations[entry.name]
        target = self.catalog.entities[relation.target]
        table = target.table.alias(self._name("t"))
        adapter = ClauseAdapter(table)
        paths = Paths(self.catalog, target)
        parts: list[Text] = []
        for measure in entry.measures:
            found = measure_sql(paths, measure, self.dialect.name)
            for position, selected in enumerate(found.selected()):
                column = adapter.traverse(selected)
                parts.append(constant("," if parts else "["))
                parts.append(self._measured(found, position, column))
        parts.append(constant("]"))
        where = [
            table.c[relation.remote] == parent.c[parent_labels[relation.local]],
            *(
                adapter.traverse(clause)
                for clause in where_clause(target, entry.where, self.dialect)
            ),
        ]
        return (
            sa.select(self.dialect.concat(parts))
            .select_from(table)
            .where(*where)
            .correlate(parent)
            .scalar_subquery()
        )

    def _measured(self, measure: MeasureSql, position: int, column: sa.ColumnElement[Any]) -> Text:
        """One selected value of a measure as JSON text: a count as a number, a minimum or
        maximum as its field writes it, any other value (a sum) as the string of its text."""
        function = measure.measure.function
        if function in ("count", "countDistinct") or position == 1:  # an average's count
            return sa.cast(column, sa.String())
        if function in WRITTEN_AS_FIELD:
            assert measure.field is not None
            render = self.dialect.renderer(measure.field)
            if render is None:
                raise UnsupportedShapeError(f"field {measure.field.name}")
            return sa.func.coalesce(render(column), constant("null"), type_=sa.Text)
        quoted = self.dialect.concat([constant('"'), sa.cast(column, sa.String()), constant('"')])
        return sa.func.coalesce(quoted, constant("null"), type_=sa.Text)

    def related(
        self,
        entity: Entity,
        entry: RelationTemplate,
        parent: sa.FromClause,
        parent_labels: dict[str, str],
    ) -> sa.CTE:
        """The related rows of every parent row, aggregated per parent key: ``__m`` (the key),
        ``j`` (the rows' JSON, comma-separated, in order), ``c`` (how many)."""
        relation = entity.relations[entry.name]
        target = self.catalog.entities[relation.target]
        remote = target.table.c[relation.remote]
        labels = self.columns(target, [entry.shape])
        number = sa.func.row_number().over(
            partition_by=remote, order_by=ordering(target, entry.sort)
        )
        keys = sa.select(parent.c[parent_labels[relation.local]])
        selected = sa.select(
            *(target.table.c[name].label(label) for name, label in labels.items()),
            remote.label("__m"),
            number.label("__n"),
        ).where(
            self.dialect.within(remote, keys),
            *where_clause(target, entry.where, self.dialect),
        )
        if _windowed(relation.many, entry):
            inner = selected.subquery(self._name("w"))
            position = inner.c["__n"]
            bounds: list[sa.ColumnElement[bool]] = []
            if not relation.many:
                bounds.append(position == sa.literal_column("1"))
            else:
                first: sa.ColumnElement[Any] = sa.literal_column("0")
                if entry.offset is not None:
                    first = _integer(entry.offset)
                    bounds.append(position > first)
                if entry.limit is not None:
                    bounds.append(position <= first + _integer(entry.limit))
            selected = sa.select(*inner.c).where(*bounds)
        rows = selected.cte(self._name("r"))
        level = self.level(target, entry.shape, rows, labels)
        source: sa.FromClause = rows
        for joined, on in level.joins:
            source = source.outerjoin(joined, on)
        grouped = self.dialect.grouped(
            source, rows.c["__m"], level.json, rows.c["__n"], self.counted
        )
        return grouped.cte(self._name("a"))


# The largest LIMIT MariaDB takes: "every row" after an offset (as MySQL documents for
# LIMIT), where a window has an offset and no limit.
_NO_LIMIT = 2**64 - 1


def _windowed(many: bool, entry: RelationTemplate) -> bool:
    """Whether a relationship keeps a window of each parent's related rows: a belongsTo's
    first row, or a hasMany's ``limit``/``offset``."""
    return not many or entry.limit is not None or entry.offset is not None


def list_statement(
    catalog: Catalog, template: ListTemplate, dialect: JsonDialect = POSTGRESQL
) -> sa.Select[Any]:
    """One row: the JSON array of each shape, then the nested row count and the total when
    asked for (the arrays in the page's order: see ``dialect.page_arrays``); on a
    ``per_row`` dialect, one row per page row (each shape's object, its nested row count,
    the total), and, with the total, one row of NULLs but the total when the page is
    empty."""
    builder = _Builder(catalog, dialect, counted=template.nested_count)
    entity = template.entity
    order = ordering(entity, template.sort)
    where = where_clause(entity, template.where, dialect)
    total = sa.select(sa.func.count()).select_from(entity.table).where(*where).scalar_subquery()
    if not template.shapes:  # only the count: no page to read
        return sa.select(total if template.count else sa.literal_column("NULL"))
    labels = builder.columns(entity, template.shapes)
    for field in (*_sorted_fields(entity, template.sort), entity.identifier):
        labels.setdefault(field.column_name, f"c{len(labels)}")
    page_select = (
        sa.select(*(entity.table.c[name].label(label) for name, label in labels.items()))
        .where(*where)
        .order_by(*order)
        .offset(_integer(template.offset))
    )
    if template.limit is not None:
        page_select = page_select.limit(_integer(template.limit))
    page = page_select.cte("page")
    source: sa.FromClause = page
    jsons: list[Text] = []
    counts: list[sa.ColumnElement[Any]] = []
    for shape in template.shapes:
        level = builder.level(entity, shape, page, labels)
        for joined, on in level.joins:
            source = source.outerjoin(joined, on)
        counts += level.counts
        jsons.append(level.json)
    columns, arrays, rows_order = dialect.page_arrays(
        source,
        jsons,
        ordering(entity, template.sort, lambda f: page.c[labels[f.column_name]]),
        _row_count(counts) if template.nested_count else None,
        total if template.count else None,
    )
    return sa.select(*columns).select_from(arrays).order_by(*rows_order)


def _sorted_fields(entity: Entity, sort: Sequence[SortKey]) -> list[Field]:
    fields = []
    for key in sort:
        field = entity.field_for_filter(key.field)
        if field is not None:  # ``ordering`` refuses the others
            fields.append(field)
    return fields


def get_statement(
    catalog: Catalog, template: GetTemplate, dialect: JsonDialect = POSTGRESQL
) -> sa.Select[Any]:
    """The row's JSON, then its nested row count when asked for; no row when there is none."""
    builder = _Builder(catalog, dialect, counted=template.nested_count)
    entity = template.entity
    labels = builder.columns(entity, [template.shape])
    if not labels:  # only constants (__typename): a row still needs a column
        labels[entity.identifier.column_name] = "c0"
    identifier = entity.identifier.column
    row = (
        sa.select(*(entity.table.c[name].label(label) for name, label in labels.items()))
        .where(identifier == _param(template.key, identifier.type))
        .cte("page")
    )
    level = builder.level(entity, template.shape, row, labels)
    source: sa.FromClause = row
    for joined, on in level.joins:
        source = source.outerjoin(joined, on)
    columns: list[sa.ColumnElement[Any]] = [level.json]
    if template.nested_count:
        columns.append(_row_count(level.counts))
    return sa.select(*columns).select_from(source)


def _number(value: int) -> sa.ColumnElement[Any]:
    return sa.literal_column(str(value))


def _row_count(counts: Sequence[sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    total: sa.ColumnElement[Any] = sa.literal_column("1")
    for count in counts:
        total = total + count
    return total
