"""Back Office users from the Back Office: create, disable, enable, reset a password."""

from __future__ import annotations

import httpx

from app.gateway import Gateway
from auth import store
from tests.admin.conftest import ADMIN, submit

NEW_PASSWORD = "staple battery horse"


async def password_login(client: httpx.AsyncClient, username: str, password: str) -> int:
    response = await client.post(
        "/token", data={"grant_type": "password", "username": username, "password": password}
    )
    return response.status_code


async def test_a_user_is_created_disabled_enabled_and_given_a_new_password(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    created = await submit(
        admin, "/admin/users", {"username": "carol", "password": NEW_PASSWORD, "roles": ["admin"]}
    )
    assert created.status_code == 303
    assert "User carol is created." in (await admin.get("/admin/users")).text
    assert await password_login(admin, "carol", NEW_PASSWORD) == 200

    assert (await submit(admin, "/admin/users/disable", {"username": "carol"})).status_code == 303
    assert await password_login(admin, "carol", NEW_PASSWORD) == 400
    assert '<span class="badge off">disabled</span>' in (await admin.get("/admin/users")).text

    assert (await submit(admin, "/admin/users/enable", {"username": "carol"})).status_code == 303
    assert await password_login(admin, "carol", NEW_PASSWORD) == 200

    reset = await submit(
        admin, "/admin/users/password", {"username": "carol", "password": "another staple"}
    )
    assert reset.status_code == 303
    assert await password_login(admin, "carol", NEW_PASSWORD) == 400
    assert await password_login(admin, "carol", "another staple") == 200
    (carol,) = [u for u in await store.list_users(gateway.engine) if u.username == "carol"]
    assert carol.roles == ("admin",)


async def test_invalid_input_is_named_next_to_each_field_and_kept(
    admin: httpx.AsyncClient,
) -> None:
    response = await submit(
        admin, "/admin/users", {"username": "dave", "password": "short", "roles": ["nope"]}
    )
    assert response.status_code == 400
    assert "A password needs at least 8 characters." in response.text
    assert "No such role: nope." in response.text
    assert 'value="dave"' in response.text
    assert 'value="short"' not in response.text
    taken = await submit(
        admin, "/admin/users", {"username": ADMIN, "password": NEW_PASSWORD, "roles": ["admin"]}
    )
    assert taken.status_code == 400
    assert f"User &#39;{ADMIN}&#39; exists already." in taken.text


async def test_a_weak_new_password_is_named_beside_its_user(admin: httpx.AsyncClient) -> None:
    response = await submit(admin, "/admin/users/password", {"username": ADMIN, "password": "x"})
    assert response.status_code == 400
    assert "<details open>" in response.text
    assert "A password needs at least 8 characters." in response.text


async def test_an_admin_cannot_disable_itself(admin: httpx.AsyncClient, gateway: Gateway) -> None:
    response = await submit(admin, "/admin/users/disable", {"username": ADMIN})
    assert response.status_code == 303
    assert (
        "You cannot disable the user you are logged in as."
        in (await admin.get("/admin/users")).text
    )
    (me,) = [u for u in await store.list_users(gateway.engine) if u.username == ADMIN]
    assert me.is_active


async def token_of(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await client.post(
        "/token", data={"grant_type": "password", "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_a_users_roles_are_changed_and_its_next_request_follows_them(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "catalog", ["products:read"])
    await store.set_role(gateway.engine, "geo", ["countries:read"])
    await store.create_user(gateway.engine, "erin", NEW_PASSWORD, ["catalog"])
    bearer = {"Authorization": f"Bearer {await token_of(admin, 'erin', NEW_PASSWORD)}"}
    assert (await admin.get("/dynamic-entity/countries", headers=bearer)).status_code == 403

    changed = await submit(admin, "/admin/users/roles", {"username": "erin", "roles": ["geo"]})
    assert changed.status_code == 303
    assert "The roles of erin are now: geo." in (await admin.get("/admin/users")).text
    assert (await admin.get("/dynamic-entity/countries", headers=bearer)).status_code == 200
    assert (await admin.get("/dynamic-entity/products", headers=bearer)).status_code == 403
    (erin,) = [u for u in await store.list_users(gateway.engine) if u.username == "erin"]
    assert erin.roles == ("geo",)


async def test_roles_that_do_not_exist_none_or_losing_ones_own_admin_role_are_refused(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.create_user(gateway.engine, "frank", NEW_PASSWORD, ["admin"])
    await store.set_role(gateway.engine, "catalog", ["products:read"])
    for username, roles, message in (
        ("frank", ["nope"], "No such role: nope."),
        ("frank", [], "Choose at least one role."),
        (ADMIN, ["catalog"], "You cannot take the admin role from the user you are logged in as."),
    ):
        refused = await submit(admin, "/admin/users/roles", {"username": username, "roles": roles})
        assert refused.status_code == 400
        assert f'<span class="field-error">{message}</span>' in refused.text
    users = {u.username: u.roles for u in await store.list_users(gateway.engine)}
    assert users["frank"] == ("admin",)
    assert users[ADMIN] == ("admin",)
