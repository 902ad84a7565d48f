"""Writes on MariaDB through the REST API: every column type saved and answered as it was sent,
generated keys matched to their items, updates read back in the same transaction (MariaDB has
no UPDATE ... RETURNING), refusals with the codes PostgreSQL's get, and the request timeout."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.database import create_engine
from app.settings import Settings
from schema_builder.definition import (
    EntityConfiguration,
    EntityDefinition,
    FieldDefinition,
    Validation,
)
from schema_builder.registry import CatalogRegistry
from tests.conftest import settings_with
from tests.mariadb.tables import GADGET, LABEL, create
from tests.reliability.conftest import count, serving

GADGET_ITEM: dict[str, Any] = {
    "code": "G-1",
    "active": True,
    "level": -128,
    "stock": 2**24 - 1,
    "big": 2**64 - 1,
    "price": "12.50",
    "ratio": 0.25,
    "made": "2026-06-01",
    "seen": "2026-06-01T10:30:00.000250",
    "attrs": {"colour": "red", "sizes": [1, 2.5, None], "nested": {"ok": True}},
    "size": "m",
    "notes": "Grüße 🚚",
    "category_id": 1,
}


async def register(engine: AsyncEngine, table: str, alias: str, **validation: Any) -> None:
    """Register ``table`` active and deletable under ``alias`` as prefilled, each field's
    validation changed by ``validation`` (field name → Validation)."""
    registry = CatalogRegistry(engine)
    config = await registry.prefill(table, alias)
    fields = tuple(
        f if f.field_name not in validation else _with(f, validation[f.field_name])
        for f in config.definition.fields
    )
    definition = EntityDefinition(config.definition.identifier, fields, is_deletable=True)
    await registry.add(EntityConfiguration(table, alias, True, definition))


def _with(field: FieldDefinition, validation: Validation) -> FieldDefinition:
    return replace(field, validation=validation)


@pytest.fixture
async def gadgets(engine: AsyncEngine) -> str:
    await create(engine, GADGET, LABEL)
    await register(engine, "gadget", "gadgets", notes=Validation())
    await register(engine, "label", "labels")
    return "/dynamic-entity/gadgets"


async def test_every_type_is_saved_and_answered_as_sent(
    client: httpx.AsyncClient, gadgets: str
) -> None:
    created = await client.post(gadgets, json={"data": [GADGET_ITEM]})

    assert created.status_code == 201, created.text
    [item] = created.json()["data"]
    key = item.pop("id")
    assert isinstance(key, int)
    assert item == {**GADGET_ITEM, "changed": None}
    read = await client.get(f"{gadgets}/{key}")
    assert read.json()["data"] == {"id": key, **item}


async def test_aware_datetimes_are_stored_in_utc_and_answered_without_an_offset(
    client: httpx.AsyncClient, gadgets: str
) -> None:
    item = {**GADGET_ITEM, "seen": "2026-06-01T12:30:00+02:00", "changed": "2026-01-01T00:00:00Z"}
    created = await client.post(gadgets, json={"data": [item]})

    assert created.status_code == 201, created.text
    [saved] = created.json()["data"]
    assert (saved["seen"], saved["changed"]) == ("2026-06-01T10:30:00", "2026-01-01T00:00:00")


async def test_generated_keys_are_matched_to_their_items_in_a_batch(
    client: httpx.AsyncClient, gadgets: str, engine: AsyncEngine
) -> None:
    items = [{**GADGET_ITEM, "code": f"B-{i}", "level": i} for i in range(50)]
    created = await client.post(gadgets, json={"data": items})

    assert created.status_code == 201, created.text
    answered = {row["id"]: (row["code"], row["level"]) for row in created.json()["data"]}
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT id, code, level FROM gadget"))).all()
    assert answered == {row[0]: (row[1], row[2]) for row in rows}
    assert [row["code"] for row in created.json()["data"]] == [i["code"] for i in items]


async def test_an_update_answers_the_row_read_back_in_its_transaction(
    client: httpx.AsyncClient, gadgets: str
) -> None:
    [saved] = (await client.post(gadgets, json={"data": [GADGET_ITEM]})).json()["data"]

    patched = await client.patch(
        f"{gadgets}/{saved['id']}", json={"data": {"active": False, "attrs": [1], "size": "l"}}
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["data"] == {**saved, "active": False, "attrs": [1], "size": "l"}


async def test_upsert_updates_existing_rows_creates_new_ones_and_clears_what_is_missing(
    client: httpx.AsyncClient, gadgets: str
) -> None:
    labels = "/dynamic-entity/labels"
    await client.post(labels, json={"data": [{"code": 1, "order": "first"}]})

    upserted = await client.put(
        labels, json={"data": [{"code": 1, "order": "one"}, {"code": 2, "order": "two"}]}
    )

    assert upserted.status_code == 200, upserted.text
    assert upserted.json()["data"] == [{"code": 1, "order": "one"}, {"code": 2, "order": "two"}]
    [saved] = (await client.post(gadgets, json={"data": [GADGET_ITEM]})).json()["data"]
    replaced = {k: v for k, v in saved.items() if k not in ("notes", "ratio")}
    put = await client.put(gadgets, json={"data": [replaced]})
    assert put.status_code == 200, put.text
    assert put.json()["data"] == [{**saved, "notes": None, "ratio": None}]


async def test_upsert_of_a_unique_value_held_by_another_row_is_1309_not_an_update_of_it(
    client: httpx.AsyncClient, gadgets: str, engine: AsyncEngine
) -> None:
    """What INSERT ... ON DUPLICATE KEY UPDATE would get wrong: it updates the row holding
    any unique value; dexgate's upsert matches on the identifier alone, as on PostgreSQL."""
    first, second = (
        await client.post(gadgets, json={"data": [GADGET_ITEM, {**GADGET_ITEM, "code": "G-2"}]})
    ).json()["data"]

    clash = await client.put(gadgets, json={"data": [{**second, "code": "G-1"}]})

    assert clash.status_code == 400
    assert clash.json()[0]["code"] == "1309"
    assert "gadgets[0].code" in clash.json()[0]["message"]
    assert await count(engine, "gadget", f"id = {first['id']} AND code = 'G-1'") == 1


@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        ({"code": "G-1"}, "1309", "gadgets[1].code"),
        ({"category_id": 999}, "DX109", "gadgets[1]"),
        ({"notes": "x" * 70_000}, "1306", "`gadgets[1]` for field: `notes`"),
    ],
)
async def test_refusals_of_the_database_carry_the_item_and_its_field(
    client: httpx.AsyncClient,
    gadgets: str,
    engine: AsyncEngine,
    change: dict[str, Any],
    code: str,
    where: str,
) -> None:
    items = [GADGET_ITEM, {**GADGET_ITEM, "code": "G-2", **change}]

    refused = await client.post(gadgets, json={"data": items})

    assert refused.status_code == 400, refused.text
    [error] = refused.json()
    assert error["code"] == code
    assert where in error["message"]
    assert await count(engine, "gadget") == 0  # transactional: the valid item is not kept


async def test_a_partial_request_keeps_the_items_the_database_accepted(
    client: httpx.AsyncClient, gadgets: str, engine: AsyncEngine
) -> None:
    items = [GADGET_ITEM, {**GADGET_ITEM, "code": "G-2", "category_id": 999}]

    response = await client.post(
        gadgets, json={"data": items}, headers={"X-Is-Transactional": "false"}
    )

    assert [row["code"] for row in response.json()["data"]] == ["G-1"]
    assert [error["code"] for error in response.json()["errors"]] == ["DX109"]
    assert await count(engine, "gadget") == 1


async def test_deletes_and_a_parent_with_children_is_1317(
    client: httpx.AsyncClient, gadgets: str, engine: AsyncEngine
) -> None:
    [saved] = (await client.post(gadgets, json={"data": [GADGET_ITEM]})).json()["data"]

    deleted = await client.delete(f"{gadgets}/{saved['id']}")
    blocked = await client.delete("/dynamic-entity/categories/1")

    assert deleted.status_code == 204
    assert await count(engine, "gadget") == 0
    assert blocked.status_code == 400
    assert blocked.json()[0]["code"] == "1317"
    assert "products" in blocked.json()[0]["message"]


async def test_a_write_stopped_by_max_statement_time_is_504_and_rolled_back(
    settings: Settings, admin_key: str, engine: AsyncEngine
) -> None:
    """The server-side half alone: a request limit far away, a statement limit close by."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TRIGGER slow BEFORE INSERT ON product FOR EACH ROW DO SLEEP(5)"
        )
    patient = settings_with(settings, request_timeout=30.0)
    strict = create_engine(patient, statement_timeout=0.5)
    body = {
        "data": [
            {
                "name": "Slow",
                "url": "/slow",
                "products": [{"sku": "SLOW-1", "name": "Slow product", "price": "1.00"}],
            }
        ]
    }
    try:
        async with serving(patient, admin_key, engine=strict) as server:
            response = await server.client.post("/dynamic-entity/categories", json=body)
    finally:
        await strict.dispose()

    assert response.status_code == 504, response.text
    assert response.json()[0]["code"] == "DX504"
    assert await count(engine, "category", "url = '/slow'") == 0
    assert await count(engine, "product", "sku = 'SLOW-1'") == 0
