"""API keys in the Back Office: create (the key is shown once), list, revoke."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from starlette.requests import Request
from starlette.responses import Response

from app.admin.endpoints import action, actor_of, page, revocation_note
from app.admin.forms import FieldErrors, Form
from app.admin.templating import render, see_other
from app.gateway import Gateway
from auth import store

LIST = "/admin/api-keys"


async def _page(
    request: Request,
    status_code: int = 200,
    *,
    values: Mapping[str, object] | None = None,
    errors: dict[str, str] | None = None,
    created: tuple[str, str] | None = None,
) -> Response:
    gateway: Gateway = request.app.state.gateway
    return render(
        request,
        "api_keys.html",
        status_code,
        section="api-keys",
        keys=await store.list_api_keys(gateway.engine),
        roles=[r.name for r in await store.list_roles(gateway.engine)],
        values=values or {"name": "", "roles": [], "expires": ""},
        errors=errors or {},
        created=created,
        today=datetime.now(UTC).date(),
    )


async def key_list(request: Request) -> Response:
    return await _page(request)


def _expiry(errors: FieldErrors, raw: str) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors["expires"] = "Give the expiry date as YYYY-MM-DD."
        return None
    if day <= datetime.now(UTC).date():
        errors["expires"] = "The expiry date must be after today."
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def create(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    errors = FieldErrors()
    known = [r.name for r in await store.list_roles(gateway.engine)]
    name = errors.need("name", form.text("name"), "key name")
    roles = errors.roles("roles", form.texts("roles"), known)
    expires = _expiry(errors, form.text("expires"))
    values = {"name": form.text("name"), "roles": roles, "expires": form.text("expires")}
    if not errors:
        try:
            key = await store.create_api_key(
                gateway.engine, name, roles, expires, actor=actor_of(request)
            )
        except store.AlreadyExistsError as exc:
            errors["name"] = str(exc)
        except store.AuthStoreError as exc:
            errors["roles"] = str(exc)
        else:
            return await _page(request, created=(name, key))
    return await _page(request, 400, values=values, errors=errors)


async def revoke(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    name = form.text("name")
    await store.revoke_api_key(gateway.engine, name, actor=actor_of(request))
    gateway.authenticator.forget()
    return see_other(LIST, f"API key {name} is revoked.{revocation_note(gateway)}")


routes = [
    page(LIST, key_list),
    action(LIST, create),
    action(LIST + "/revoke", revoke),
]
