"""Delete by identifier or by filter, in one transaction.

Rows blocked by child rows are reported (1317) while the others are deleted, as Spryker does;
unlike Spryker, a delete without any filter, or with a filter holding no condition (an
empty ``and``, say), is refused rather than emptying the table.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.permissions import Permissions
from auth.transactions import write_transaction
from schema_builder.catalog import Catalog, Entity
from schema_builder.changefeed.actor import acting
from schema_builder.errors import (
    DeleteForeignKeyError,
    DexgateError,
    EntityNotFoundError,
    MethodNotAllowedError,
    UnfilteredDeleteError,
)
from schema_builder.operations.access import require
from schema_builder.operations.audit import record_deleted
from schema_builder.operations.db_errors import IntegrityProblemError, translating
from schema_builder.operations.delete_guard import says_nothing
from schema_builder.operations.filters import compile_conditions, has_condition
from schema_builder.operations.ir import DeleteRequest
from schema_builder.operations.values import filter_value


async def delete(
    engine: AsyncEngine, catalog: Catalog, request: DeleteRequest, access: Permissions
) -> tuple[int, list[DexgateError]]:
    """Delete the matching rows; return how many were deleted and the errors of the rows that
    could not be (1317)."""
    entity = catalog.entity(request.alias)
    require(access, entity.alias, ("delete",))
    if not entity.is_deletable:
        raise MethodNotAllowedError(entity.alias)
    id_column = entity.identifier.column
    if request.identifier is not None:
        try:
            key = filter_value(entity.identifier, request.identifier, entity.alias)
        except DexgateError:
            raise EntityNotFoundError(entity.alias) from None
        where: list[sa.ColumnElement[bool]] = [id_column == key]
    elif has_condition(request.conditions):
        where = compile_conditions(entity, request.conditions)  # checks them first (DX101)
        if says_nothing(request.conditions):  # only filters like {"like": "%"}
            raise UnfilteredDeleteError(entity.alias)
    else:
        raise UnfilteredDeleteError(entity.alias)
    async with (
        translating(),
        write_transaction(engine) as connection,
        acting(connection, catalog, access.actor),
    ):
        keys = list((await connection.scalars(sa.select(id_column).where(*where))).all())
        if not keys:
            raise EntityNotFoundError(entity.alias)
        savepoint = await connection.begin_nested()
        try:
            async with translating():
                await connection.execute(sa.delete(entity.table).where(id_column.in_(keys)))
        except IntegrityProblemError:
            await savepoint.rollback()
        else:
            await savepoint.commit()
            await record_deleted(connection, access.actor, entity.alias, keys)
            return len(keys), []
        deleted, errors = await _delete_each(connection, catalog, entity, keys, access)
        await record_deleted(connection, access.actor, entity.alias, deleted)
        return len(deleted), errors


async def _delete_each(
    connection: AsyncConnection,
    catalog: Catalog,
    entity: Entity,
    keys: list[Any],
    access: Permissions,
) -> tuple[list[Any], list[DexgateError]]:
    """Delete row by row: the keys deleted, and the errors of the rows that could not be."""
    deleted: list[Any] = []
    errors: list[DexgateError] = []
    id_column = entity.identifier.column
    for key in keys:
        savepoint = await connection.begin_nested()
        try:
            async with translating():
                await connection.execute(sa.delete(entity.table).where(id_column == key))
        except IntegrityProblemError as problem:
            await savepoint.rollback()
            child = _child_alias(catalog, entity, problem.table, access)
            errors.append(
                DeleteForeignKeyError(f"{entity.alias}.{entity.identifier.name} = {key}", child)
            )
        else:
            await savepoint.commit()
            deleted.append(key)
    return deleted, errors


def _child_alias(
    catalog: Catalog, entity: Entity, table: str | None, access: Permissions
) -> str | None:
    """The alias of the entity whose rows refer to ``entity``'s (the database's ``table``, or
    the first registered one with a foreign key to it), when ``access`` may read it: a refusal
    names nothing the caller cannot see, and never a table."""
    for other in catalog.entities.values():
        if table is not None:
            refers = other.table_name == table
        else:
            refers = any(
                fk.column.table.name == entity.table.name for fk in other.table.foreign_keys
            )
        if refers and access.allows(other.alias, "read"):
            return other.alias
    if table is None:
        for relation in entity.relations.values():
            if relation.many and access.allows(relation.target, "read"):
                return relation.target
    return None
