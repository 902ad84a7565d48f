"""Health probes, open without credentials (see app.security.protection).

``GET /health/live`` says the process answers; it touches nothing else, so a database outage
does not get the process restarted. ``GET /health/ready`` says whether it can serve: the
database answers ``SELECT 1`` within :data:`READY_TIMEOUT` seconds, the catalog is loaded and
its GraphQL schema built. Both answers carry the details; not ready is 503 ``DX503`` with
``Retry-After``, so that a load balancer sends the traffic elsewhere meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.errors import RETRY_AFTER
from app.gateway import Gateway
from app.responses import JSONResponse
from schema_builder.errors import ServiceUnavailableError
from schema_builder.operations.db_errors import infrastructure_error

READY_TIMEOUT = 2.0

logger = logging.getLogger("dexgate.health")


async def live(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    timeout = min(READY_TIMEOUT, gateway.settings.request_timeout)
    database = await _database(gateway.engine, timeout)
    catalog: dict[str, Any] = {"status": "unknown"}
    if database["status"] == "ok":
        catalog = await _catalog(gateway, timeout)
    if database["status"] == "ok" and catalog["status"] == "ok":
        return JSONResponse({"status": "ok", "database": database, "catalog": catalog})
    return JSONResponse(
        {
            "status": "unavailable",
            "code": ServiceUnavailableError.code,
            "database": database,
            "catalog": catalog,
        },
        status_code=ServiceUnavailableError.status,
        headers={"Retry-After": RETRY_AFTER},
    )


async def _database(engine: AsyncEngine, seconds: float) -> dict[str, Any]:
    started = time.perf_counter()
    dialect = engine.dialect
    # SQLAlchemy names a MariaDB server's dialect "mysql" when the URL says mysql+asyncmy://
    name = "mariadb" if getattr(dialect, "is_mariadb", False) else dialect.name
    found: dict[str, Any] = {"dialect": name}
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return {"status": "unavailable", **found, "error": _reason(exc, seconds)}
    latency = round((time.perf_counter() - started) * 1000, 3)
    return {"status": "ok", **found, "latencyMs": latency}


async def _catalog(gateway: Gateway, seconds: float) -> dict[str, Any]:
    try:
        async with asyncio.timeout(seconds):
            catalog = await gateway.registry.current()
        _schema, served = await gateway.schemas.serving(catalog)
    except Exception as exc:
        return {"status": "unavailable", "error": _reason(exc, seconds)}
    return {
        "status": "ok",
        "version": served.version,
        "entities": len(served.entities),
        "listening": gateway.registry.listening,
        # Entities left out (a stored configuration that cannot be read, a table gone): the
        # process serves the others and names these (why is in the log and the Back Office).
        "leftOut": sorted({p.entity for p in catalog.problems}),
    }


def _reason(exc: Exception, timeout: float) -> str:
    """Why, without the driver's text (an open endpoint tells no host names or paths)."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    failure = infrastructure_error(exc)
    if failure is None:
        logger.error("Readiness check failed", exc_info=exc)
        return "unexpected error (logged)"
    return failure.message


routes = [
    Route("/health/live", live, methods=["GET"]),
    Route("/health/ready", ready, methods=["GET"]),
]
