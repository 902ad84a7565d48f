"""The audit log: every write of data and every administrative change is recorded with who,
what, which entity and which identifiers, in the change's own transaction, without secrets."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gateway import Gateway
from auth import store
from auth.audit import MAX_IDENTIFIERS, AuditEntry, command_line_actor, entries, record
from auth.permissions import Permissions
from auth.tables import audit_log
from schema_builder.operations.bulk import bulk_writer

DEXGATE = Path(sys.executable).with_name("dexgate")
ADMIN_ACTOR = "apikey:test-admin"
GRAPHQL = "/graphql"


async def newest(engine: AsyncEngine, **filters: Any) -> list[AuditEntry]:
    return await entries(engine, limit=20, **filters)


async def count_records(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.select(sa.func.count()).select_from(audit_log)) or 0)


def product(sku: str, **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "name": f"Product {sku}", "price": "9.99", "category_id": 1, **extra}


async def test_a_rest_create_is_recorded_with_the_key_entity_and_new_identifiers(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    response = await client.post(
        "/dynamic-entity/products", json={"data": [product("AUD-1"), product("AUD-2")]}
    )
    assert response.status_code == 201, response.text
    ids = [row["id_product"] for row in response.json()["data"]]
    entry = (await newest(engine, entity="products"))[0]
    assert (entry.actor, entry.action, entry.entity) == (ADMIN_ACTOR, "create", "products")
    assert list(entry.identifiers) == ids
    assert entry.count == 2


async def test_updates_upserts_and_deletes_are_recorded(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    patched = await client.patch(
        "/dynamic-entity/products", json={"data": [{"id_product": 3, "name": "Renamed"}]}
    )
    assert patched.status_code == 200, patched.text
    put = await client.put(
        "/dynamic-entity/categories/1",
        json={"data": {"name": "Replaced", "url": "/replaced", "is_active": True}},
    )
    assert put.status_code == 200, put.text
    created = await client.post("/dynamic-entity/products", json={"data": [product("DEL-1")]})
    assert created.status_code == 201, created.text
    new_id = created.json()["data"][0]["id_product"]
    deleted = await client.delete(f"/dynamic-entity/products/{new_id}")
    assert deleted.status_code == 204, deleted.text
    actions = [(e.action, e.entity, list(e.identifiers)) for e in await newest(engine)][:4]
    assert actions == [
        ("delete", "products", [new_id]),
        ("create", "products", [new_id]),
        ("upsert", "categories", [1]),
        ("update", "products", [3]),
    ]


async def test_a_refused_write_records_nothing_and_a_partial_one_only_what_was_saved(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await count_records(engine)
    refused = await client.post(
        "/dynamic-entity/products", json={"data": [product("AUD-3"), product("AUD-3")]}
    )
    assert refused.status_code == 400
    assert await count_records(engine) == before

    partial = await client.post(
        "/dynamic-entity/products",
        headers={"X-Is-Transactional": "false"},
        json={"data": [product("AUD-4"), {"sku": "AUD-5"}, product("AUD-6")]},
    )
    assert partial.status_code == 201, partial.text
    saved = [row["id_product"] for row in partial.json()["data"]]
    assert len(saved) == 2
    entry = (await newest(engine, entity="products"))[0]
    assert list(entry.identifiers) == saved
    assert await count_records(engine) == before + 1


async def test_a_nested_write_records_the_children_under_their_entity(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    stocks = [
        {"warehouse": "North", "country_id": 1, "quantity": 3},
        {"warehouse": "South", "country_id": 1, "quantity": 4},
    ]
    response = await client.post(
        "/dynamic-entity/products", json={"data": [product("AUD-7", stocks=stocks)]}
    )
    assert response.status_code == 201, response.text
    saved = response.json()["data"][0]
    records = {e.entity: e for e in (await newest(engine))[:2]}
    assert list(records["products"].identifiers) == [saved["id_product"]]
    assert sorted(records["product-stocks"].identifiers) == sorted(
        s["id_product_stock"] for s in saved["stocks"]
    )


async def test_a_graphql_mutation_is_recorded_like_rest(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    query = 'mutation { createCountries(items: [{iso2_code: "QQ", iso3_code: "QQQ", name: "Q"}]) { items { id_country } } }'  # noqa: E501
    response = await client.post(GRAPHQL, json={"query": query})
    body = response.json()
    assert "errors" not in body, body
    new_id = body["data"]["createCountries"]["items"][0]["id_country"]
    entry = (await newest(engine, entity="countries"))[0]
    assert (entry.actor, entry.action, list(entry.identifiers)) == (ADMIN_ACTOR, "create", [new_id])


async def test_identifiers_are_capped_and_the_count_is_complete(
    gateway: Gateway, engine: AsyncEngine
) -> None:
    catalog = await gateway.registry.current()
    total = MAX_IDENTIFIERS + 20
    rows = [product(f"BULK-{i}") for i in range(total)]
    access = Permissions(admin=True, actor="cli:tester")
    async with bulk_writer(
        engine, catalog, "products", "create", access, transactional=True
    ) as writer:
        result = await writer.write(rows)
    assert result.saved == total
    entry = (await newest(engine, entity="products"))[0]
    assert entry.actor == "cli:tester"
    assert len(entry.identifiers) == MAX_IDENTIFIERS
    assert entry.count == total


async def test_a_rolled_back_import_leaves_no_record(gateway: Gateway, engine: AsyncEngine) -> None:
    catalog = await gateway.registry.current()
    before = await count_records(engine)
    access = Permissions(admin=True, actor="cli:tester")
    async with bulk_writer(
        engine, catalog, "products", "create", access, transactional=True
    ) as writer:
        assert (await writer.write([product("ROLL-1")])).saved == 1
        assert (await writer.write([{"sku": "ROLL-2"}])).saved == 0
    assert await count_records(engine) == before


async def test_configuration_and_principal_changes_name_the_actor_and_keep_no_secret(
    gateway: Gateway, engine: AsyncEngine
) -> None:
    config = next(c for c in await gateway.registry.configurations() if c.alias == "countries")
    await gateway.registry.apply([dataclasses.replace(config, is_active=False)], actor="user:ada")
    await gateway.registry.remove("countries", actor="user:ada")
    await store.set_role(engine, "geo", ["categories:read"], actor="user:ada")
    password = "a long secret phrase"
    await store.create_user(engine, "bob", password, ["geo"], actor="user:ada")
    await store.set_password(engine, "bob", password + "!", actor="user:ada")
    key = await store.create_api_key(engine, "sync", ["geo"], actor="user:ada")
    await store.revoke_api_key(engine, "sync", actor="user:ada")
    client_id, secret = await store.create_client(engine, "pim", ["geo"], actor="user:ada")
    _, new_secret = await store.rotate_client_secret(engine, "pim", actor="user:ada")
    await store.set_client_active(engine, "pim", False, actor="user:ada")
    await store.set_user_active(engine, "bob", False, actor="user:ada")

    found = await newest(engine, actor="user:ada")
    assert [e.action for e in reversed(found)] == [
        "entity.update",
        "entity.delete",
        "role.set",
        "user.create",
        "user.password",
        "apikey.create",
        "apikey.revoke",
        "client.create",
        "client.rotate",
        "client.revoke",
        "user.disable",
    ]
    created_key = next(e for e in found if e.action == "apikey.create")
    assert created_key.detail["key"] == "sync"
    assert key.startswith(str(created_key.detail["prefix"]))
    assert found[-1].detail == {"table": "country", "active": False}
    text = json.dumps([e.detail for e in found])
    for secret_text in (password, key, secret, new_secret):
        assert secret_text not in text
    assert client_id in text


async def test_a_change_that_fails_records_nothing(engine: AsyncEngine) -> None:
    before = await count_records(engine)
    with pytest.raises(store.NotFoundError):
        await store.set_user_roles(engine, "nobody", ["admin"], actor="user:ada")
    with pytest.raises(store.AuthStoreError):
        await store.create_api_key(engine, "k", ["no-such-role"], actor="user:ada")
    assert await count_records(engine) == before


async def test_entries_filter_and_page_back(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for i in range(5):
            await record(connection, "cli:x", "create", entity="e", identifiers=[i])
        await record(connection, "cli:y", "delete", entity="f", identifiers=[9])
    page = await entries(engine, actor="cli:x", limit=3)
    assert [e.identifiers for e in page] == [(4,), (3,), (2,)]
    older = await entries(engine, actor="cli:x", before=page[-1].id, limit=3)
    assert [e.identifiers for e in older] == [(1,), (0,)]
    assert [e.actor for e in await entries(engine, action="delete", entity="f")] == ["cli:y"]


def test_the_command_line_actor_names_the_system_user() -> None:
    assert command_line_actor().startswith("cli:")
    assert len(command_line_actor()) > len("cli:")


async def test_dexgate_audit_prints_records_as_a_table_and_as_json(
    client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    response = await client.post("/dynamic-entity/products", json={"data": [product("CLI-1")]})
    assert response.status_code == 201
    new_id = response.json()["data"][0]["id_product"]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
    environ["DEXGATE_DATABASE_URL"] = database_url

    def dexgate(*args: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own console script with fixed arguments
            [str(DEXGATE), *args], env=environ, cwd=tmp_path, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    lines = dexgate("audit", "--entity", "products", "--json").splitlines()
    first = json.loads(lines[0])
    assert (first["actor"], first["action"], first["identifiers"]) == (
        ADMIN_ACTOR,
        "create",
        [new_id],
    )
    table = dexgate("audit", "--limit", "1").splitlines()
    assert table[0].split() == [
        "ID",
        "AT",
        "(UTC)",
        "ACTOR",
        "ACTION",
        "ENTITY",
        "IDENTIFIERS",
        "DETAIL",
    ]
    assert f"{ADMIN_ACTOR}  create  products  {new_id}" in table[1]
    dexgate("role", "set", "viewer", "--grant", "products:read")
    [role_set] = [
        json.loads(line) for line in dexgate("audit", "--action", "role.set", "--json").splitlines()
    ]
    assert role_set["actor"] == command_line_actor()
    assert role_set["detail"] == {"role": "viewer", "grants": ["products:read"]}


HOSTILE = "\u001b[2J\u001b]0;pwned\u0007"
RAW_CONTROLS = ("\u001b", "\u0007", "\u009b", "\u202e")


async def test_dexgate_audit_never_prints_terminal_control_characters(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    """An identifier holding escape sequences cleared the operator's terminal."""
    async with engine.begin() as connection:
        await record(
            connection,
            "apikey:\u202eevil",
            "create",
            entity="tags\u009b31m",
            identifiers=[HOSTILE, "two\nlines"],
            detail={"note": HOSTILE},
        )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
    environ["DEXGATE_DATABASE_URL"] = database_url

    def dexgate(*args: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own console script with fixed arguments
            [str(DEXGATE), *args], env=environ, cwd=tmp_path, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    table = dexgate("audit", "--limit", "1")
    as_json = dexgate("audit", "--limit", "1", "--json")
    for output in (table, as_json):
        assert not any(c in output for c in RAW_CONTROLS), repr(output)
    assert "\\u001b[2J\\u001b]0;pwned\\u0007" in table
    assert "two\\u000alines" in table  # one record, one line
    assert len(table.splitlines()) == 2
    assert "apikey:\\u202eevil" in table
    [entry] = [json.loads(line) for line in as_json.splitlines()]
    assert entry["identifiers"] == [HOSTILE, "two\nlines"]  # JSON reads back the same values
    assert entry["entity"] == "tags\u009b31m"
