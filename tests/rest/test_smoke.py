from __future__ import annotations

import httpx


async def test_list_returns_configured_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/dynamic-entity/countries")
    assert response.status_code == 200
    rows = response.json()["data"]
    assert len(rows) == 10
    assert list(rows[0]) == ["id_country", "iso2_code", "iso3_code", "name"]
