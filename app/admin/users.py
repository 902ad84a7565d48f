"""Back Office users: create, disable or enable, reset a password, change roles.

Disabling a user or changing its password revokes its sessions (see auth.store), so it is
logged out of the Back Office too.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from app.admin.endpoints import action, actor_of, page, revocation_note
from app.admin.forms import FieldErrors, Form
from app.admin.templating import render, see_other
from app.gateway import Gateway
from auth import store
from auth.passwords import MIN_LENGTH, WeakPasswordError
from auth.permissions import ADMIN_ROLE
from auth.principal import Principal

LIST = "/admin/users"


async def _page(
    request: Request,
    status_code: int = 200,
    *,
    values: Mapping[str, object] | None = None,
    errors: dict[str, str] | None = None,
    reset: tuple[str, str] | None = None,
    roles_error: tuple[str, str] | None = None,
) -> Response:
    gateway: Gateway = request.app.state.gateway
    return render(
        request,
        "users.html",
        status_code,
        section="users",
        users=await store.list_users(gateway.engine),
        roles=[r.name for r in await store.list_roles(gateway.engine)],
        values=values or {"username": "", "roles": []},
        errors=errors or {},
        reset=reset,
        roles_error=roles_error,
        min_length=MIN_LENGTH,
    )


async def user_list(request: Request) -> Response:
    return await _page(request)


async def create(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    errors = FieldErrors()
    known = [r.name for r in await store.list_roles(gateway.engine)]
    username = errors.need("username", form.text("username"), "username")
    password = form.text("password")
    if len(password) < MIN_LENGTH:
        errors["password"] = f"A password needs at least {MIN_LENGTH} characters."
    roles = errors.roles("roles", form.texts("roles"), known)
    if not errors:
        try:
            await store.create_user(
                gateway.engine, username, password, roles, actor=actor_of(request)
            )
        except store.AlreadyExistsError as exc:
            errors["username"] = str(exc)
        except WeakPasswordError as exc:
            errors["password"] = str(exc)
        except store.AuthStoreError as exc:
            errors["roles"] = str(exc)
        else:
            return see_other(LIST, f"User {username} is created.")
    values = {"username": form.text("username"), "roles": roles}
    return await _page(request, 400, values=values, errors=errors)


def _is_self(request: Request, username: str) -> bool:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal is not None and principal.kind == "user" and principal.name == username


async def disable(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    username = form.text("username")
    if _is_self(request, username):
        return see_other(LIST, "You cannot disable the user you are logged in as.", error=True)
    await store.set_user_active(gateway.engine, username, False, actor=actor_of(request))
    gateway.authenticator.forget()
    note = revocation_note(gateway)
    return see_other(LIST, f"User {username} is disabled and logged out.{note}")


async def enable(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    username = form.text("username")
    await store.set_user_active(gateway.engine, username, True, actor=actor_of(request))
    gateway.authenticator.forget()
    return see_other(LIST, f"User {username} is enabled.")


async def reset_password(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    username = form.text("username")
    try:
        await store.set_password(
            gateway.engine, username, form.text("password"), actor=actor_of(request)
        )
    except WeakPasswordError as exc:
        return await _page(request, 400, reset=(username, str(exc)))
    gateway.authenticator.forget()
    return see_other(LIST, f"The password of {username} is changed; its sessions are ended.")


async def set_roles(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    username = form.text("username")
    errors = FieldErrors()
    known = [r.name for r in await store.list_roles(gateway.engine)]
    roles = errors.roles("roles", form.texts("roles"), known)
    if not errors and _is_self(request, username) and ADMIN_ROLE not in roles:
        errors["roles"] = "You cannot take the admin role from the user you are logged in as."
    if errors:
        return await _page(request, 400, roles_error=(username, errors["roles"]))
    await store.set_user_roles(gateway.engine, username, roles, actor=actor_of(request))
    gateway.authenticator.forget()
    note = revocation_note(gateway)
    return see_other(LIST, f"The roles of {username} are now: {', '.join(roles)}.{note}")


routes = [
    page(LIST, user_list),
    action(LIST, create),
    action(LIST + "/disable", disable),
    action(LIST + "/enable", enable),
    action(LIST + "/password", reset_password),
    action(LIST + "/roles", set_roles),
]
