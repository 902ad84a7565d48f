"""List and get whose JSON the database writes (PostgreSQL, SQLite): one statement returns
the response's text.

The row-by-row path (:mod:`schema_builder.operations.read`) builds a statement per request,
has SQLAlchemy compile it (or find it by its cache key), turns every row into a dict and lets
the transport write it as JSON. Here a read is planned into a template (the request with its
values as slots, see :mod:`schema_builder.operations.read_json_sql`) plus the values; the
statement of a template is built and compiled once and kept (a bounded LRU), and a request only
binds its values. PostgreSQL writes the JSON (see :mod:`schema_builder.operations.json_text`),
so Python receives one text value, which the transport splices into its response. A request
shape's plan (its statement, the values of its slots, the relationships it reads) is kept too,
so that a repeated request only checks the caller's permissions and binds its key; the
statement goes to the driver on a connection of the read pool
(:mod:`schema_builder.operations.read_pool`).

The answers are byte for byte those of the row-by-row path. Where this path cannot promise that
(a field type whose text the database cannot write the same way, REST includes more than
one level deep, whose size is only known once counted) or the request is refused (any
:class:`DexgateError` while planning: a permission, an unknown field, a bad filter value), the
functions return None and the caller takes the row-by-row path, which answers or raises exactly
as it always has.
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from auth.permissions import Permissions
from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import DexgateError, EntityNotFoundError, UnknownSortFieldError
from schema_builder.operations.access import require_read
from schema_builder.operations.db_errors import translating
from schema_builder.operations.filters import compile_conditions
from schema_builder.operations.ir import (
    AllOf,
    AnyOf,
    Condition,
    FieldOut,
    Filter,
    GetRequest,
    Include,
    Not,
    ReadRequest,
    RelationOut,
    Shape,
    SortKey,
)
from schema_builder.operations.json_text import UnsupportedShapeError
from schema_builder.operations.read import check_includes, too_many_rows
from schema_builder.operations.read_json_sql import (
    DIALECTS,
    GetTemplate,
    ListTemplate,
    RelationTemplate,
    ShapeTemplate,
    Slot,
    get_statement,
    list_statement,
)
from schema_builder.operations.read_pool import ReadPool
from schema_builder.operations.values import filter_value

Template = ListTemplate | GetTemplate
Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class JsonPage:
    """The JSON arrays of a page (one per shape asked for) and the total when counted."""

    arrays: tuple[str, ...]
    total: int | None


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    slots: tuple[int, ...]  # the slot of each positional parameter
    processors: tuple[Processor, ...]


class _Statements:
    """Compiled statements by template; None for a template that cannot be written in SQL."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._prepared: OrderedDict[Template, _Prepared | None] = OrderedDict()

    def get(self, engine: AsyncEngine, catalog: Catalog, template: Template) -> _Prepared | None:
        try:
            prepared = self._prepared[template]
            self._prepared.move_to_end(template)
            return prepared
        except KeyError:
            pass
        prepared = _prepare(engine, catalog, template)
        self._prepared[template] = prepared
        if len(self._prepared) > self.size:
            self._prepared.popitem(last=False)
        return prepared


_statements = _Statements()


def _prepare(engine: AsyncEngine, catalog: Catalog, template: Template) -> _Prepared | None:
    dialect = engine.dialect
    writer = DIALECTS[dialect.name]
    try:
        if isinstance(template, ListTemplate):
            statement = list_statement(catalog, template, writer)
        else:
            statement = get_statement(catalog, template, writer)
    except UnsupportedShapeError:
        return None
    compiled = statement.compile(dialect=dialect)
    names = list(compiled.positiontup or ())
    processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    return _Prepared(compiled.string, tuple(int(name[1:]) for name in names), processors)


def serves(engine: AsyncEngine) -> bool:
    """Whether reads on ``engine`` can have their JSON written by the database."""
    dialect = engine.dialect
    return (dialect.name, dialect.driver) in (("postgresql", "asyncpg"), ("sqlite", "aiosqlite"))


@functools.lru_cache(maxsize=256)
def rest_shape(catalog: Catalog, entity: Entity, includes: tuple[Include, ...]) -> Shape:
    """REST's object: every field, then each include under its key when it has rows."""
    entries: list[Any] = [FieldOut(field.name, field.name) for field in entity.fields]
    for include in includes:
        target = catalog.entities[entity.relations[include.name].target]
        shape = rest_shape(catalog, target, include.children)
        entries.append(RelationOut(include.output_key, include, shape, omit_empty=True))
    return tuple(entries)


def includes_of(shape: Shape) -> tuple[Include, ...]:
    """The relationships a shape reads, as includes (for the permission checks)."""
    return tuple(
        Include(entry.include.name, includes_of(entry.shape))
        for entry in shape
        if isinstance(entry, RelationOut)
    )


class _Planner:
    """Turns a request into its template, collecting the values of its slots."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.values: list[Any] = []

    def slot(self, value: Any) -> Slot:
        self.values.append(value)
        return Slot(len(self.values) - 1)

    def filters(self, entity: Entity, nodes: Sequence[Filter]) -> tuple[Filter, ...]:
        if nodes:
            compile_conditions(entity, nodes)  # the row-by-row path's checks, in its order
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


@dataclass(frozen=True, slots=True)
class _Plan:
    """A read planned once: its statement, the values of its slots (a get's key, slot 0,
    is bound per request) and what the request needs besides (permissions, bounds)."""

    entity: Entity
    reads: tuple[Include, ...]  # every relationship read, for the permission check
    prepared: _Prepared
    values: tuple[Any, ...]
    arrays: int  # the JSON arrays a list returns before its counts
    nested_limit: int | None  # rows a response may nest, checked against the nested count
    count: bool

    def parameters(self, values: Sequence[Any]) -> tuple[Any, ...]:
        prepared = self.prepared
        return tuple(
            values[slot] if process is None else process(values[slot])
            for slot, process in zip(prepared.slots, prepared.processors, strict=True)
        )


_NO_PLAN = object()  # a request whose plan could not be made (refused, not writable in SQL)


class _Plans:
    """Plans by catalog and request, a bounded LRU, emptied when a newer catalog arrives
    (one serving an older catalog meanwhile — GraphQL while its schema is rebuilt — has
    keys of its own)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.version: int | None = None
        self._plans: OrderedDict[Hashable, _Plan | object] = OrderedDict()

    def get(
        self, engine: AsyncEngine, catalog: Catalog, key: Hashable, make: Callable[[], _Plan | None]
    ) -> _Plan | None:
        if self.version is None or catalog.version > self.version:
            self._plans.clear()
            self.version = catalog.version
        key = (catalog, engine.dialect, key)
        try:
            plan = self._plans.get(key, None)
        except TypeError:  # a value that cannot key a plan (a list from an input)
            return make()
        if plan is None:
            made = make()
            plan = _NO_PLAN if made is None else made
            self._plans[key] = plan
            if len(self._plans) > self.size:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan if isinstance(plan, _Plan) else None


_plans = _Plans()


def _checked_shapes(
    catalog: Catalog,
    entity: Entity,
    includes: tuple[Include, ...],
    shapes: tuple[Shape, ...] | None,
) -> tuple[tuple[Shape, ...], tuple[Include, ...]]:
    """The shapes to write (REST's when none are given) and every relationship they read;
    raises 1313 for a relationship that does not exist."""
    if shapes is None:
        check_includes(catalog, entity, includes)
        return (rest_shape(catalog, entity, includes),), includes
    reads: list[Include] = []
    for shape in shapes:
        wanted = includes_of(shape)
        check_includes(catalog, entity, wanted)
        reads.extend(wanted)
    return shapes, tuple(reads)


def _permitted(plan: _Plan, catalog: Catalog, access: Permissions) -> bool:
    try:
        require_read(access, catalog, plan.entity, plan.reads)
    except DexgateError:
        return False
    return True


def _list_plan(
    engine: AsyncEngine, catalog: Catalog, request: ReadRequest, shapes: tuple[Shape, ...] | None
) -> _Plan | None:
    planner = _Planner(catalog)
    try:
        entity = catalog.entity(request.alias)
        chosen, reads = _checked_shapes(catalog, entity, request.include, shapes)
        nested_count = request.max_rows is not None and bool(request.include)
        where = planner.filters(entity, request.conditions)
        sort = planner.sort(entity, request.sort)
        offset = planner.slot(request.offset)
        limit = None if request.limit is None else planner.slot(request.limit)
        template = ListTemplate(
            entity,
            where,
            sort,
            offset,
            limit,
            request.count,
            nested_count,
            tuple(planner.shape(entity, shape) for shape in chosen),
        )
    except (DexgateError, RecursionError):
        return None
    nested_limit = request.max_rows if nested_count else None
    return _planned(engine, catalog, template, reads, planner, len(chosen), nested_limit)


def _get_plan(
    engine: AsyncEngine,
    catalog: Catalog,
    alias: str,
    includes: tuple[Include, ...],
    max_rows: int | None,
    shape: Shape | None,
) -> _Plan | None:
    planner = _Planner(catalog)
    try:
        entity = catalog.entity(alias)
        chosen, reads = _checked_shapes(
            catalog, entity, includes, None if shape is None else (shape,)
        )
        nested_count = max_rows is not None and bool(includes)
        template = GetTemplate(
            entity, planner.slot(None), nested_count, planner.shape(entity, chosen[0])
        )
    except (DexgateError, RecursionError):
        return None
    return _planned(
        engine, catalog, template, reads, planner, 1, max_rows if nested_count else None
    )


def _planned(
    engine: AsyncEngine,
    catalog: Catalog,
    template: Template,
    reads: tuple[Include, ...],
    planner: _Planner,
    arrays: int,
    nested_limit: int | None,
) -> _Plan | None:
    prepared = _statements.get(engine, catalog, template)
    if prepared is None:
        return None
    count = isinstance(template, ListTemplate) and template.count
    return _Plan(
        template.entity, reads, prepared, tuple(planner.values), arrays, nested_limit, count
    )


async def list_json(
    engine: AsyncEngine,
    catalog: Catalog,
    request: ReadRequest,
    access: Permissions,
    shapes: tuple[Shape, ...] | None = None,
) -> JsonPage | None:
    """A page as JSON text: REST's rows (all fields and ``request.include``) unless
    ``shapes`` says what to write; None when the row-by-row path must answer."""
    if not serves(engine) or (shapes is None and any(i.children for i in request.include)):
        return None
    plan = _plans.get(
        engine,
        catalog,
        ("list", request, shapes),
        lambda: _list_plan(engine, catalog, request, shapes),
    )
    if plan is None or not _permitted(plan, catalog, access):
        return None
    row = await _fetch(engine, plan.prepared, plan.parameters(plan.values))
    arrays = plan.arrays
    if plan.nested_limit is not None and int(row[arrays]) > plan.nested_limit:
        raise too_many_rows(plan.nested_limit)
    return JsonPage(tuple(row[:arrays]), int(row[-1]) if plan.count else None)


async def get_json(
    engine: AsyncEngine,
    catalog: Catalog,
    request: GetRequest,
    access: Permissions,
    shape: Shape | None = None,
) -> str | None:
    """The row as a JSON object, written as REST does (``request.include``) unless ``shape``
    says what to write; None when the row-by-row path must answer. Raises 1303
    (:class:`EntityNotFoundError`) when there is no such row."""
    if not serves(engine) or (shape is None and any(i.children for i in request.include)):
        return None
    alias, includes, max_rows = request.alias, request.include, request.max_rows
    plan = _plans.get(
        engine,
        catalog,
        ("get", alias, includes, max_rows, shape),
        lambda: _get_plan(engine, catalog, alias, includes, max_rows, shape),
    )
    if plan is None or not _permitted(plan, catalog, access):
        return None
    entity = plan.entity
    try:
        key = filter_value(entity.identifier, request.identifier, entity.alias)
    except DexgateError:  # not a valid identifier (1303): the row-by-row path says so
        return None
    row = await _fetch(engine, plan.prepared, plan.parameters((key, *plan.values[1:])))
    if row is None:
        raise EntityNotFoundError(entity.alias)
    if plan.nested_limit is not None and int(row[1]) > plan.nested_limit:
        raise too_many_rows(plan.nested_limit)
    text: str = row[0]
    return text


_pools: weakref.WeakKeyDictionary[AsyncEngine, ReadPool] = weakref.WeakKeyDictionary()


def use_pool(engine: AsyncEngine, pool: ReadPool | None) -> None:
    """Have the reads on ``engine`` take their connections from ``pool`` (of the driver's
    own connections to the same database; see app.database.create_read_pool), or from the
    engine's pool again when None."""
    if pool is None:
        _pools.pop(engine, None)
    else:
        _pools[engine] = pool


async def _fetch(engine: AsyncEngine, prepared: _Prepared, parameters: tuple[Any, ...]) -> Any:
    """The first row the statement returns (None when there is none).

    The statement goes straight to the driver on a connection of the engine's read pool (see
    :func:`use_pool`), else of the engine's own pool, unless the engine is watched (statement
    events, or its log at INFO: tests counting statements, the benchmark capturing them), when
    it goes through SQLAlchemy's execution so that it is seen. A read cancelled (the request's
    deadline) with its statement perhaps still running closes its connection rather than
    hand it to the next request."""
    async with translating():
        if _watched(engine) or engine.dialect.name == "sqlite":
            async with engine.connect() as connection:
                result = await connection.exec_driver_sql(prepared.sql, parameters)
                return result.first()
        pool = _pools.get(engine)
        if pool is not None:
            own = await pool.acquire()
            try:
                return await own.fetchrow(prepared.sql, *parameters)
            except BaseException as exc:
                if not isinstance(exc, Exception):
                    own.terminate()
                raise
            finally:
                pool.release(own)
        pooled = await engine.raw_connection()
        try:
            driver: Any = pooled.driver_connection
            return await driver.fetchrow(prepared.sql, *parameters)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                await greenlet_spawn(pooled.invalidate)
            raise
        finally:
            await greenlet_spawn(pooled.close)


def _watched(engine: AsyncEngine) -> bool:
    sync = engine.sync_engine
    events = sync.dispatch
    return (
        bool(events.before_cursor_execute)
        or bool(events.after_cursor_execute)
        or sync.logger.isEnabledFor(logging.INFO)
    )
