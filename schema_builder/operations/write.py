"""Create, update and upsert: planned items written level by level in batched statements.

A request's items are first written together (one INSERT ... RETURNING per group of items with
the same fields, one UPDATE executemany plus one SELECT for updates). If the batch fails, the
items are written again in halves and then one by one, each attempt in a savepoint, to
attribute every failure to its item: transactional requests then roll back and report every
error; partial requests (``X-Is-Transactional: false``) keep each item that was saved whole.

:func:`write` is one request on a connection of its own. :func:`prepare` and :func:`save_plan`
are its two stages, for callers that hold the connection and its transaction themselves (the
bulk import of :mod:`schema_builder.operations.bulk`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.permissions import Permissions
from auth.transactions import write_connection
from schema_builder.catalog import Catalog, Entity, Relation
from schema_builder.changefeed.actor import acting
from schema_builder.errors import (
    DexgateError,
    DuplicateEntryError,
    EntityNotFoundError,
    IdentifierNotCreatableError,
    InvalidFieldValueError,
    NotNullViolationError,
    ReferencedEntityMissingError,
)
from schema_builder.operations.access import WRITE_OPERATIONS, require, require_write
from schema_builder.operations.audit import record_saved
from schema_builder.operations.db_errors import IntegrityProblemError, key_columns, translating
from schema_builder.operations.ir import WriteMode, WriteRequest, WriteResult
from schema_builder.operations.plan_write import Item, Plan, plan_write
from schema_builder.operations.rows import local_position, select_columns
from schema_builder.operations.write_answer import answered

# A refused group this small is retried item by item rather than halved.
_ONE_BY_ONE = 8


class ItemsFailedError(Exception):
    """Items that could not be written for a reason found while writing (1303, 1308)."""

    def __init__(self, errors: list[DexgateError]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(slots=True)
class Saved:
    """What :func:`save_plan` did: the items saved whole, and the errors of the others by item
    index (the plan's errors included). ``refused`` holds why the items were refused together
    when, written one by one, every item was saved: a transactional request reports it."""

    items: list[Item] = field(default_factory=list)
    errors: dict[int, list[DexgateError]] = field(default_factory=dict)
    refused: list[DexgateError] = field(default_factory=list)


def prepare(catalog: Catalog, request: WriteRequest, access: Permissions) -> Plan:
    """Check the permissions and plan the request's items (1301 when they are not a list of
    objects; every item's validation errors are in the plan); no SQL runs."""
    entity = catalog.entity(request.alias)
    require(access, entity.alias, WRITE_OPERATIONS[request.mode])
    plan = plan_write(catalog, entity, request.items, request.mode, request.identifier)
    require_write(access, entity.alias, request.mode, plan.items)
    return plan


async def save_plan(connection: AsyncConnection, plan: Plan, mode: WriteMode) -> Saved:
    """Write the plan's valid items in the connection's open transaction.

    Items that fail are rolled back to their savepoint and reported; the caller commits or
    rolls back the transaction."""
    valid = [item for item in plan.items if item.index not in plan.errors]
    saved = Saved(errors=dict(plan.errors))
    failed = await _attempt(connection, valid, mode) if valid else []
    if not failed:
        saved.items = valid
        return saved
    await _settle(connection, valid, failed, mode, saved)
    if len(saved.items) == len(valid):
        saved.refused = failed
    return saved


async def _settle(
    connection: AsyncConnection,
    items: list[Item],
    failed: list[DexgateError],
    mode: WriteMode,
    saved: Saved,
) -> None:
    """Find which of a refused group of items fail alone, in order, keeping the others.

    A large group is halved and each half retried, so a few bad items among a thousand cost a
    few dozen attempts instead of a thousand; a small group is retried item by item. Either way
    each item is decided after every item before it, as when all are tried one by one."""
    if len(items) == 1:
        saved.errors[items[0].index] = failed
        return
    if len(items) <= _ONE_BY_ONE:
        for item in items:
            item_errors = await _attempt(connection, [item], mode)
            if item_errors:
                saved.errors[item.index] = item_errors
            else:
                saved.items.append(item)
        return
    middle = len(items) // 2
    for half in (items[:middle], items[middle:]):
        half_errors = await _attempt(connection, half, mode)
        if half_errors:
            await _settle(connection, half, half_errors, mode, saved)
        else:
            saved.items.extend(half)


async def write(
    engine: AsyncEngine, catalog: Catalog, request: WriteRequest, access: Permissions
) -> WriteResult:
    plan = prepare(catalog, request, access)
    if request.transactional and plan.errors:
        return WriteResult([], plan.all_errors)
    async with translating(), write_connection(engine) as connection:
        await connection.begin()
        async with acting(connection, catalog, access.actor):
            saved = await save_plan(connection, plan, request.mode)
        errors = saved.errors
        if request.transactional and not errors and saved.refused:
            errors = {-1: saved.refused}
        if request.transactional and errors:
            await connection.rollback()
            return WriteResult([], [e for i in sorted(errors) for e in errors[i]])
        await record_saved(connection, access.actor, request.mode, saved.items)
        await connection.commit()
    return WriteResult(
        answered(saved.items, access), [e for i in sorted(errors) for e in errors[i]]
    )


async def _attempt(
    connection: AsyncConnection, items: list[Item], mode: WriteMode
) -> list[DexgateError]:
    """Write ``items`` in a savepoint; on failure roll it back and say why."""
    savepoint = await connection.begin_nested()
    try:
        async with translating():
            await _save(connection, items[0].entity, items, mode)
    except ItemsFailedError as exc:
        await savepoint.rollback()
        return exc.errors
    except IntegrityProblemError as problem:
        await savepoint.rollback()
        return [_problem_error(problem, items)]
    await savepoint.commit()
    return []


def _problem_error(problem: IntegrityProblemError, items: Sequence[Item]) -> DexgateError:
    item = items[0]
    columns = problem.column or key_columns(item.entity.table, problem.key)
    name = _visible_name(item.entity, columns)
    if problem.kind == "duplicate":
        return DuplicateEntryError(f"{item.path}.{name}" if name else item.path)
    if problem.kind == "not_null":
        return NotNullViolationError(item.path, name or "?")
    if problem.kind == "foreign_key":
        return ReferencedEntityMissingError(item.path, name)
    return InvalidFieldValueError(item.path, name or "?", "value rejected by the database")


def _visible_name(entity: Entity, columns: str | None) -> str:
    """The field names of the database's ``columns`` ("a, b" for a composite key), or "" when
    one is not a field of ``entity``: an error speaks of the caller's fields, never of columns
    it cannot see."""
    if not columns:
        return ""
    fields = [entity.by_column.get(column.strip()) for column in columns.split(",")]
    return ", ".join(f.name for f in fields if f is not None) if all(fields) else ""


async def _save(
    connection: AsyncConnection, entity: Entity, items: list[Item], mode: WriteMode
) -> None:
    """Write items of one entity, then their children, level by level."""
    if not items:
        return
    inserts: list[Item] = []
    updates: list[Item] = []
    if mode == "create":
        inserts = items
    else:
        keyed = [item for item in items if item.has_key]
        found = await _existing(connection, entity, keyed)
        errors: list[DexgateError] = []
        for item in items:
            if not item.has_key:
                inserts.append(item)
            elif item.key in found and _linked(item, found[item.key]):
                updates.append(item)
            elif mode == "update":
                errors.append(EntityNotFoundError(item.path))
            elif entity.identifier.definition.is_creatable:
                item.values[entity.identifier.column_name] = item.key
                inserts.append(item)
            else:
                errors.append(
                    IdentifierNotCreatableError(item.path, f"{entity.identifier.name}: {item.key}")
                )
        if errors:
            raise ItemsFailedError(errors)
        if mode == "upsert":
            for item in updates:
                _reset_missing(entity, item)
    await _insert(connection, entity, inserts)
    await _update(connection, entity, updates)
    await _save_children(connection, entity, items, mode)


def _linked(item: Item, link_value: Any) -> bool:
    """A child found by identifier must also belong to the parent it is nested under."""
    if item.link_column is None:
        return True
    return bool(item.values.get(item.link_column) == link_value)


async def _existing(
    connection: AsyncConnection, entity: Entity, items: list[Item]
) -> dict[Any, Any]:
    """Identifier → link column value (or None) for the items' identifiers that exist."""
    if not items:
        return {}
    link = items[0].link_column
    id_column = entity.identifier.column
    columns: list[sa.ColumnElement[Any]] = [id_column]
    if link is not None:
        columns.append(entity.table.c[link])
    keys = list({item.key for item in items})
    rows = (await connection.execute(sa.select(*columns).where(id_column.in_(keys)))).all()
    return {row[0]: (row[1] if link is not None else None) for row in rows}


def _reset_missing(entity: Entity, item: Item) -> None:
    """PUT replaces: editable fields the item does not carry become NULL."""
    for f in entity.fields:
        if (
            f is not entity.identifier
            and f.definition.is_editable
            and f.column_name not in item.values
            and f.column_name != item.link_column
        ):
            item.values[f.column_name] = None


def _groups(items: list[Item]) -> list[list[Item]]:
    groups: dict[tuple[str, ...], list[Item]] = {}
    for item in items:
        groups.setdefault(tuple(sorted(item.values)), []).append(item)
    return list(groups.values())


def _store_saved(entity: Entity, item: Item, row: Sequence[Any]) -> None:
    item.saved_row = row
    item.saved = entity.shape(row)


async def _insert(connection: AsyncConnection, entity: Entity, items: list[Item]) -> None:
    columns = select_columns(entity, list(entity.relations))
    for group in _groups(items):
        if not group[0].values:
            for item in group:
                row = (await connection.execute(sa.insert(entity.table).returning(*columns))).one()
                _store_saved(entity, item, row)
            continue
        rows = await _insert_rows(connection, entity, group)
        for item, saved_row in zip(group, rows, strict=True):
            _store_saved(entity, item, saved_row)


async def _insert_rows(
    connection: AsyncConnection, entity: Entity, group: list[Item]
) -> list[Sequence[Any]]:
    """Insert a group in multi-row batches; return its rows in the order of the items.

    ``sort_by_parameter_order`` would make SQLAlchemy fall back to one INSERT per row here: SQLite
    has no insert sentinel at all, and a reflected PostgreSQL serial key carries a ``nextval()``
    server default that SQLAlchemy does not accept as one. So rows are matched to items by the
    identifier when the items carry an integer one, or, for a key the database generates, by
    sorting on it: a multi-row INSERT assigns autoincrement keys in the order of its rows (the
    same assumption SQLAlchemy's own autoincrement sentinel makes). Other keys keep SQLAlchemy's
    row-at-a-time ordering.
    """
    id_column = entity.identifier.column
    values = [item.values for item in group]
    sent_key = id_column.name in group[0].values and entity.identifier.type == "integer"
    generated = id_column.name not in group[0].values
    if not sent_key and not (generated and entity.table.autoincrement_column is id_column):
        statement = sa.insert(entity.table).returning(
            *select_columns(entity, list(entity.relations)), sort_by_parameter_order=True
        )
        return list((await connection.execute(statement, values)).all())
    statement = sa.insert(entity.table).returning(
        *select_columns(entity, list(entity.relations)), id_column.label("__key")
    )
    rows = (await connection.execute(statement, values)).all()
    if sent_key:
        by_key = {row[-1]: row[:-1] for row in rows}
        return [by_key[item.values[id_column.name]] for item in group]
    return [row[:-1] for row in sorted(rows, key=lambda row: row[-1])]


async def _update(connection: AsyncConnection, entity: Entity, items: list[Item]) -> None:
    if not items:
        return
    id_column = entity.identifier.column
    for group in _groups(items):
        names = sorted(group[0].values)
        if not names:
            continue
        params: dict[str, sa.BindParameter[Any]] = {
            name: sa.bindparam(f"v{i}") for i, name in enumerate(names)
        }
        statement = (
            sa.update(entity.table)
            .where(id_column == sa.bindparam("k"))
            .values({entity.table.c[name]: param for name, param in params.items()})
        )
        await connection.execute(
            statement,
            [
                {"k": item.key, **{f"v{i}": item.values[name] for i, name in enumerate(names)}}
                for item in group
            ],
        )
    columns = select_columns(entity, list(entity.relations))
    keys = list({item.key for item in items})
    rows = (
        await connection.execute(
            sa.select(*columns, id_column.label("__key")).where(id_column.in_(keys))
        )
    ).all()
    by_key = {row[-1]: row for row in rows}
    for item in items:
        _store_saved(entity, item, by_key[item.key][:-1])


async def _save_children(
    connection: AsyncConnection, entity: Entity, items: list[Item], mode: WriteMode
) -> None:
    by_relation: dict[str, tuple[Relation, list[tuple[Item, list[Item]]]]] = {}
    for item in items:
        for relation, children in item.children:
            by_relation.setdefault(relation.name, (relation, []))[1].append((item, children))
    for relation, pairs in by_relation.values():
        all_children: list[Item] = []
        for parent, children in pairs:
            link_value = parent.saved_row[local_position(entity, relation)]
            for child in children:
                child.values[relation.remote] = link_value
            all_children.extend(children)
        if not all_children:
            continue
        await _save_child_rows(connection, all_children, mode)
        for parent, children in pairs:
            if parent.saved is not None and children:
                parent.saved[relation.name] = [c.saved for c in children]


async def _save_child_rows(
    connection: AsyncConnection, children: list[Item], mode: WriteMode
) -> None:
    """Save one level of child rows together; when the database refuses them, retry them one
    by one to find the rows it refused, so each error carries its child's path
    (``categories[0].products[1].sku``) rather than the top-level item's."""
    savepoint = await connection.begin_nested()
    try:
        async with translating():
            await _save(connection, children[0].entity, children, mode)
    except IntegrityProblemError as exc:
        await savepoint.rollback()
        problem = exc
    except BaseException:
        await savepoint.rollback()
        raise
    else:
        await savepoint.commit()
        return
    errors: list[DexgateError] = []
    for child in children:
        errors.extend(await _attempt(connection, [child], mode))
    raise ItemsFailedError(errors or [_problem_error(problem, children)])
