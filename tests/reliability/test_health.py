"""``GET /health/live`` (the process answers; no database) and ``GET /health/ready`` (the
database answers within a short timeout and the catalog is loaded), both without credentials."""

from __future__ import annotations

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
    }
    assert "Retry-After" not in response.headers
