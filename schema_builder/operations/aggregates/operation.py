"""The aggregate operation: every aggregate read of REST and GraphQL, from a plan.

An :class:`Aggregator` belongs to one application (``create_app`` builds it with the engine
reads use). For each plan it keeps the compiled statement
(:mod:`~schema_builder.operations.aggregates.compile`) in a bounded cache keyed by the
catalog and the plan, with the error that refuses it, so that a repeated request only checks
the caller's permissions and executes. What an aggregate read does, in this order:

1. the entity (007 without it);
2. the caller's ``read`` grant on it and on each entity reached through a relationship (403);
3. the plan compiled (fields, functions, buckets, filter and ``having`` values checked);
4. one statement; more groups than the answer may hold, asked without a page: DX153.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from auth.permissions import Permissions
from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import DexgateError, InvalidQueryParameterError, TooManyGroupsError
from schema_builder.operations.access import require_read
from schema_builder.operations.aggregates.compile import CompiledAggregate, compile_aggregate
from schema_builder.operations.aggregates.plan import AggregatePlan
from schema_builder.operations.db_errors import translating
from schema_builder.operations.plan_cache import PlanCache


@dataclass(frozen=True, slots=True)
class Aggregates:
    """An aggregate read's answer: the whole set's values when the plan asked for them, and
    each group's (``{"keys": {...}, "measures": {Measure: value}}``) in order."""

    totals: dict[str, Any] | None
    groups: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Entry:
    entity: Entity | None
    compiled: CompiledAggregate | None
    error: DexgateError | None


class Aggregator:
    """Executes aggregate plans on ``engine``."""

    def __init__(self, engine: AsyncEngine, *, size: int = 256) -> None:
        self.engine = engine
        self._entries: PlanCache[_Entry] = PlanCache(size)

    def _entry(self, catalog: Catalog, plan: AggregatePlan) -> _Entry:
        return self._entries.get(catalog, plan, lambda: self._make(catalog, plan))

    def _make(self, catalog: Catalog, plan: AggregatePlan) -> _Entry:
        entity = catalog.entities.get(plan.alias)
        if entity is None:
            return _Entry(None, None, None)
        try:
            compiled = compile_aggregate(catalog, entity, plan, self.engine.dialect.name)
        except DexgateError as exc:
            return _Entry(entity, None, exc)
        except RecursionError:
            return _Entry(
                entity, None, InvalidQueryParameterError("The filter is nested too deeply.")
            )
        return _Entry(entity, compiled, None)

    async def aggregate(
        self, catalog: Catalog, plan: AggregatePlan, access: Permissions
    ) -> Aggregates:
        entry = self._entry(catalog, plan)
        if entry.entity is None:
            catalog.entity(plan.alias)  # raises 007
        assert entry.entity is not None
        reads = entry.compiled.reads if entry.compiled is not None else ()
        require_read(access, catalog, entry.entity, reads)
        if entry.error is not None:
            raise entry.error
        compiled = entry.compiled
        assert compiled is not None
        async with translating(), self.engine.connect() as connection:
            rows = (await connection.execute(compiled.statement)).all()
        objects = compiled.objects(rows)
        totals = None
        if plan.totals and plan.groups:
            totals = objects[0]["measures"]
            objects = objects[1:]
        if plan.groups and plan.limit is None and len(objects) > plan.max_groups:
            raise TooManyGroupsError(plan.max_groups)
        return Aggregates(totals, objects)
