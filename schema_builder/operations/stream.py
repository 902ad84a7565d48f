"""Streaming a whole table: pages read by keyset, for exports of any size in flat memory.

Each page is ``WHERE <filters> AND identifier > <last identifier of the previous page> ORDER BY
identifier LIMIT n``: the statement a list request compiles, with the same columns, filters,
permission check, shaping and included relationships, so every page costs the same however deep
into the table it is (an OFFSET would rescan every row before it). All pages are read on one
connection in one transaction — REPEATABLE READ on PostgreSQL and MariaDB, SQLite's read
transaction — so the stream is one consistent snapshot of the table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.permissions import Permissions
from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import InvalidQueryParameterError
from schema_builder.mysql_types import is_mysql
from schema_builder.operations.access import require_read
from schema_builder.operations.db_errors import translating
from schema_builder.operations.filters import compile_conditions
from schema_builder.operations.ir import Include, ReadRequest
from schema_builder.operations.rows import Row, check_includes, select_columns, shape_rows

DEFAULT_PAGE_SIZE = 1000


@asynccontextmanager
async def stream_rows(
    engine: AsyncEngine,
    catalog: Catalog,
    request: ReadRequest,
    access: Permissions,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> AsyncIterator[AsyncIterator[list[Row]]]:
    """Open a stream of the rows ``request`` selects, ordered by the identifier, in pages.

    ``async with stream_rows(...) as pages: async for page in pages: ...``. Everything a list
    request checks is checked on entering, before any SQL runs: 007 for an unknown alias, 1313
    for an unknown include, DX122 without ``read`` on every entity reached, DX101/1315 for bad
    filters. The stream is ordered by the identifier, so ``sort``, ``offset``, ``limit`` and
    ``count`` must be left unset (DX100 otherwise)."""
    if page_size < 1:
        raise ValueError(f"page_size must be positive, got {page_size}")
    entity = catalog.entity(request.alias)
    if request.sort or request.offset or request.limit is not None or request.count:
        raise InvalidQueryParameterError(
            "A stream is ordered by the identifier and reads every matching row: "
            "sort, offset, limit and count do not apply."
        )
    check_includes(catalog, entity, request.include)
    require_read(access, catalog, entity, request.include)
    where = compile_conditions(entity, request.conditions)
    key = entity.identifier.column
    first = (
        sa.select(*select_columns(entity, request.include))
        .where(*where)
        .order_by(key.asc())
        .limit(page_size)
    )
    async with translating():
        connection = await engine.connect()
    try:
        if connection.dialect.name == "postgresql" or is_mysql(connection.dialect):
            await connection.execution_options(isolation_level="REPEATABLE READ")
        # Database errors are translated where the pages are read, not around the caller's
        # block: an OSError of the caller's own (a closed pipe) is no database outage.
        yield _pages(connection, catalog, entity, first, request.include, page_size)
    finally:
        await connection.close()


async def _pages(
    connection: AsyncConnection,
    catalog: Catalog,
    entity: Entity,
    first: sa.Select[Any],
    includes: tuple[Include, ...],
    page_size: int,
) -> AsyncIterator[list[Row]]:
    key = entity.identifier.column
    position = entity.fields.index(entity.identifier)
    statement = first
    while True:
        async with translating():
            rows = (await connection.execute(statement)).all()
            page = await shape_rows(connection, catalog, entity, rows, includes) if rows else []
        if page:
            yield page
        if len(rows) < page_size:
            return
        statement = first.where(key > rows[-1][position])
