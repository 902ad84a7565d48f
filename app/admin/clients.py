"""OAuth clients in the Back Office: register (the secret is shown once), rotate, revoke."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from app.admin.endpoints import action, actor_of, page, revocation_note
from app.admin.forms import FieldErrors, Form
from app.admin.templating import render, see_other
from app.gateway import Gateway
from auth import store

LIST = "/admin/clients"


async def _page(
    request: Request,
    status_code: int = 200,
    *,
    values: Mapping[str, object] | None = None,
    errors: dict[str, str] | None = None,
    created: tuple[str, str, str] | None = None,
) -> Response:
    gateway: Gateway = request.app.state.gateway
    return render(
        request,
        "clients.html",
        status_code,
        section="clients",
        clients=await store.list_clients(gateway.engine),
        roles=[r.name for r in await store.list_roles(gateway.engine)],
        values=values or {"name": "", "roles": []},
        errors=errors or {},
        created=created,
    )


async def client_list(request: Request) -> Response:
    return await _page(request)


async def create(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    errors = FieldErrors()
    known = [r.name for r in await store.list_roles(gateway.engine)]
    name = errors.need("name", form.text("name"), "client name")
    roles = errors.roles("roles", form.texts("roles"), known)
    if not errors:
        try:
            client_id, secret = await store.create_client(
                gateway.engine, name, roles, actor=actor_of(request)
            )
        except store.AlreadyExistsError as exc:
            errors["name"] = str(exc)
        except store.AuthStoreError as exc:
            errors["roles"] = str(exc)
        else:
            return await _page(request, created=(name, client_id, secret))
    return await _page(
        request, 400, values={"name": form.text("name"), "roles": roles}, errors=errors
    )


async def rotate(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    name = form.text("name")
    client_id, secret = await store.rotate_client_secret(
        gateway.engine, name, actor=actor_of(request)
    )
    return await _page(request, created=(name, client_id, secret))


async def revoke(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    name = form.text("name")
    await store.set_client_active(gateway.engine, name, False, actor=actor_of(request))
    gateway.authenticator.forget()
    return see_other(LIST, f"Client {name} is revoked.{revocation_note(gateway)}")


routes = [
    page(LIST, client_list),
    action(LIST, create),
    action(LIST + "/rotate", rotate),
    action(LIST + "/revoke", revoke),
]
