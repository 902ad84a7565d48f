"""The entity registry: the current catalog, kept in step with the stored configurations.

Requests ask for :meth:`CatalogRegistry.current`, which returns the cached catalog and, at most
once per ``check_interval``, compares the stored catalog version with the cached one. A change
made through this registry is visible to the very next request; a change made by another
process is picked up by the next check. A rebuild happens under a lock while other requests keep
being served from the previous catalog, and a catalog that cannot be built never replaces the
working one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.audit import SYSTEM, record
from auth.transactions import write_transaction
from schema_builder.catalog import Catalog, build_catalog
from schema_builder.changefeed import triggers as capture
from schema_builder.checks import check_configurations
from schema_builder.definition import EntityConfiguration
from schema_builder.errors import ConfigurationError, Problem
from schema_builder.reflection import is_denied, list_tables, prefill, reflect_tables
from schema_builder.store import (
    CATALOG_CHANNEL,
    ApplyReport,
    delete_configuration,
    load_configurations,
    load_registry,
    read_version,
    save_configurations,
)

logger = logging.getLogger("dexgate.registry")


class CatalogRegistry:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        denied_tables: Sequence[str] = (),
        check_interval: float = 1.0,
    ) -> None:
        self.engine = engine
        self.denied_tables = tuple(denied_tables)
        self.check_interval = check_interval
        self._catalog: Catalog | None = None
        self._checked_at = 0.0
        self._stale = True
        self._lock = asyncio.Lock()
        self.last_error: Exception | None = None
        self._listener: AsyncConnection | None = None
        self._rebuilding: asyncio.Task[Catalog] | None = None

    async def start_listening(self) -> bool:
        """On PostgreSQL, hear about configuration changes of other processes at once
        (LISTEN/NOTIFY); the periodic version check stays as the fallback."""
        if self.engine.dialect.name != "postgresql" or self._listener is not None:
            return False
        connection = await self.engine.connect()
        try:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.add_listener(CATALOG_CHANNEL, self._on_notify)
        except Exception:
            await connection.close()
            logger.exception("LISTEN %s failed; relying on the periodic check", CATALOG_CHANNEL)
            return False
        self._listener = connection
        return True

    @property
    def listening(self) -> bool:
        return self._listener is not None

    async def stop_listening(self) -> None:
        if self._rebuilding is not None:
            self._rebuilding.cancel()
            self._rebuilding = None
        if self._listener is not None:
            connection, self._listener = self._listener, None
            await connection.close()

    def _on_notify(self, *_args: object) -> None:
        # A flag, not a reset of _checked_at: on a freshly booted machine the monotonic clock
        # may itself be smaller than the check interval.
        self._stale = True
        # Rebuild now rather than on the next request; requests that arrive meanwhile wait
        # for it (see current), so none is served a catalog older than the notification.
        if self._rebuilding is None or self._rebuilding.done():
            self._rebuilding = asyncio.get_running_loop().create_task(self._rebuild())
            self._rebuilding.add_done_callback(_report_failure)

    async def _rebuild(self) -> Catalog:
        async with self._lock:
            if self._stale or self._catalog is None:
                await self._check(force=self._catalog is None)
        assert self._catalog is not None
        return self._catalog

    async def current(self) -> Catalog:
        """The catalog to serve this request with."""
        rebuilding = self._rebuilding
        if rebuilding is not None and not rebuilding.done():
            # A failed rebuild is logged by _report_failure; then serve what there is.
            with contextlib.suppress(Exception):
                return await asyncio.shield(rebuilding)
        catalog = self._catalog
        if catalog is None:
            return await self.refresh()
        # A check under way (another request's, or a background task's such as the webhook
        # worker's) is waited for, not skipped: a change committed before this request must
        # be served by it once the interval has passed.
        if not self._stale and time.monotonic() - self._checked_at < self.check_interval:
            return catalog
        async with self._lock:
            if self._stale or time.monotonic() - self._checked_at >= self.check_interval:
                await self._check()
        return self._catalog or catalog

    async def refresh(self) -> Catalog:
        """Rebuild the catalog from the database now, whatever the cached version."""
        async with self._lock:
            await self._check(force=True)
        assert self._catalog is not None
        return self._catalog

    async def _check(self, *, force: bool = False) -> None:
        self._checked_at = time.monotonic()
        self._stale = False
        async with self.engine.connect() as connection:
            version = await read_version(connection)
            if not force and self._catalog is not None and self._catalog.version == version:
                return
            try:
                configurations, unreadable = await load_registry(connection)
                names = [c.table_name for c in configurations if c.is_active]
                tables = await connection.run_sync(lambda sync: reflect_tables(sync, names))
                catalog = build_catalog(
                    version,
                    configurations,
                    tables,
                    sqlite=self.engine.dialect.name == "sqlite",
                )
                if unreadable:
                    catalog = dataclasses.replace(
                        catalog, problems=(*unreadable, *catalog.problems)
                    )
            except Exception as exc:
                if self._catalog is None:
                    raise
                self.last_error = exc
                logger.exception(
                    "Catalog version %s could not be built; keeping the last one", version
                )
                return
        for problem in catalog.problems:
            logger.warning("Entity left out of the catalog: %s", problem)
        self._catalog = catalog
        self.last_error = None

    async def configurations(self) -> list[EntityConfiguration]:
        async with self.engine.connect() as connection:
            return await load_configurations(connection)

    async def stored(self) -> tuple[list[EntityConfiguration], list[Problem]]:
        """The stored configurations that can be read, and the problems of the others."""
        async with self.engine.connect() as connection:
            return await load_registry(connection)

    async def apply(
        self,
        configurations: Sequence[EntityConfiguration],
        *,
        prune: bool = False,
        actor: str = SYSTEM,
    ) -> ApplyReport:
        """Validate the registry that would result and save it, recording each change in the
        audit log for ``actor``; the new catalog serves next."""
        async with write_transaction(self.engine) as connection:
            stored = {c.alias: c for c in await load_configurations(connection)}
            alias_by_table = {c.table_name: alias for alias, c in stored.items()}
            # An entry replaces the stored one save_configurations matches: by alias, then table.
            replaced = {
                c.alias if c.alias in stored else alias_by_table.get(c.table_name)
                for c in configurations
            }
            kept = [
                (c if not prune or not c.is_active else _deactivated(c))
                for alias, c in stored.items()
                if alias not in replaced
            ]
            resulting = [*kept, *configurations]
            names = [c.table_name for c in resulting]
            tables = await connection.run_sync(lambda sync: reflect_tables(sync, names))
            check_configurations(resulting, tables, self.denied_tables)
            report = await save_configurations(connection, configurations, prune=prune)
            await _record_changes(connection, actor, report, configurations)
            # Every apply, changed or not: the triggers are part of what it makes match.
            if not _commits_ddl(connection):
                await capture.sync_triggers(connection, await load_configurations(connection))
        if _commits_ddl_engine(self.engine):
            await self.sync_triggers()
        await self.refresh()
        return report

    async def sync_triggers(self) -> None:
        """Make the change feed's triggers those of the stored configurations (see
        :mod:`schema_builder.changefeed.triggers`); idempotent."""
        async with write_transaction(self.engine) as connection:
            await capture.sync_triggers(connection, await load_configurations(connection))

    async def add(self, config: EntityConfiguration, *, actor: str = SYSTEM) -> ApplyReport:
        """Register a new entity: refused (nothing written) when its table or alias is
        registered already, since :meth:`apply` would replace that configuration."""
        for stored in await self.configurations():
            if stored.table_name == config.table_name or stored.alias == config.alias:
                raise ConfigurationError(
                    [
                        Problem(
                            config.alias,
                            f"Table `{stored.table_name}` is registered already, as "
                            f"`{stored.alias}`."
                            if stored.table_name == config.table_name
                            else f"The alias is registered already, for table "
                            f"`{stored.table_name}`.",
                            fix="Change a registered entity with `dexgate entities apply`, "
                            "or remove it first.",
                        )
                    ]
                )
        return await self.apply([config], actor=actor)

    async def remove(self, alias: str, *, actor: str = SYSTEM) -> bool:
        async with write_transaction(self.engine) as connection:
            configurations = await load_configurations(connection)
            referring = [
                c.alias
                for c in configurations
                if c.alias != alias and any(r.target == alias for r in c.relations)
            ]
            removed = await delete_configuration(connection, alias)
            if removed:
                await record(connection, actor, "entity.delete", entity=alias)
                if not _commits_ddl(connection):
                    await capture.sync_triggers(connection, await load_configurations(connection))
        if removed and _commits_ddl_engine(self.engine):
            await self.sync_triggers()
        if referring:
            logger.info("Relations of %s to %s removed with it", ", ".join(referring), alias)
        await self.refresh()
        return removed

    async def prefill(self, table_name: str, alias: str | None = None) -> EntityConfiguration:
        """A configuration pre-filled from the table's columns (not saved)."""
        if is_denied(table_name, self.denied_tables):
            raise ConfigurationError(
                [Problem(alias or table_name, f"Table `{table_name}` may not be exposed.")]
            )
        async with self.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: reflect_tables(sync, [table_name]))
        if table_name not in tables:
            raise ConfigurationError(
                [
                    Problem(
                        alias or table_name, f"Table `{table_name}` does not exist in the database."
                    )
                ]
            )
        return prefill(tables[table_name], alias)

    async def available_tables(self) -> list[str]:
        """Tables that exist, are not denied and are not registered yet."""
        async with self.engine.connect() as connection:
            names = await connection.run_sync(list_tables)
            registered = {c.table_name for c in await load_configurations(connection)}
        return [n for n in names if n not in registered and not is_denied(n, self.denied_tables)]


async def _record_changes(
    connection: AsyncConnection,
    actor: str,
    report: ApplyReport,
    configurations: Sequence[EntityConfiguration],
) -> None:
    by_alias = {c.alias: c for c in configurations}
    for action, aliases in (
        ("entity.create", report.created),
        ("entity.update", report.updated),
        ("entity.deactivate", report.deactivated),
    ):
        for alias in aliases:
            config = by_alias.get(alias)
            detail = (
                None if config is None else {"table": config.table_name, "active": config.is_active}
            )
            await record(connection, actor, action, entity=alias, detail=detail)


def _commits_ddl(connection: AsyncConnection) -> bool:
    """MariaDB and MySQL commit the open transaction at every CREATE or DROP TRIGGER: there,
    triggers are changed after the configuration's transaction, in one of their own."""
    return connection.dialect.name in ("mysql", "mariadb")


def _commits_ddl_engine(engine: AsyncEngine) -> bool:
    return engine.dialect.name in ("mysql", "mariadb")


def _report_failure(task: asyncio.Task[Catalog]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("Rebuilding the catalog after a notification failed: %s", task.exception())


def _deactivated(config: EntityConfiguration) -> EntityConfiguration:
    return dataclasses.replace(config, is_active=False)
