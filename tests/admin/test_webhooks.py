"""Webhooks in the Back Office: created from a form (the secret shown once), listed, disabled,
enabled and deleted; a refused URL or an entity without its change feed saves nothing."""

from __future__ import annotations

import dataclasses
import re

import httpx
import pytest

from app.gateway import Gateway
from app.settings import Settings
from app.webhooks import delivery_worker
from schema_builder.changefeed.feed import newest_position
from schema_builder.webhooks import store
from tests.admin.conftest import csrf_of
from tests.webhooks.receiver import Answer, running_receiver


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


async def test_a_webhooks_deliveries_are_listed_and_a_failed_one_sent_again(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    gateway: Gateway,
    settings: Settings,
) -> None:
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    await gateway.registry.apply([dataclasses.replace(stored["products"], change_feed=True)])
    worker = await delivery_worker(gateway.engine, settings, gateway.registry)
    async with running_receiver() as receiver, gateway.engine.connect() as connection:
        start = {"products": await newest_position(connection, "products")}
        receiver.secret = await store.create(
            gateway.engine, worker.box, "erp", receiver.url, ["products"], start=start, actor="t"
        )
        for product, name in ((1, "First"), (2, "Second")):
            answer = await client.patch(
                f"/dynamic-entity/products/{product}", json={"data": {"name": name}}
            )
            assert answer.status_code == 200, answer.text
        receiver.answers = [Answer(status=200), Answer(status=503)]
        await worker.round()
        await worker.stop()
    listed = await admin.get("/admin/webhooks")
    assert '<a href="/admin/webhooks/erp/deliveries">erp</a>' in listed.text
    page = await admin.get("/admin/webhooks/erp/deliveries")
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>.*?</tr>", page.text, re.S)
    assert len(rows) == 2
    assert page.text.count('<span class="badge ok">delivered</span>') == 1
    assert "HTTP 503" in page.text
    assert "HTTP 200" in page.text
    failed = await admin.get("/admin/webhooks/erp/deliveries?failed=1")
    [failed_event] = re.findall(r"<tr>\s*<td>(\d+)</td>", failed.text)
    assert "HTTP 503" in failed.text
    assert "HTTP 200" not in failed.text
    # the failed one waits for its retry; the delivered one can be sent again
    [delivered_event] = {e for e in re.findall(r"<tr>\s*<td>(\d+)</td>", page.text)} - {
        failed_event
    }
    again = await admin.post(
        "/admin/webhooks/redeliver",
        data={"csrf_token": csrf_of(page), "name": "erp", "event_id": delivered_event},
    )
    assert again.status_code == 303
    assert again.headers["location"] == "/admin/webhooks/erp/deliveries"
    [shown] = [
        d
        for d in await store.deliveries(gateway.engine, "erp")
        if d.event_id == int(delivered_event)
    ]
    assert (shown.status, shown.attempts) == ("pending", 0)
    unknown = await admin.post(
        "/admin/webhooks/redeliver",
        data={"csrf_token": csrf_of(page), "name": "erp", "event_id": "999999"},
    )
    assert unknown.status_code == 404
    missing = await admin.get("/admin/webhooks/nobody/deliveries")
    assert missing.status_code == 404
