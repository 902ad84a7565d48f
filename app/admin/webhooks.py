"""Webhooks in the Back Office: create (the signing secret is shown once), list with their
deliveries' state, enable, disable, delete; a webhook's newest deliveries (all, or the failed
ones) with their last answer, and an event sent again (docs/change-feed.md, "Webhooks")."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from app.admin.endpoints import Action, PageNotFoundError, action, actor_of, page
from app.admin.forms import FieldErrors, Form
from app.admin.templating import render, see_other
from app.gateway import Gateway
from auth import store as auth_store
from schema_builder.tables import webhook_delivery
from schema_builder.webhooks import store
from schema_builder.webhooks.secrets import SecretBox

LIST = "/admin/webhooks"
DELIVERIES_SHOWN = 100


async def _counts(gateway: Gateway) -> dict[tuple[int, str], int]:
    """Deliveries per webhook and status."""
    d = webhook_delivery
    async with gateway.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(d.c.webhook_id, d.c.status, sa.func.count()).group_by(
                d.c.webhook_id, d.c.status
            )
        )
        return {(int(r[0]), str(r[1])): int(r[2]) for r in rows}


async def _page(
    request: Request,
    status_code: int = 200,
    *,
    values: Mapping[str, object] | None = None,
    errors: dict[str, str] | None = None,
    created: tuple[str, str] | None = None,
) -> Response:
    gateway: Gateway = request.app.state.gateway
    configurations = await gateway.registry.configurations()
    return render(
        request,
        "webhooks.html",
        status_code,
        section="webhooks",
        hooks=await store.webhooks(gateway.engine),
        counts=await _counts(gateway),
        fed=[c.alias for c in configurations if c.change_feed],
        operations=store.OPERATIONS,
        values=values or {"name": "", "url": "", "entities": [], "events": store.OPERATIONS},
        errors=errors or {},
        created=created,
    )


async def webhook_list(request: Request) -> Response:
    return await _page(request)


async def create(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    settings = gateway.settings
    errors = FieldErrors()
    name = errors.need("name", form.text("name").strip(), "webhook name", max_length=64)
    url = errors.need("url", form.text("url").strip(), "URL", max_length=2000)
    entities = form.texts("entities")
    events = [e for e in store.OPERATIONS if e in form.texts("events")]
    if not entities:
        errors["entities"] = "Choose at least one entity (with its change feed on)."
    if not events:
        errors["events"] = "Choose at least one event."
    values = {"name": name, "url": url, "entities": entities, "events": events}
    if not errors:
        box = SecretBox(settings.secret_key or await auth_store.signing_secret(gateway.engine))
        try:
            secret = await store.create_checked(
                gateway.engine,
                box,
                name,
                url,
                entities,
                events,
                allow_private=settings.webhook_allow_private,
                actor=actor_of(request),
            )
        except store.WebhookError as exc:
            errors["url" if "URL" in str(exc) else "name"] = str(exc)
        else:
            return await _page(request, created=(name, secret))
    return await _page(request, 400, values=values, errors=errors)


def _switch(active: bool) -> Action:
    async def switch(request: Request, form: Form) -> Response:
        gateway: Gateway = request.app.state.gateway
        name = form.text("name")
        try:
            await store.set_active(
                gateway.engine, name, active, actor=actor_of(request), reason="by hand"
            )
        except store.WebhookError as exc:
            raise PageNotFoundError(str(exc)) from None
        return see_other(LIST, f"Webhook {name} is {'enabled' if active else 'disabled'}.")

    switch.__name__ = "enable" if active else "disable"
    return switch


async def delete(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    name = form.text("name")
    try:
        await store.delete(gateway.engine, name, actor=actor_of(request))
    except store.WebhookError as exc:
        raise PageNotFoundError(str(exc)) from None
    return see_other(LIST, f"Webhook {name} is deleted.")


async def deliveries(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    name = request.path_params["name"]
    failed = request.query_params.get("failed") == "1"
    try:
        hook = await store.get(gateway.engine, name)
        shown = await store.deliveries(gateway.engine, name, failed=failed, limit=DELIVERIES_SHOWN)
    except store.WebhookError as exc:
        raise PageNotFoundError(str(exc)) from None
    return render(
        request,
        "webhook_deliveries.html",
        section="webhooks",
        hook=hook,
        deliveries=shown,
        failed=failed,
        limit=DELIVERIES_SHOWN,
    )


async def redeliver(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    name = form.text("name")
    back = f"{LIST}/{quote(name, safe='')}/deliveries"
    try:
        event_id = int(form.text("event_id"))
    except ValueError:
        return see_other(back, "Choose an event to send again.", error=True)
    count = await store.redeliver(gateway.engine, event_id, actor=actor_of(request))
    if not count:
        raise PageNotFoundError(f"No webhook has a delivery of event {event_id}.")
    return see_other(back, f"Event {event_id} will be sent again ({count} webhook(s)).")


routes = [
    page(LIST, webhook_list),
    page(LIST + "/{name}/deliveries", deliveries),
    action(LIST + "/redeliver", redeliver),
    action(LIST, create),
    action(LIST + "/enable", _switch(True)),
    action(LIST + "/disable", _switch(False)),
    action(LIST + "/delete", delete),
]
