"""The runtime tuning of app/runtime.py: what create_app installs, what the serving process
adds, and that the garbage collector keeps running while a GraphQL schema builds."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
from collections.abc import Iterator
from typing import Any

import graphql.type.definition as graphql_definition
import pytest
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.gateway import Gateway
from app.runtime import DEFERRED_FULL_THRESHOLD, Runtime, full_collections_deferred
from app.settings import Settings
from bench.schema_build import make
from schema_builder.catalog import build_catalog
from schema_builder.graphql.registry import SchemaRegistry
from tests.lifespan import lifespan


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """No frozen objects before and after the test (frozen objects are never collected)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_create_app_memoises_graphql_name_checks(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    module: Any = graphql_definition
    name_checks = importlib.import_module("graphql.type.assert_name")  # unmemoised originals
    monkeypatch.setattr(module, "assert_name", name_checks.assert_name)
    monkeypatch.setattr(module, "assert_enum_value_name", name_checks.assert_enum_value_name)

    create_app(settings)

    check = module.assert_name
    assert check.cache_info().currsize == 0
    assert check("Product") == "Product"
    assert check("Product") == "Product"
    assert check.cache_info().hits == 1
    for _ in range(2):  # an invalid name raises each time: exceptions are not cached
        with pytest.raises(GraphQLError, match="Names must only contain"):
            check("bad-name")
    assert module.assert_enum_value_name.cache_info().maxsize > 0


async def test_serving_process_freezes_the_startup_heap_once_the_lifespan_started(
    settings: Settings, engine: AsyncEngine, unfrozen: None
) -> None:
    app = create_app(settings, engine=engine, runtime=Runtime(freeze_startup_heap=True))
    assert gc.get_freeze_count() == 0
    async with lifespan(app):
        assert gc.get_freeze_count() > 10_000
        gateway: Gateway = app.state.gateway
        catalog = await gateway.registry.current()
        # The schema was built before the heap was frozen, not by the first request.
        assert gateway.schemas.last_build_seconds > 0
        schema, served = await gateway.schemas.serving(catalog)
        assert served is catalog
        assert gc.is_tracked(schema)


async def test_other_applications_freeze_nothing(
    settings: Settings, engine: AsyncEngine, unfrozen: None
) -> None:
    app = create_app(settings, engine=engine)
    async with lifespan(app):
        assert gc.get_freeze_count() == 0


async def test_collector_keeps_running_for_requests_while_a_schema_builds(
    gateway: Gateway,
) -> None:
    configurations, tables = make(200, 20)
    catalog = build_catalog(10_000, configurations, tables)
    before = gc.get_threshold()
    young_collections = gc.get_stats()[0]["collections"]
    seen: list[tuple[bool, tuple[int, int, int]]] = []

    build = asyncio.create_task(gateway.schemas.schema_for(catalog))
    while not build.done():
        # What a request served meanwhile on the event loop finds; it allocates as requests do.
        seen.append((gc.isenabled(), gc.get_threshold()))
        _garbage = [[i] for i in range(1_000)]
        await asyncio.sleep(0.002)
    await build

    during = [threshold for enabled, threshold in seen if threshold != before]
    assert during, "the build was watched while it ran"
    assert all(enabled for enabled, _ in seen)
    assert set(during) == {(before[0], before[1], DEFERRED_FULL_THRESHOLD)}
    assert gc.get_stats()[0]["collections"] > young_collections
    assert gc.get_threshold() == before


def test_overlapping_builds_restore_the_threshold_they_found() -> None:
    before = gc.get_threshold()
    first, second = full_collections_deferred(), full_collections_deferred()
    first.__enter__()
    second.__enter__()
    assert gc.get_threshold() == (before[0], before[1], DEFERRED_FULL_THRESHOLD)
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] == DEFERRED_FULL_THRESHOLD, "the second build still runs"
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


async def test_a_failed_build_restores_the_threshold_too() -> None:
    before = gc.get_threshold()
    configurations, tables = make(2, 3)
    catalog = build_catalog(1, configurations, tables)

    @contextlib.contextmanager
    def failing() -> Iterator[None]:
        with Runtime().schema_build():
            assert gc.get_threshold()[2] == DEFERRED_FULL_THRESHOLD
            yield
            raise RuntimeError("broken")

    with pytest.raises(RuntimeError, match="broken"):
        await SchemaRegistry(building=failing).schema_for(catalog)
    assert gc.isenabled()
    assert gc.get_threshold() == before
