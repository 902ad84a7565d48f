"""The webhook delivery worker of a process, built from the settings (``dexgate serve`` in
its lifespan, ``dexgate deliver`` alone)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from auth import store
from schema_builder.registry import CatalogRegistry
from schema_builder.webhooks.secrets import SecretBox
from schema_builder.webhooks.worker import DeliveryOptions, DeliveryWorker


def options_of(settings: Settings) -> DeliveryOptions:
    return DeliveryOptions(
        timeout=settings.webhook_timeout,
        horizon=settings.webhook_retry_horizon,
        allow_private=settings.webhook_allow_private,
    )


async def delivery_worker(
    engine: AsyncEngine, settings: Settings, registry: CatalogRegistry | None = None
) -> DeliveryWorker:
    """A worker (not started) sharing ``registry``, or with a registry of its own."""
    if registry is None:
        registry = CatalogRegistry(
            engine,
            denied_tables=settings.denied_tables,
            check_interval=settings.catalog_check_interval,
        )
        await registry.refresh()
    box = SecretBox(settings.secret_key or await store.signing_secret(engine))
    return DeliveryWorker(engine, registry, box, options_of(settings))
