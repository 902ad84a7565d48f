"""The heap of a serving process: what start-up built is moved out of the garbage collector's
sight once it is built.

A started gateway holds some hundred thousand long-lived objects (SQLAlchemy, the catalog, the
GraphQL schema). Under load, objects of the requests in flight survive the young collections
and pile up in the oldest generation, so a full collection runs every second or two; it walks
the whole heap, 50-80 ms during which no request is served: that was the 99th percentile of
latency. ``gc.freeze()`` after start-up leaves those objects out of every collection.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette

from app.gateway import Gateway


def settle_after_startup(app: Starlette) -> None:
    """Once ``app`` has started (and built the GraphQL schema of its catalog, which the first
    request would otherwise build), collect start-up's garbage and freeze the rest. For the
    serving process only: frozen objects are never collected."""
    startup = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(started: Any) -> AsyncIterator[Any]:
        async with startup(started) as state:
            gateway: Gateway = started.state.gateway
            catalog = await gateway.registry.current()
            # A schema that cannot be built is logged by the registry; requests report it.
            with contextlib.suppress(Exception):
                await gateway.schemas.serving(catalog)
            gc.collect()
            gc.freeze()
            yield state

    app.router.lifespan_context = lifespan
