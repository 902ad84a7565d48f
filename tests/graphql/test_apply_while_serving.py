"""`dexgate entities apply`, run as its own process while the server runs, changes the GraphQL
schema that the server's next request introspects: no restart."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx

from app.settings import Settings

FIELDS_OF_COUNTRY = '{ __type(name: "Country") { fields { name } } }'


async def _dexgate(settings: Settings, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli.main",
        *args,
        env={**os.environ, "DEXGATE_DATABASE_URL": settings.database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_field_renamed_by_the_cli_shows_in_introspection_on_the_next_request(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    before = await client.post("/graphql", json={"query": FIELDS_OF_COUNTRY})
    names = [f["name"] for f in before.json()["data"]["__type"]["fields"]]
    assert "name" in names
    assert "country_name" not in names

    entries = json.loads(await _dexgate(settings, "entities", "export"))
    country = next(e for e in entries if e["tableAlias"] == "countries")
    field = next(f for f in country["definition"]["fields"] if f["fieldName"] == "name")
    field["fieldVisibleName"] = "country_name"
    path = tmp_path / "entities.json"
    path.write_text(json.dumps(entries))
    await _dexgate(settings, "entities", "apply", str(path))

    after = await client.post("/graphql", json={"query": FIELDS_OF_COUNTRY})
    names = [f["name"] for f in after.json()["data"]["__type"]["fields"]]
    assert "country_name" in names
    assert "name" not in names
    rows = await client.post(
        "/graphql", json={"query": "{ countries(limit: 1) { items { country_name } } }"}
    )
    assert rows.json() == {"data": {"countries": {"items": [{"country_name": "Germany"}]}}}
