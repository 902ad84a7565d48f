"""A configuration change made by another process reaches a running server: at once on
PostgreSQL (LISTEN/NOTIFY), at the next periodic check on SQLite."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx

from app.application import create_app
from app.database import create_engine
from app.settings import Settings
from schema_builder.definition import EntityConfiguration
from schema_builder.registry import CatalogRegistry
from tests.lifespan import lifespan


async def _deactivate_countries_elsewhere(settings: Settings) -> None:
    """What `dexgate entities apply` run in another process does."""
    engine = create_engine(settings)
    try:
        registry = CatalogRegistry(engine, denied_tables=settings.denied_tables)
        configurations = await registry.configurations()
        countries = next(c for c in configurations if c.alias == "countries")
        changed = EntityConfiguration(
            countries.table_name, countries.alias, False, countries.definition, countries.relations
        )
        await registry.apply([changed])
    finally:
        await engine.dispose()


async def test_change_by_another_process_is_served_without_waiting_for_the_check_interval(
    settings: Settings, backend: str, admin_key: str
) -> None:
    slow_checks = replace(settings, catalog_check_interval=3600)
    app = create_app(slow_checks)
    async with lifespan(app):
        listening = app.state.gateway.registry.listening
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://dexgate.test",
            headers={"X-Api-Key": admin_key},
        ) as client:
            assert (await client.get("/dynamic-entity/countries")).status_code == 200
            await _deactivate_countries_elsewhere(settings)
            statuses = []
            for _ in range(50):
                statuses.append((await client.get("/dynamic-entity/countries")).status_code)
                if statuses[-1] == 404:
                    break
                await asyncio.sleep(0.02)
    if backend == "postgresql":
        assert listening
        assert statuses[-1] == 404
    else:
        # SQLite has no notifications: with an hour between checks the old catalog still serves.
        assert not listening
        assert set(statuses) == {200}
