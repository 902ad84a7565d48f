"""GET /graphql/schema.graphql serves the live SDL to admins."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.gateway import Gateway
from auth import store

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "schema.graphql"


async def test_schema_file_is_the_live_sdl(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql/schema.graphql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql")
    assert response.text == SNAPSHOT.read_text()


async def test_schema_file_needs_credentials_and_the_admin_role(
    anonymous: httpx.AsyncClient, gateway: Gateway
) -> None:
    refused = await anonymous.get("/graphql/schema.graphql")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "DX120"
    await store.set_role(gateway.engine, "reader", ["*:read"])
    key = await store.create_api_key(gateway.engine, "reader", ["reader"])
    not_admin = await anonymous.get("/graphql/schema.graphql", headers={"X-Api-Key": key})
    assert not_admin.status_code == 403
    assert not_admin.json()["errors"][0]["extensions"] == {"code": "DX123", "status": 403}
