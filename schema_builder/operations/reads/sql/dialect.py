"""What the JSON-writing statement needs of a database, one object per dialect.

:mod:`schema_builder.operations.reads.sql.statement` builds one statement for every database; the
pieces that differ are asked of a :class:`JsonDialect`:

- ``renderer(field)``: the expression writing a field's value as JSON text, byte for byte as
  the row path writes it on that database (None: the read takes the row path);
- ``member(column, name)``: ``column`` is one of the values of the list parameter ``name``
  (an ``in`` filter, one parameter for any number of values);
- ``within(remote, keys)``: ``remote`` is one of the keys the subquery ``keys`` returns;
- ``grouped(...)``: the related rows' JSON joined per parent key, in their order;
- ``joined_in_order``/``joined_window``: the ordered aggregate of a relationship's rows read
  by a scalar subquery of the parent row (``scalar_related``), the latter keeping a window
  (``scalar_window``);
- ``page_arrays(...)``: the page's rows' JSON joined in the page's order, or (``per_row``)
  one row per page row, in the page's order, which the reader joins.

PostgreSQL (``string_agg``, arrays) is :data:`POSTGRESQL`; SQLite
(:mod:`schema_builder.operations.reads.sql.sqlite`) has no arrays and no ordered aggregate before
3.44, so it joins with ``group_concat`` as a window function over an explicit order. Another
database is one more module with such an object, registered in
:data:`schema_builder.operations.reads.sql.statement.DIALECTS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by

from schema_builder.catalog import Field
from schema_builder.operations.reads.sql.postgresql import Render, Text, concat, constant, renderer

_COMMA = sa.literal_column("','", sa.Text)


class JsonDialect:
    """PostgreSQL's pieces; a subclass per other database overrides what differs."""

    name = "postgresql"
    # each parent's related rows read by a LATERAL subquery (see ``statement``), rather
    # than every related row of the page numbered and joined
    lateral = True
    # the page's rows come back one per row for the reader to join (see ``page_arrays``)
    per_row = False
    # without LATERAL: a relationship read whole (no window of its own) by scalar subqueries
    # of the parent row (see ``statement._Builder.scalar``) rather than for the whole page
    scalar_related = False
    # with ``scalar_related``: a relationship with a window of its own (``limit``/``offset``,
    # a belongsTo's first row) read by the scalar subquery too, the window kept by the ordered
    # aggregate itself (``joined_window``)
    scalar_window = False
    # REST's bound on the rows of a response counted by the reader in the response's text
    # (see ``objects_in``) rather than by the statement
    counts_in_text = False

    def renderer(self, field: Field) -> Render | None:
        return renderer(field)

    def concat(self, parts: Sequence[Text]) -> Text:
        """The texts joined (NULL when one is NULL)."""
        return concat(parts)

    def member(self, column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))

    def within(self, remote: sa.ColumnElement[Any], keys: sa.Select[Any]) -> sa.ColumnElement[bool]:
        # ``= ANY(ARRAY(SELECT ...))`` rather than ``IN (SELECT ...)``: planned as the page's
        # keys as one array, like the row-by-row path's ``= ANY($1)`` (an index scan of the
        # keys where there is an index), where a semi-join is costed as a full scan.
        return remote == sa.any_(sa.func.array(keys.scalar_subquery()))

    def joined_in_order(self, json: Text, order: Sequence[sa.ColumnElement[Any]]) -> Text:
        """The aggregate joining ``json`` of the rows by commas in ``order``."""
        return sa.func.string_agg(json, aggregate_order_by(_COMMA, *order))

    def joined_window(
        self,
        json: Text,
        order: Sequence[sa.ColumnElement[Any]],
        offset: sa.ColumnElement[Any] | None,
        limit: sa.ColumnElement[Any],
    ) -> Text:
        """The aggregate joining ``json`` of the rows by commas in ``order``, only the
        ``limit`` rows after the first ``offset`` (a dialect with ``scalar_window``); NULL
        when there are none."""
        raise NotImplementedError(f"{self.name} keeps no window in an aggregate")

    def grouped(
        self,
        source: sa.FromClause,
        key: sa.ColumnElement[Any],
        json: Text,
        position: sa.ColumnElement[Any],
        counted: bool,
    ) -> sa.Select[Any]:
        """``__m`` (the key), ``j`` (the rows' JSON joined by commas in ``position``'s
        order) and, when ``counted``, ``c`` (how many), one row per key."""
        columns: list[sa.ColumnElement[Any]] = [
            key.label("__m"),
            self.joined_in_order(json, [position]).label("j"),
        ]
        if counted:
            columns.append(sa.func.count().label("c"))
        return sa.select(*columns).select_from(source).group_by(key)

    def page_arrays(
        self,
        source: sa.FromClause,
        jsons: Sequence[Text],
        order: Sequence[sa.ColumnElement[Any]],
        nested: sa.ColumnElement[Any] | None,
        total: sa.ColumnElement[Any] | None,
    ) -> tuple[list[sa.ColumnElement[Any]], sa.FromClause, list[sa.ColumnElement[Any]]]:
        """Each of ``jsons`` as a JSON array of the page's rows in ``order``, then the sum of
        ``nested`` and ``total`` when given; what to select them from; and the order of the
        rows selected (none here: one row).

        The rows' JSON is written by a subquery in the page's order, which the arrays
        aggregate as it comes: PostgreSQL aggregates a sorted subquery in its order when the
        aggregating level neither joins nor groups, and an ``ORDER BY`` inside the aggregate
        would sort every page again (a third of the statement's time for a page of 100 flat
        rows). The subquery orders by the page's own columns, which the page is read in
        already, so that PostgreSQL need not sort at all when the page is read once."""
        rows: list[sa.ColumnElement[Any]] = [
            json.label(f"j{position}") for position, json in enumerate(jsons)
        ]
        if nested is not None:
            rows.append(nested.label("n"))
        ordered = sa.select(*rows).select_from(source).order_by(*order).subquery("rows")
        columns: list[sa.ColumnElement[Any]] = []
        for position in range(len(jsons)):
            items = sa.func.string_agg(ordered.c[f"j{position}"], _COMMA)
            columns.append(
                concat([constant("["), sa.func.coalesce(items, constant("")), constant("]")])
            )
        if nested is not None:
            columns.append(sa.func.coalesce(sa.func.sum(ordered.c["n"]), sa.literal_column("0")))
        if total is not None:
            columns.append(total)
        return columns, ordered, []


POSTGRESQL = JsonDialect()
