"""Webhooks in the Back Office: created from a form (the secret shown once), listed, disabled,
enabled and deleted; a refused URL or an entity without its change feed saves nothing."""

from __future__ import annotations

import dataclasses
import re

import httpx
import pytest

from app.gateway import Gateway
from app.settings import Settings
from schema_builder.webhooks import store
from tests.admin.conftest import csrf_of


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test",
        catalog_check_interval=0,
        auth_cache_seconds=0,
        webhook_allow_private=True,
        webhook_delivery=False,
    )


async def test_a_webhook_is_created_listed_switched_and_deleted(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    page = await admin.get("/admin/webhooks")
    assert page.status_code == 200
    assert "No entity has its change feed on" in page.text
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    await gateway.registry.apply([dataclasses.replace(stored["products"], change_feed=True)])
    page = await admin.get("/admin/webhooks")
    csrf = csrf_of(page)
    assert '<option value="products">' in page.text
    assert '<option value="categories">' not in page.text
    form = {
        "csrf_token": csrf,
        "name": "erp",
        "url": "ftp://erp.example/hook",
        "entities": "products",
        "events": ["create", "update"],
    }
    refused = await admin.post("/admin/webhooks", data=form)
    assert refused.status_code == 400
    assert "http:// or https://" in refused.text
    assert await store.webhooks(gateway.engine) == []
    created = await admin.post("/admin/webhooks", data={**form, "url": "http://127.0.0.1:9/hook"})
    assert created.status_code == 200, created.text
    shown = re.findall(r"whsec_[A-Za-z0-9+/=]+", created.text)
    assert len(shown) == 1
    [hook] = await store.webhooks(gateway.engine)
    assert (hook.name, hook.entities, hook.operations) == (
        "erp",
        ("products",),
        ("create", "update"),
    )
    listed = await admin.get("/admin/webhooks")
    assert "whsec_" not in listed.text
    assert "http://127.0.0.1:9/hook" in listed.text
    disabled = await admin.post("/admin/webhooks/disable", data={"csrf_token": csrf, "name": "erp"})
    assert disabled.status_code == 303
    assert not (await store.webhooks(gateway.engine))[0].active
    await admin.post("/admin/webhooks/enable", data={"csrf_token": csrf, "name": "erp"})
    assert (await store.webhooks(gateway.engine))[0].active
    deleted = await admin.post("/admin/webhooks/delete", data={"csrf_token": csrf, "name": "erp"})
    assert deleted.status_code == 303
    assert await store.webhooks(gateway.engine) == []
    missing = await admin.post("/admin/webhooks/delete", data={"csrf_token": csrf, "name": "erp"})
    assert missing.status_code == 404
