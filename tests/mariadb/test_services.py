"""What surrounds the data on MariaDB: configuration changes reaching other processes by the
periodic check (MariaDB has no LISTEN/NOTIFY), password logins and tokens, the audit log,
export and import, and the readiness check."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.settings import Settings
from auth import store
from auth.permissions import ADMIN_ROLE
from tests.lifespan import lifespan
from tests.mariadb.cli import ok
from tests.test_catalog_notify import _deactivate_countries_elsewhere

CHECK_INTERVAL = 0.5


async def test_a_change_by_another_process_is_served_after_the_check_interval(
    settings: Settings, admin_key: str
) -> None:
    app = create_app(replace(settings, catalog_check_interval=CHECK_INTERVAL))
    async with (
        lifespan(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://dexgate.test",
            headers={"X-Api-Key": admin_key},
        ) as client,
    ):
        assert (await client.get("/dynamic-entity/countries")).status_code == 200
        assert not app.state.gateway.registry.listening
        await _deactivate_countries_elsewhere(settings)
        await asyncio.sleep(CHECK_INTERVAL + 0.2)
        response = await client.get("/dynamic-entity/countries")
    assert response.status_code == 404


async def test_a_password_login_gives_tokens_that_read_and_refresh(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await store.create_user(engine, "alice", "a long enough password", [ADMIN_ROLE])

    login = await anonymous.post(
        "/token",
        data={"grant_type": "password", "username": "alice", "password": "a long enough password"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert login.status_code == 200, login.text
    tokens = login.json()
    read = await anonymous.get(
        "/dynamic-entity/countries",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert read.status_code == 200
    refreshed = await anonymous.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert refreshed.status_code == 200, refreshed.text
    reused = await anonymous.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reused.status_code == 400


async def test_writes_are_recorded_in_the_audit_log(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = await client.post(
        "/dynamic-entity/countries",
        json={"data": [{"iso2_code": "XX", "iso3_code": "XXX", "name": "Nowhere"}]},
    )
    key = created.json()["data"][0]["id_country"]

    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.text(
                    "SELECT actor, action, entity, identifiers FROM dexgate_audit_log"
                    " WHERE entity = 'countries' AND actor <> 'system'"
                )
            )
        ).all()
    assert len(rows) == 1
    actor, action, entity, identifiers = rows[0]
    assert (actor, action, entity) == ("apikey:test-admin", "create", "countries")
    assert json.loads(identifiers) == [key]


async def test_export_and_import_through_the_command_line(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    exported = ok(database_url, "export", "countries", "--format", "csv").splitlines()
    assert exported[0] == "id_country,iso2_code,iso3_code,name"
    assert len(exported) == 11
    records = tmp_path / "new.csv"
    records.write_text("iso2_code,iso3_code,name\nXX,XXX,Nowhere\nXY,XXY,Elsewhere\n")

    ok(database_url, "import", "countries", str(records))

    async with engine.connect() as connection:
        names = (
            await connection.execute(sa.text("SELECT name FROM country WHERE iso2_code LIKE 'X%'"))
        ).scalars()
        assert sorted(names) == ["Elsewhere", "Nowhere"]


async def test_the_readiness_check_names_the_database(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["database"]["dialect"] in ("mysql", "mariadb")
    assert response.json()["database"]["status"] == "ok"
