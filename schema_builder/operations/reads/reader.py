"""The read operation: every list and by-id read of REST and GraphQL, from a plan.

A :class:`Reader` belongs to one application (``create_app`` builds it with the engine reads
use and, on PostgreSQL, a pool of the driver's own connections). For each plan it keeps the
compiled form (:mod:`schema_builder.operations.reads.compile`) in a bounded cache keyed by the
catalog and the plan, so that a repeated request only checks the caller's permissions, binds
its values and executes. Planning errors are kept too: the same plan is refused the same way.

What every read does, in this order (the order of the refusals a caller sees):

1. the entity (1302 without it) and the relationships its shapes read (1313);
2. the caller's ``read`` grant on each (403);
3. the plan compiled (filters, sort fields and values checked: 1310, DX101…);
4. one statement (the database writes the JSON) or the rows' statements, on one connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from auth.permissions import Permissions
from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import (
    DexgateError,
    EntityNotFoundError,
    InvalidQueryParameterError,
    ResponseTooLargeError,
)
from schema_builder.operations.access import require_read
from schema_builder.operations.db_errors import translating
from schema_builder.operations.ir import Include
from schema_builder.operations.plan_cache import PlanCache
from schema_builder.operations.reads import row_json
from schema_builder.operations.reads.compile import (
    Compiled,
    JsonStatement,
    RowStatement,
    compile_plan,
    objects_in,
)
from schema_builder.operations.reads.plan import GetPlan, ListPlan, Plan, reads_of
from schema_builder.operations.rows import check_includes, too_many_rows
from schema_builder.operations.values import filter_value

logger = logging.getLogger("dexgate.sql")

StatementListener = Callable[[str, tuple[Any, ...]], None]


class Statements(Protocol):
    """Connections of the database driver's own that run one statement and return its first
    row: :class:`~schema_builder.operations.reads.pool.ReadPool` (asyncpg),
    :class:`~schema_builder.operations.reads.sqlite_pool.SqlitePool`."""

    async def first(self, sql: str, parameters: Sequence[Any]) -> Any: ...

    async def all(self, sql: str, parameters: Sequence[Any]) -> Sequence[Any]: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Page:
    """A list's answer: the JSON array of each of the plan's shapes, and the total when
    counted."""

    arrays: tuple[str, ...]
    total: int | None


@dataclass(frozen=True, slots=True)
class _Entry:
    """What is known of a plan on one catalog: what it reads, and its compiled form or the
    error that refuses it."""

    entity: Entity | None
    reads: tuple[Include, ...]
    early: DexgateError | None  # refused before permissions are checked
    compiled: Compiled | None
    late: DexgateError | None  # refused after


class Reader:
    """Executes read plans on ``engine`` (the JSON statements on ``pool`` when there is one:
    the same database through the driver's own connections).

    ``json`` off makes every plan run as rows: the reader tests compare both with."""

    def __init__(
        self,
        engine: AsyncEngine,
        pool: Statements | None = None,
        *,
        size: int = 512,
        json: bool = True,
    ) -> None:
        self.engine = engine
        self.pool = pool
        self.json = json
        self._entries: PlanCache[_Entry] = PlanCache(size)
        self._listeners: list[StatementListener] = []

    def listen(self, listener: StatementListener) -> None:
        """Call ``listener`` with the SQL and parameters of every JSON statement this reader
        sends (the rows' statements go through the engine, whose events see them)."""
        self._listeners.append(listener)

    # -- planning --------------------------------------------------------------------------

    def _entry(self, catalog: Catalog, plan: Plan) -> _Entry:
        return self._entries.get(catalog, plan, lambda: self._make(catalog, plan))

    def _make(self, catalog: Catalog, plan: Plan) -> _Entry:
        try:
            entity = catalog.entity(plan.alias)
            reads = reads_of(plan)
            check_includes(catalog, entity, reads)
        except DexgateError as exc:
            return _Entry(None, (), exc, None, None)
        dialect = self.engine.dialect
        try:
            compiled = compile_plan(catalog, entity, plan, dialect, json=self.json)
        except DexgateError as exc:
            return _Entry(entity, reads, None, None, exc)
        except RecursionError:
            return _Entry(entity, reads, None, None, _too_deep())
        return _Entry(entity, reads, None, compiled, None)

    def _compiled(self, catalog: Catalog, plan: Plan, access: Permissions) -> Compiled:
        entry = self._entry(catalog, plan)
        if entry.early is not None:
            raise entry.early
        assert entry.entity is not None
        require_read(access, catalog, entry.entity, entry.reads)
        if entry.late is not None:
            raise entry.late
        assert entry.compiled is not None
        return entry.compiled

    # -- execution -------------------------------------------------------------------------

    async def list(self, catalog: Catalog, plan: ListPlan, access: Permissions) -> Page:
        compiled = self._compiled(catalog, plan, access)
        runs = compiled.runs
        if isinstance(runs, JsonStatement):
            arrays = runs.arrays
            if runs.per_row:
                rows = await self.fetch(runs, runs.parameters(runs.values), every=True)
                page = _joined(rows, runs, compiled.nested_limit, plan.count)
                return _finished(compiled, plan, page)
            row = await self.fetch(runs, runs.parameters(runs.values))
            texts = tuple(row[:arrays])
            if None in texts:  # cut by the database (see ResponseTooLargeError)
                raise ResponseTooLargeError()
            limit = compiled.nested_limit
            if limit is not None and _nested(runs, row, arrays) > limit:
                raise too_many_rows(limit)
            return _finished(compiled, plan, Page(texts, int(row[-1]) if plan.count else None))
        async with translating(), self.engine.connect() as connection:
            arrays_, total = await row_json.list_page(
                connection, catalog, compiled.entity, runs, compiled.nested_limit
            )
        return Page(arrays_, total)

    async def get(
        self, catalog: Catalog, plan: GetPlan, identifier: Any, access: Permissions
    ) -> str:
        """The row's JSON object; 1303 when there is none (or the identifier cannot be one)."""
        compiled = self._compiled(catalog, plan, access)
        entity = compiled.entity
        try:
            key = filter_value(entity.identifier, identifier, entity.alias)
        except DexgateError:
            raise EntityNotFoundError(entity.alias) from None
        runs = compiled.runs
        if isinstance(runs, JsonStatement):
            row = await self.fetch(runs, runs.parameters((key, *runs.values[1:])))
            if row is None:
                raise EntityNotFoundError(entity.alias)
            text: str | None = row[0]
            if text is None:  # cut by the database (see ResponseTooLargeError)
                raise ResponseTooLargeError()
            limit = compiled.nested_limit
            if limit is not None and _nested(runs, row, 1) > limit:
                raise too_many_rows(limit)
            if compiled.finish is not None:
                return compiled.finish.finish(text, plan.shape)
            return text
        assert isinstance(runs, RowStatement)
        async with translating(), self.engine.connect() as connection:
            return await row_json.get_object(
                connection, catalog, entity, runs, key, compiled.nested_limit
            )

    async def fetch(
        self, statement: JsonStatement, parameters: tuple[Any, ...], *, every: bool = False
    ) -> Any:
        """The first row the statement returns (None when there is none), or ``every`` row,
        from a connection of the pool when there is one, else of the engine."""
        sql = statement.sql
        for listener in self._listeners:
            listener(sql, parameters)
        if logger.isEnabledFor(logging.DEBUG):  # as SQLAlchemy logs: the SQL, then its values
            logger.debug(sql)
            logger.debug("[%s] %r", "read pool" if self.pool else "engine", parameters)
        async with translating():
            pool = self.pool
            if pool is not None:
                if every:
                    return await pool.all(sql, parameters)
                return await pool.first(sql, parameters)
            async with self.engine.connect() as connection:
                result = await connection.exec_driver_sql(sql, parameters)
                return result.all() if every else result.first()


def _nested(statement: JsonStatement, row: Sequence[Any], counted: int) -> int:
    """The rows of an answer's ``row``: counted by the statement (its column ``counted``),
    or in its text."""
    return objects_in(row[0]) if statement.counts_in_text else int(row[counted])


def _joined(
    rows: Sequence[Sequence[Any]],
    statement: JsonStatement,
    nested_limit: int | None,
    counted: bool,
) -> Page:
    """A ``per_row`` list's rows as its page: each shape's objects joined into an array, in
    the rows' order; none for an empty page, or, counted, one of NULLs but the total."""
    arrays = statement.arrays
    items = rows if rows and rows[0][0] is not None else ()
    if any(not row[position] for row in items for position in range(arrays)):
        raise ResponseTooLargeError()  # a row's related rows cut by the database (MariaDB: '')
    if nested_limit is not None:
        nested = sum(_nested(statement, row, arrays) for row in items)
        if nested > nested_limit:
            raise too_many_rows(nested_limit)
    joined = tuple(
        "[" + ",".join([row[position] for row in items]) + "]" for position in range(arrays)
    )
    return Page(joined, int(rows[0][-1]) if counted else None)


def _finished(compiled: Compiled, plan: ListPlan, page: Page) -> Page:
    """The page with its relationships' aggregates written (see ``Compiled.finish``)."""
    finish = compiled.finish
    if finish is None:
        return page
    pairs = zip(page.arrays, plan.shapes, strict=True)
    arrays = tuple(finish.finish(text, shape) for text, shape in pairs)
    return Page(arrays, page.total)


def _too_deep() -> DexgateError:
    return InvalidQueryParameterError("The request is nested too deeply.")
