"""The GraphQL schema of the current catalog, cached per catalog version and swapped whole.

The first request that sees a new catalog version builds its schema in a worker thread and
waits for it; requests arriving meanwhile keep being served by the previous schema. A catalog
whose schema fails to build leaves the last good schema serving, and the failure is logged and
kept in ``last_error``. How the garbage collector behaves during a build is the application's
runtime tuning (``app/runtime.py``), handed in as ``building``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from graphql import GraphQLSchema, validate_schema

from schema_builder.catalog import Catalog
from schema_builder.graphql.schema import build_schema

logger = logging.getLogger("dexgate.graphql")


class SchemaBuildError(Exception):
    """The generated schema is invalid (a bug or a configuration the checks let through)."""


def build_valid_schema(catalog: Catalog) -> GraphQLSchema:
    """The schema of ``catalog``, validated."""
    schema = build_schema(catalog)
    errors = validate_schema(schema)
    if errors:
        raise SchemaBuildError("; ".join(e.message for e in errors))
    return schema


class SchemaRegistry:
    """``building`` surrounds each build (in the worker thread that runs it)."""

    def __init__(
        self,
        building: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> None:
        self._building = building
        self._schema: GraphQLSchema | None = None
        self._catalog: Catalog | None = None
        self._version: int | None = None
        self._failed_version: int | None = None
        self._lock = asyncio.Lock()
        self.last_error: Exception | None = None
        self.last_build_seconds = 0.0

    async def schema_for(self, catalog: Catalog) -> GraphQLSchema:
        """The schema serving ``catalog`` (or the last good one while it is built or if it
        cannot be built)."""
        if self._version == catalog.version and self._schema is not None:
            return self._schema
        if self._failed_version == catalog.version and self._schema is not None:
            return self._schema
        if self._lock.locked() and self._schema is not None:
            return self._schema
        async with self._lock:
            if self._version != catalog.version and self._failed_version != catalog.version:
                started = time.perf_counter()
                try:
                    schema = await asyncio.to_thread(self._build, catalog)
                except Exception as exc:
                    self._failed_version = catalog.version
                    self.last_error = exc
                    logger.exception(
                        "GraphQL schema for catalog version %s failed to build", catalog.version
                    )
                    if self._schema is None:
                        raise
                else:
                    self._schema, self._catalog = schema, catalog
                    self._version = catalog.version
                    self.last_error = None
                    self.last_build_seconds = time.perf_counter() - started
        assert self._schema is not None
        return self._schema

    def _build(self, catalog: Catalog) -> GraphQLSchema:
        with self._building():
            return build_valid_schema(catalog)

    async def serving(self, catalog: Catalog) -> tuple[GraphQLSchema, Catalog]:
        """The schema serving ``catalog`` and the catalog it was built from, which its
        resolvers must use: ``catalog`` itself, or the last good one while a newer schema is
        built or when it cannot be built (a renamed field is still read by its old name)."""
        schema = await self.schema_for(catalog)
        assert self._catalog is not None
        return schema, self._catalog
