"""Roles from the Back Office: the grid of grants, the built-in admin role, deletion."""

from __future__ import annotations

import httpx

from app.gateway import Gateway
from auth import store
from tests.admin.conftest import submit


async def test_the_grid_saves_grants_that_apply_at_once(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    editor = await admin.get("/admin/roles/edit")
    assert 'value="*:read"' in editor.text
    assert 'value="product-stocks:delete"' in editor.text
    saved = await submit(
        admin,
        "/admin/roles",
        {"name": "catalog", "grant": ["products:read", "products:create", "categories:read"]},
    )
    assert saved.status_code == 303
    (role,) = [r for r in await store.list_roles(gateway.engine) if r.name == "catalog"]
    assert role.grants == {
        "products": frozenset({"read", "create"}),
        "categories": frozenset({"read"}),
    }
    listing = await admin.get("/admin/roles")
    assert '<code class="grant">products:read,create</code>' in listing.text

    key = await store.create_api_key(gateway.engine, "catalog-key", ["catalog"])
    headers = {"X-Api-Key": key}
    assert (await admin.get("/dynamic-entity/products", headers=headers)).status_code == 200
    assert (await admin.get("/dynamic-entity/countries", headers=headers)).status_code == 403

    editor = await admin.get("/admin/roles/edit", params={"name": "catalog"})
    assert 'value="products:create" aria-label="products create" checked' in editor.text
    assert 'value="products:update" aria-label="products update">' in editor.text
    widened = await submit(
        admin, "/admin/roles", {"name": "catalog", "existing": "1", "grant": ["*:read"]}
    )
    assert widened.status_code == 303
    assert (await admin.get("/dynamic-entity/countries", headers=headers)).status_code == 200
    assert (await admin.get("/dynamic-entity/products", headers=headers)).status_code == 200


async def test_a_grant_on_an_unregistered_alias_is_kept_in_the_grid(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "legacy", ["orders:read"])
    editor = await admin.get("/admin/roles/edit", params={"name": "legacy"})
    assert 'value="orders:read" aria-label="orders read" checked' in editor.text


async def test_a_new_role_may_not_take_a_taken_or_built_in_name(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "reader", ["*:read"])
    taken = await submit(admin, "/admin/roles", {"name": "reader", "grant": ["products:delete"]})
    assert taken.status_code == 400
    assert "Role reader exists already" in taken.text
    assert 'value="products:delete" aria-label="products delete" checked' in taken.text
    admin_role = await submit(admin, "/admin/roles", {"name": "admin"})
    assert admin_role.status_code == 400
    assert "The admin role is built in" in admin_role.text
    empty = await submit(admin, "/admin/roles", {"name": ""})
    assert "Give a role name." in empty.text
    (reader,) = [r for r in await store.list_roles(gateway.engine) if r.name == "reader"]
    assert reader.grants == {"*": frozenset({"read"})}


async def test_the_admin_role_is_read_only(admin: httpx.AsyncClient, gateway: Gateway) -> None:
    listing = await admin.get("/admin/roles")
    assert "everything, and administration" in listing.text
    assert "/admin/roles/edit?name=admin" not in listing.text
    edit = await admin.get("/admin/roles/edit", params={"name": "admin"})
    assert edit.status_code == 303
    deleted = await submit(admin, "/admin/roles/delete", {"name": "admin"})
    assert deleted.status_code == 303
    assert "cannot be deleted" in (await admin.get("/admin/roles")).text
    assert "admin" in [r.name for r in await store.list_roles(gateway.engine)]


async def test_deleting_a_role_takes_its_grants_away(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "reader", ["*:read"])
    key = await store.create_api_key(gateway.engine, "reader-key", ["reader"])
    headers = {"X-Api-Key": key}
    assert (await admin.get("/dynamic-entity/countries", headers=headers)).status_code == 200
    assert (await submit(admin, "/admin/roles/delete", {"name": "reader"})).status_code == 303
    assert (await admin.get("/dynamic-entity/countries", headers=headers)).status_code == 403
    assert "reader" not in [r.name for r in await store.list_roles(gateway.engine)]


async def test_a_role_name_with_markup_is_shown_as_text(admin: httpx.AsyncClient) -> None:
    name = '<script>alert("x")</script>'
    saved = await submit(admin, "/admin/roles", {"name": name, "grant": ["products:read"]})
    assert saved.status_code == 303
    for path in ("/admin/roles", "/admin/api-keys", "/admin/users"):
        page = await admin.get(path)
        assert name not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    editor = await admin.get("/admin/roles/edit", params={"name": name})
    assert editor.status_code == 200
    assert name not in editor.text
    assert (await submit(admin, "/admin/roles/delete", {"name": name})).status_code == 303


async def test_an_unknown_role_is_a_404_page(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/admin/roles/edit", params={"name": "ghost"})
    assert response.status_code == 404
    assert "There is no role &#39;ghost&#39;." in response.text
