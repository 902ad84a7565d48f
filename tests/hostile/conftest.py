"""A database per module and back end, shared by the tests of the module that write nothing (or
whose writes must be refused, which :func:`tests.hostile.support.unchanged` checks), so that
hundreds of hostile requests cost one database instead of one each. Tests that do write take
the function-scoped ``client`` of ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.database import create_engine
from app.settings import Settings
from tests.conftest import Templates, template_copy
from tests.lifespan import lifespan


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
async def shared_database_url(
    shared_backend: str, templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    directory = tmp_path_factory.mktemp("hostile")
    async with template_copy(shared_backend, templates, directory, "shared_") as url:
        yield url


@pytest.fixture(scope="module")
def shared_settings(shared_database_url: str) -> Settings:
    return Settings(database_url=shared_database_url, secret_key="test", catalog_check_interval=0)


@pytest.fixture(scope="module")
async def shared_engine(shared_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(shared_settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def shared_app(shared_settings: Settings, shared_engine: AsyncEngine) -> AsyncIterator[Any]:
    app = create_app(shared_settings, engine=shared_engine)
    async with lifespan(app):
        yield app


@pytest.fixture(scope="module")
async def shared_client(
    shared_app: Any, shared_backend: str, templates: Templates
) -> AsyncIterator[httpx.AsyncClient]:
    """The admin's client on the module's database."""
    key = templates.sqlite_key if shared_backend == "sqlite" else templates.postgres_key
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=shared_app),
        base_url="http://dexgate.test",
        headers={"Content-Type": "application/json", "X-Api-Key": key},
    ) as client:
        yield client
