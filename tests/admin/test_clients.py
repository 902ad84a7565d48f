"""OAuth clients from the Back Office: credentials shown once, rotation, revocation."""

from __future__ import annotations

import re

import httpx

from tests.admin.conftest import submit

CLIENT_ID = re.compile(r'<code id="new-client-id">(dxc_[0-9a-f]+)</code>')
SECRET = re.compile(r'<code id="new-client-secret">([A-Za-z0-9_-]+)</code>')


def credentials_on(page: httpx.Response) -> tuple[str, str]:
    client_id, secret = CLIENT_ID.search(page.text), SECRET.search(page.text)
    assert client_id is not None, page.text
    assert secret is not None, page.text
    return client_id.group(1), secret.group(1)


async def token_status(client: httpx.AsyncClient, client_id: str, secret: str) -> int:
    response = await client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    return response.status_code


async def test_a_client_is_registered_rotated_and_revoked(admin: httpx.AsyncClient) -> None:
    created = await submit(admin, "/admin/clients", {"name": "svc", "roles": ["admin"]})
    assert created.status_code == 200
    client_id, secret = credentials_on(created)
    assert "will not show it again" in created.text
    listing = await admin.get("/admin/clients")
    assert secret not in listing.text
    assert f"<code>{client_id}</code>" in listing.text
    assert await token_status(admin, client_id, secret) == 200

    rotated = await submit(admin, "/admin/clients/rotate", {"name": "svc"})
    assert rotated.status_code == 200
    same_id, new_secret = credentials_on(rotated)
    assert same_id == client_id
    assert new_secret != secret
    assert await token_status(admin, client_id, secret) == 401
    assert await token_status(admin, client_id, new_secret) == 200

    revoked = await submit(admin, "/admin/clients/revoke", {"name": "svc"})
    assert revoked.status_code == 303
    assert await token_status(admin, client_id, new_secret) == 401
    assert '<span class="badge off">revoked</span>' in (await admin.get("/admin/clients")).text


async def test_invalid_input_is_named_and_kept(admin: httpx.AsyncClient) -> None:
    response = await submit(admin, "/admin/clients", {"name": "x" * 300})
    assert response.status_code == 400
    assert "A client name has at most 255 characters." in response.text
    assert "Choose at least one role." in response.text
    assert f'value="{"x" * 300}"' in response.text


async def test_an_unknown_client_is_a_404_page(admin: httpx.AsyncClient) -> None:
    response = await submit(admin, "/admin/clients/rotate", {"name": "ghost"})
    assert response.status_code == 404
    assert "There is no client &#39;ghost&#39;." in response.text
