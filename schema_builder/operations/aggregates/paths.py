"""Fields an aggregate names through belongsTo relationships: ``product.category_id`` on
stocks, ``month(product.created_at)``.

A dotted name follows the entity's belongsTo relationships (at most :data:`MAX_HOPS`), each
joined once (``LEFT OUTER JOIN``: a row without a related row keeps its place, its related
fields NULL). Only belongsTo: through a hasMany each row would count once per related row.
Reading a related entity's fields needs its ``read`` grant (:meth:`Paths.reads`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from schema_builder.catalog import Catalog, Entity, Field, Relation
from schema_builder.errors import AggregateNotApplicableError, InvalidAggregateError
from schema_builder.operations.ir import Include

MAX_HOPS = 3
Column = sa.ColumnElement[Any]


class Paths:
    """The fields of ``entity`` and of the entities its belongsTo relationships reach, and
    the joins that the names resolved so far need."""

    def __init__(self, catalog: Catalog, entity: Entity) -> None:
        self.catalog = catalog
        self.entity = entity
        self._joins: dict[tuple[str, ...], tuple[Entity, sa.FromClause, Column]] = {}

    def resolve(self, name: str) -> tuple[Field, Column] | None:
        """The field ``name`` names and the column to read it from; None when there is no
        such field. Raises DX151 for a path too long, DX152 through a hasMany relationship."""
        parts = name.split(".")
        if len(parts) - 1 > MAX_HOPS:
            raise InvalidAggregateError(f"`{name}` follows more than {MAX_HOPS} relationships.")
        entity = self.entity
        table: sa.FromClause = entity.table
        path: tuple[str, ...] = ()
        for relation_name in parts[:-1]:
            relation = entity.relations.get(relation_name)
            if relation is None:
                return None
            if relation.many:
                raise AggregateNotApplicableError(
                    f"`{name}` goes through the hasMany relationship `{relation_name}`: only "
                    "belongsTo relationships can be followed (each row has one related row)."
                )
            path = (*path, relation_name)
            entity, table = self._joined(path, relation, table)
        field = entity.field_for_filter(parts[-1])
        if field is None:
            return None
        return field, table.c[field.column_name]

    def _joined(
        self, path: tuple[str, ...], relation: Relation, parent: sa.FromClause
    ) -> tuple[Entity, sa.FromClause]:
        existing = self._joins.get(path)
        if existing is None:
            target = self.catalog.entities[relation.target]
            alias = target.table.alias(f"related_{len(self._joins)}")
            condition = parent.c[relation.local] == alias.c[relation.remote]
            existing = self._joins[path] = (target, alias, condition)
        return existing[0], existing[1]

    def source(self) -> sa.FromClause:
        """The entity's table with every join the resolved names need."""
        clause: sa.FromClause = self.entity.table
        for _target, alias, condition in self._joins.values():
            clause = clause.outerjoin(alias, condition)
        return clause

    def reads(self) -> tuple[Include, ...]:
        """The relationships followed, as includes (for the ``read`` grants)."""
        tree: dict[str, Any] = {}
        for path in self._joins:
            node = tree
            for name in path:
                node = node.setdefault(name, {})
        return _includes(tree)


def _includes(tree: dict[str, Any]) -> tuple[Include, ...]:
    return tuple(Include(name, _includes(sub)) for name, sub in tree.items())
