"""Roles in the Back Office: their grants as a grid of entities by operations, and deletion.

The grid has a row for ``*`` (every entity), one per registered entity, and one per alias a
role already grants that is not registered (so saving never drops a grant silently). The
built-in ``admin`` role grants everything and is shown read-only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from starlette.requests import Request
from starlette.responses import Response

from app.admin.endpoints import action, actor_of, page, revocation_note
from app.admin.forms import FieldErrors, Form
from app.admin.templating import render, see_other
from app.gateway import Gateway
from auth import store
from auth.permissions import ADMIN_ROLE, ANY, OPERATIONS, Operation, format_grants

LIST = "/admin/roles"
EDIT = LIST + "/edit"
MAX_NAME = 64


async def role_list(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    roles = await store.list_roles(gateway.engine)
    return render(
        request,
        "roles.html",
        section="roles",
        roles=[(r.name, format_grants(r.grants)) for r in roles],
        admin_role=ADMIN_ROLE,
    )


async def _grid_aliases(gateway: Gateway, granted: set[str]) -> list[str]:
    registered = [c.alias for c in await gateway.registry.configurations()]
    extra = sorted(granted - set(registered) - {ANY})
    return [ANY, *registered, *extra]


async def _editor(
    request: Request,
    status_code: int = 200,
    *,
    name: str,
    existing: bool,
    grants: Mapping[str, Collection[str]],
    errors: dict[str, str] | None = None,
) -> Response:
    gateway: Gateway = request.app.state.gateway
    return render(
        request,
        "role_edit.html",
        status_code,
        section="roles",
        name=name,
        existing=existing,
        grants=grants,
        aliases=await _grid_aliases(gateway, set(grants)),
        operations=OPERATIONS,
        errors=errors or {},
    )


async def edit(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    name = request.query_params.get("name")
    if name is None:
        return await _editor(request, name="", existing=False, grants={})
    if name == ADMIN_ROLE:
        return see_other(LIST, "The admin role is built in: it grants everything.", error=True)
    for role in await store.list_roles(gateway.engine):
        if role.name == name:
            grants = {alias: set(ops) for alias, ops in role.grants.items()}
            return await _editor(request, name=name, existing=True, grants=grants)
    raise store.NotFoundError(f"There is no role {name!r}.")


def _checked(form: Form) -> dict[str, set[str]]:
    """``grant`` checkboxes are ``ALIAS:OPERATION``; aliases never hold a colon."""
    grants: dict[str, set[str]] = {}
    for value in form.texts("grant"):
        alias, _, operation = value.rpartition(":")
        if alias and operation in OPERATIONS:
            grants.setdefault(alias, set()).add(operation)
    return grants


async def save(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    existing = form.text("existing") == "1"
    errors = FieldErrors()
    name = errors.need("name", form.text("name"), "role name", MAX_NAME)
    grants = _checked(form)
    known = {r.name for r in await store.list_roles(gateway.engine)}
    if name == ADMIN_ROLE:
        errors["name"] = "The admin role is built in; choose another name."
    elif name and not existing and name in known:
        errors["name"] = f"Role {name} exists already; edit it from the list."
    if errors:
        return await _editor(
            request, 400, name=form.text("name"), existing=existing, grants=grants, errors=errors
        )
    specs = [f"{alias}:{op}" for alias, ops in grants.items() for op in _ordered(ops)]
    await store.set_role(gateway.engine, name, specs, actor=actor_of(request))
    gateway.authenticator.forget()
    return see_other(LIST, f"Role {name} is saved.{revocation_note(gateway)}")


def _ordered(operations: set[str]) -> list[Operation]:
    return [op for op in OPERATIONS if op in operations]


async def delete(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    name = form.text("name")
    if name == ADMIN_ROLE:
        return see_other(LIST, "The admin role is built in and cannot be deleted.", error=True)
    await store.delete_role(gateway.engine, name, actor=actor_of(request))
    gateway.authenticator.forget()
    return see_other(LIST, f"Role {name} is deleted.{revocation_note(gateway)}")


routes = [
    page(LIST, role_list),
    page(EDIT, edit),
    action(LIST, save),
    action(LIST + "/delete", delete),
]
