"""The composition root: ``create_app(settings)`` wires settings, engine, registry and routes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import admin, change_feed, health, openapi, page_security, redaction, token
from app.database import create_engine, create_read_engine, create_read_pool
from app.dispatch import ApiDispatch
from app.errors import handle_dexgate_error, handle_http_exception, handle_unexpected
from app.gateway import Gateway
from app.graphql import endpoint as graphql
from app.graphql import graphiql
from app.graphql.service import GraphQLService
from app.guard import RequestGuard
from app.page_security import PageHeaders
from app.rate_limit import RateLimiter
from app.responses import JSONResponse
from app.rest import endpoints as rest
from app.runtime import Runtime
from app.security import AuthenticationMiddleware
from app.settings import Settings
from app.webhooks import delivery_worker
from auth import store
from auth.authenticator import Authenticator
from auth.counters import RedisCounters, open_counters
from auth.oauth import Lifetimes, TokenService
from auth.principal import Principal
from auth.throttle import LoginThrottle
from auth.tokens import TokenSigner
from auth.usage import UsageRecorder
from schema_builder.changefeed.feed import ChangeFeed
from schema_builder.changefeed.retention import Pruner
from schema_builder.errors import DexgateError
from schema_builder.graphql.registry import SchemaRegistry
from schema_builder.operations.aggregates.operation import Aggregator
from schema_builder.operations.reads.reader import Reader
from schema_builder.registry import CatalogRegistry
from schema_builder.webhooks.retention import prune_delivered


async def index(request: Request) -> Response:
    """Where things are; the entities the caller may read when it sent credentials. Absolute
    URLs when ``DEXGATE_PUBLIC_URL`` is set, else paths."""
    gateway: Gateway = request.app.state.gateway
    # From the configured public URL, or paths: never from the request's Host header.
    base = gateway.settings.public_url
    body: dict[str, object] = {
        "name": "dexgate",
        "token": f"{base}/token",
        "graphql": f"{base}/graphql",
    }
    principal: Principal | None = request.state.principal
    if principal is not None:
        catalog = await gateway.registry.current()
        body["entities"] = {
            alias: f"{base}/dynamic-entity/{alias}"
            for alias in principal.permissions.readable(sorted(catalog.entities))
        }
    return JSONResponse(body)


def create_app(
    settings: Settings, *, engine: AsyncEngine | None = None, runtime: Runtime | None = None
) -> Starlette:
    """The ASGI application. The engine is created at startup unless one is given (its
    statements then carry no ``statement_timeout`` unless it was created with one). ``runtime``
    is its runtime tuning (app/runtime.py); a serving process passes the one that freezes the
    start-up heap."""
    runtime = runtime or Runtime()
    runtime.install()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_engine = engine is None
        db = (
            engine
            if engine is not None
            else create_engine(settings, statement_timeout=settings.request_timeout)
        )
        registry = CatalogRegistry(
            db,
            denied_tables=settings.denied_tables,
            check_interval=settings.catalog_check_interval,
        )
        try:
            await registry.refresh()
        except sa.exc.DBAPIError as exc:
            raise RuntimeError(
                "dexgate cannot load its entity registry. If its tables are missing, run "
                f"`dexgate migrate` first. ({exc.orig})"
            ) from exc
        await registry.start_listening()
        reader = create_read_engine(db)
        read_pool = create_read_pool(db, settings)
        signer = TokenSigner(settings.secret_key or await store.signing_secret(db))
        counters = open_counters(settings.redis_url, settings.redis_prefix)
        if isinstance(counters, RedisCounters):
            await counters.ping()  # logs a warning when Redis does not answer
        usage = UsageRecorder(db, interval=settings.usage_write_interval)
        usage.start()
        pruner = Pruner(
            db,
            retention=settings.event_retention,
            interval=settings.event_prune_interval,
            also=(prune_delivered,),
        )
        pruner.start()
        deliveries = await delivery_worker(db, settings, registry)
        if settings.webhook_delivery:
            deliveries.start()
        app.state.gateway = Gateway(
            settings,
            db,
            registry,
            reader,
            SchemaRegistry(building=runtime.schema_build),
            Authenticator(db, signer, usage, cache_seconds=settings.auth_cache_seconds),
            TokenService(
                db,
                signer,
                Lifetimes(settings.access_token_ttl, settings.refresh_token_ttl),
                LoginThrottle(
                    settings.login_max_failures, settings.login_window, counters=counters
                ),
                usage,
            ),
            RateLimiter(
                counters,
                per_principal=settings.rate_limit,
                per_address=settings.rate_limit_anonymous,
            ),
            Reader(reader, read_pool),
            GraphQLService.of(settings),
            Aggregator(reader),
            ChangeFeed(db),
        )
        await runtime.started(app.state.gateway)
        try:
            yield
        finally:
            await app.state.gateway.feed.watch.aclose()
            await deliveries.stop()
            await pruner.stop()
            await usage.stop()  # with a final write of the uses noted since the last one
            await registry.stop_listening()
            await counters.close()
            if read_pool is not None:
                await read_pool.close()
            if own_engine:
                await db.dispose()

    return Starlette(
        # The router tries routes in order: the APIs first, so that their requests do not
        # walk past every Back Office route. No two routes match the same path, except
        # openapi's under /dynamic-entity, which must come before rest's.
        routes=[
            *graphql.routes,
            *openapi.routes(),
            *rest.routes,
            *change_feed.routes,
            Route("/", index),
            *health.routes,
            *token.routes,
            *graphiql.routes,
            *admin.routes,
            *page_security.routes,
        ],
        exception_handlers={
            DexgateError: handle_dexgate_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        middleware=_middleware(settings),
        lifespan=lifespan,
    )


def _middleware(settings: Settings) -> list[Middleware]:
    stack = [
        Middleware(
            RequestGuard,
            max_body_size=settings.max_body_size,
            timeout=settings.request_timeout,
        ),
        Middleware(AuthenticationMiddleware),
        Middleware(PageHeaders),
        # Innermost: the API's requests go straight to their endpoints (see app.dispatch).
        Middleware(ApiDispatch),
    ]
    if settings.cors_origins:
        # Outermost, so that preflight requests and refusals carry the CORS headers too.
        stack.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "X-Api-Key", "X-Is-Transactional"],
                expose_headers=["X-Total-Count"],
            ),
        )
    return stack


def create_app_from_env() -> Starlette:
    """Factory for uvicorn: ``uvicorn --factory app.application:create_app_from_env``."""
    redaction.install()
    return create_app(Settings.from_env(), runtime=Runtime(freeze_startup_heap=True))
