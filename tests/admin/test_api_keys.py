"""API keys from the Back Office: shown once, usable at once, refused once revoked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from app.gateway import Gateway
from auth import store
from tests.admin.conftest import submit

KEY = re.compile(r'<code id="new-key">(dxg_[A-Za-z0-9_-]+)</code>')


async def create_key(admin: httpx.AsyncClient, **fields: object) -> httpx.Response:
    return await submit(admin, "/admin/api-keys", {"roles": ["admin"], **fields})


async def test_a_new_key_is_shown_once_and_authenticates_at_once(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    await store.set_role(gateway.engine, "catalog", ["products:read"])
    created = await submit(admin, "/admin/api-keys", {"name": "erp", "roles": ["catalog"]})
    assert created.status_code == 200
    found = KEY.search(created.text)
    assert found is not None
    key = found.group(1)
    assert 'data-copy="new-key"' in created.text
    assert "will not show it again" in created.text
    listing = await admin.get("/admin/api-keys")
    assert key not in listing.text
    assert f"<code>{key[:10]}…</code>" in listing.text
    assert "<td>catalog</td>" in listing.text
    rows = await admin.get("/dynamic-entity/products", headers={"X-Api-Key": key})
    assert rows.status_code == 200
    assert rows.json()["data"]
    denied = await admin.get("/dynamic-entity/countries", headers={"X-Api-Key": key})
    assert denied.status_code == 403
    assert denied.json()[0]["code"] == "DX122"


async def test_revoking_from_the_back_office_refuses_the_key(
    admin: httpx.AsyncClient,
) -> None:
    key = KEY.search((await create_key(admin, name="temp")).text)
    assert key is not None
    headers = {"X-Api-Key": key.group(1)}
    assert (await admin.get("/dynamic-entity/countries", headers=headers)).status_code == 200
    done = await submit(admin, "/admin/api-keys/revoke", {"name": "temp"})
    assert done.status_code == 303
    refused = await admin.get("/dynamic-entity/countries", headers=headers)
    assert refused.status_code == 403
    assert refused.json()[0]["code"] == "DX120"
    listing = await admin.get("/admin/api-keys")
    assert "API key temp is revoked." in listing.text
    assert '<span class="badge off">revoked</span>' in listing.text


async def test_revocation_without_the_csrf_token_leaves_the_key_working(
    admin: httpx.AsyncClient,
) -> None:
    key = KEY.search((await create_key(admin, name="kept")).text)
    assert key is not None
    refused = await admin.post("/admin/api-keys/revoke", data={"name": "kept"})
    assert refused.status_code == 403
    headers = {"X-Api-Key": key.group(1)}
    assert (await admin.get("/dynamic-entity/countries", headers=headers)).status_code == 200


async def test_an_expiry_date_is_kept_and_shown(admin: httpx.AsyncClient, gateway: Gateway) -> None:
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    assert (await create_key(admin, name="dated", expires=day.isoformat())).status_code == 200
    (key,) = [k for k in await store.list_api_keys(gateway.engine) if k.name == "dated"]
    assert key.valid_to == datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert f"{day.isoformat()} 00:00 UTC" in (await admin.get("/admin/api-keys")).text


async def test_invalid_input_is_named_next_to_each_field_and_kept(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    response = await submit(
        admin, "/admin/api-keys", {"name": "   ", "roles": [], "expires": "next week"}
    )
    assert response.status_code == 400
    assert '<span class="field-error" id="name-error">Give a key name.</span>' in response.text
    assert "Choose at least one role." in response.text
    assert "Give the expiry date as YYYY-MM-DD." in response.text
    assert 'value="next week"' in response.text
    past = await create_key(admin, name="late", expires="2020-01-01")
    assert past.status_code == 400
    assert "The expiry date must be after today." in past.text
    assert 'value="late"' in past.text
    assert '<option value="admin" selected>' in past.text
    assert [k.name for k in await store.list_api_keys(gateway.engine)] == ["test-admin"]


async def test_a_taken_name_is_refused(admin: httpx.AsyncClient) -> None:
    assert (await create_key(admin, name="twice")).status_code == 200
    again = await create_key(admin, name="twice")
    assert again.status_code == 400
    assert "API key &#39;twice&#39; exists already." in again.text
    assert KEY.search(again.text) is None


async def test_a_name_with_markup_is_shown_as_text(admin: httpx.AsyncClient) -> None:
    name = "<script>alert(1)</script>"
    created = await create_key(admin, name=name)
    assert created.status_code == 200
    listing = await admin.get("/admin/api-keys")
    for page in (created, listing):
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    revoked = await submit(admin, "/admin/api-keys/revoke", {"name": name})
    assert revoked.status_code == 303
