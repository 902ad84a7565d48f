"""``GET /health/live`` (the process answers; no database) and ``GET /health/ready`` (the
database answers within a short timeout and the catalog is loaded), both without credentials."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.settings import Settings
from tests.reliability.conftest import serving


async def test_live_answers_without_credentials_and_without_the_database(
    settings: Settings, admin_key: str
) -> None:
    async with serving(settings, admin_key) as server:
        response = await server.anonymous.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_the_database_and_the_catalog_without_credentials(
    settings: Settings, admin_key: str, backend: str
) -> None:
    async with serving(settings, admin_key) as server:
        response = await server.anonymous.get("/health/ready")
        version = (await server.gateway.registry.current()).version

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["dialect"] == backend
    assert isinstance(body["database"]["latencyMs"], float)
    assert body["catalog"] == {
        "status": "ok",
        "version": version,
        "entities": 4,
        "listening": backend == "postgresql",
        "leftOut": [],
    }
    assert "Retry-After" not in response.headers


async def test_a_bad_stored_configuration_does_not_stop_the_server_from_starting(
    settings: Settings, admin_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Saved before the checks caught it (or edited in the database): the server starts,
    serves the other entities, and names the bad one in the log, /health/ready and the Back
    Office."""
    engine = create_async_engine(settings.database_url)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "UPDATE dexgate_entity_configuration SET table_alias = 'a<b>' "
                "WHERE table_alias = 'categories'"
            )
        )
    await engine.dispose()
    caplog.set_level(logging.WARNING, logger="dexgate.registry")

    async with serving(settings, admin_key) as server:
        ready = await server.anonymous.get("/health/ready")
        served = await server.client.get("/dynamic-entity/countries")
        page = await server.client.get("/admin/entities")

    assert ready.status_code == 200
    assert "a<b>" in ready.json()["catalog"]["leftOut"]
    assert served.status_code == 200
    assert page.status_code == 200
    assert "a&lt;b&gt;.tableAlias: Alias `a&lt;b&gt;` is invalid." in page.text
    assert any("a<b>" in record.getMessage() for record in caplog.records)
