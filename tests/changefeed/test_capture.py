"""The change feed on every database: triggers record each change of an entity whose feed is
on — through REST, GraphQL, the import's bulk write and plain SQL from another program — with
the right actor, in the writing transaction, under the visible names; the pull API serves them
by cursor, waits for them, refuses pruned cursors and callers without the read grant."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from auth import store
from auth.permissions import Permissions
from schema_builder.changefeed.retention import prune
from schema_builder.changefeed.triggers import installed
from schema_builder.definition import (
    EntityConfiguration,
    EntityDefinition,
    entry_to_dict,
    parse_entry,
)
from schema_builder.operations.bulk import bulk_writer
from schema_builder.tables import change_event
from tests.conftest import settings_with
from tests.lifespan import lifespan
from tests.openapi.support import DOCUMENT, documented_errors, operations

ADMIN = "apikey:test-admin"
FEED = "/change-feed/products"


async def switch_feed(gateway: Gateway, alias: str, on: bool) -> EntityConfiguration:
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    config = dataclasses.replace(stored[alias], change_feed=on)
    await gateway.registry.apply([config])
    return config


@pytest.fixture
async def products(gateway: Gateway) -> EntityConfiguration:
    """The demo's products with the change feed on."""
    return await switch_feed(gateway, "products", True)


@pytest.fixture
async def outside(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Another program's connection: a plain engine, none of dexgate's settings."""
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


async def feed(client: httpx.AsyncClient, query: str = "", path: str = FEED) -> list[Any]:
    response = await client.get(path + query)
    assert response.status_code == 200, response.text
    events: list[Any] = response.json()["data"]
    return events


async def event_count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            await connection.scalar(sa.select(sa.func.count()).select_from(change_event)) or 0
        )


def product(sku: str) -> dict[str, Any]:
    return {"sku": sku, "name": f"Product {sku}", "price": "9.99", "category_id": 1}


async def test_changes_through_rest_are_recorded_with_the_key_as_actor(
    client: httpx.AsyncClient, products: EntityConfiguration
) -> None:
    created = await client.post("/dynamic-entity/products", json={"data": [product("CF-1")]})
    assert created.status_code == 201, created.text
    new_id = created.json()["data"][0]["id_product"]
    patched = await client.patch(
        f"/dynamic-entity/products/{new_id}", json={"data": {"name": "Renamed"}}
    )
    assert patched.status_code == 200, patched.text
    deleted = await client.delete(f"/dynamic-entity/products/{new_id}")
    assert deleted.status_code == 204, deleted.text
    events = await feed(client)
    assert [(e["operation"], e["identifier"], e["actor"]) for e in events] == [
        ("create", new_id, ADMIN),
        ("update", new_id, ADMIN),
        ("delete", new_id, ADMIN),
    ]
    create, update, delete = events
    assert set(create) == {
        "id",
        "entity",
        "operation",
        "identifier",
        "old",
        "new",
        "actor",
        "occurredAt",
        "position",
    }
    assert create["entity"] == "products"
    assert create["old"] is None
    assert create["new"] == {
        "id_product": new_id,
        "sku": "CF-1",
        "name": "Product CF-1",
        "description": None,
        "price": "9.99",
        "is_active": True,
        "category_id": 1,
    }
    assert update["old"] == create["new"]
    assert update["new"] == {**create["new"], "name": "Renamed"}
    assert delete["old"] == update["new"]
    assert delete["new"] is None
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    assert datetime.fromisoformat(create["occurredAt"]) > datetime.now(UTC) - timedelta(minutes=5)


async def test_graphql_import_and_plain_sql_changes_arrive_with_their_actors(
    client: httpx.AsyncClient,
    gateway: Gateway,
    outside: AsyncEngine,
    products: EntityConfiguration,
) -> None:
    query = 'mutation { updateProducts(items: [{id_product: 3, name: "From GraphQL"}]) { items { id_product } } }'  # noqa: E501
    body = (await client.post("/graphql", json={"query": query})).json()
    assert "errors" not in body, body
    catalog = await gateway.registry.current()
    access = Permissions(admin=True, actor="cli:importer")
    async with bulk_writer(
        gateway.engine, catalog, "products", "update", access, transactional=True
    ) as writer:
        assert (await writer.write([{"id_product": 4, "name": "From import"}])).saved == 1
    async with outside.begin() as connection:
        await connection.execute(
            sa.text("UPDATE product SET name = 'From SQL' WHERE id_product = 5")
        )
    events = await feed(client)
    assert [(e["identifier"], e["new"]["name"], e["actor"]) for e in events] == [
        (3, "From GraphQL", ADMIN),
        (4, "From import", "cli:importer"),
        (5, "From SQL", "database"),
    ]


async def test_a_write_after_dexgate_wrote_on_the_same_connection_is_not_its(
    client: httpx.AsyncClient, gateway: Gateway, products: EntityConfiguration
) -> None:
    """The mark of dexgate's write does not outlive it (MariaDB keeps session variables)."""
    patched = await client.patch("/dynamic-entity/products/2", json={"data": {"name": "Mine"}})
    assert patched.status_code == 200, patched.text
    async with gateway.engine.begin() as connection:
        await connection.execute(sa.text("UPDATE product SET name = 'Theirs' WHERE id_product = 2"))
    events = await feed(client)
    assert [(e["new"]["name"], e["actor"]) for e in events] == [
        ("Mine", ADMIN),
        ("Theirs", "database"),
    ]


async def test_rolled_back_writes_and_unchanged_fields_leave_no_event(
    client: httpx.AsyncClient,
    gateway: Gateway,
    engine: AsyncEngine,
    outside: AsyncEngine,
    products: EntityConfiguration,
) -> None:
    # A transactional request with one invalid item writes nothing.
    refused = await client.post(
        "/dynamic-entity/products", json={"data": [product("RB-1"), {"sku": "RB-2"}]}
    )
    assert refused.status_code == 400, refused.text
    # A rolled-back transaction of another program.
    async with outside.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(sa.text("UPDATE product SET name = 'Gone' WHERE id_product = 1"))
        await transaction.rollback()
    # An import that fails rolls back the rows it had saved.
    catalog = await gateway.registry.current()
    access = Permissions(admin=True, actor="cli:importer")
    async with bulk_writer(
        engine, catalog, "products", "create", access, transactional=True
    ) as writer:
        assert (await writer.write([product("RB-3")])).saved == 1
        assert (await writer.write([{"sku": "RB-4"}])).saved == 0
    # Updates that change no field, or only a column that is not configured.
    current = (await client.get("/dynamic-entity/products/1")).json()["data"]
    same = await client.patch(
        "/dynamic-entity/products/1", json={"data": {"name": current["name"]}}
    )
    assert same.status_code == 200, same.text
    async with outside.begin() as connection:
        await connection.execute(
            sa.text("UPDATE product SET name = name, price = price WHERE id_product = 1")
        )
    assert await event_count(engine) == 0
    assert await feed(client) == []


async def test_only_configured_fields_under_their_visible_names(
    client: httpx.AsyncClient, gateway: Gateway, outside: AsyncEngine
) -> None:
    stored = {c.alias: c for c in await gateway.registry.configurations()}
    entry = entry_to_dict(stored["products"])
    entry["changeFeed"] = True
    fields = [f for f in entry["definition"]["fields"] if f["fieldName"] != "description"]
    for f in fields:
        if f["fieldName"] == "price":
            f["fieldVisibleName"] = "unitPrice"
    entry["definition"]["fields"] = fields
    await gateway.registry.apply([parse_entry(entry)])
    async with outside.begin() as connection:
        await connection.execute(
            sa.text("UPDATE product SET description = 'not configured' WHERE id_product = 1")
        )
        await connection.execute(sa.text("UPDATE product SET price = 12.5 WHERE id_product = 1"))
    [event] = await feed(client)
    assert event["identifier"] == 1
    assert "description" not in event["new"]
    assert (event["old"]["unitPrice"], event["new"]["unitPrice"]) != (None, None)
    assert event["new"]["unitPrice"] == "12.50"
    assert set(event["new"]) == {
        "id_product",
        "sku",
        "name",
        "unitPrice",
        "is_active",
        "category_id",
    }


async def test_triggers_follow_the_switch_and_the_removal(
    client: httpx.AsyncClient, gateway: Gateway, engine: AsyncEngine, outside: AsyncEngine
) -> None:
    async with engine.connect() as connection:
        assert await installed(connection) == {}
    await switch_feed(gateway, "products", True)
    async with engine.connect() as connection:
        assert set((await installed(connection)).values()) == {"product"}
    await switch_feed(gateway, "products", False)
    async with engine.connect() as connection:
        assert await installed(connection) == {}
    async with outside.begin() as connection:
        await connection.execute(sa.text("UPDATE product SET name = 'Off' WHERE id_product = 1"))
    assert await event_count(engine) == 0
    off = await client.get(FEED)
    assert off.status_code == 404
    assert off.json()[0]["code"] == "DX140"
    await switch_feed(gateway, "product-stocks", True)
    assert await gateway.registry.remove("product-stocks")
    async with engine.connect() as connection:
        assert await installed(connection) == {}


async def test_cursor_limit_and_order_of_a_page(
    client: httpx.AsyncClient, products: EntityConfiguration
) -> None:
    for i in range(5):
        response = await client.patch(
            "/dynamic-entity/products/1", json={"data": {"name": f"Step {i}"}}
        )
        assert response.status_code == 200, response.text
    first = await client.get(FEED + "?limit=2")
    body = first.json()
    assert [e["new"]["name"] for e in body["data"]] == ["Step 0", "Step 1"]
    assert body["cursor"] == str(body["data"][-1]["position"])
    rest = await feed(client, f"?after={body['cursor']}&limit=1000000")
    assert [e["new"]["name"] for e in rest] == ["Step 2", "Step 3", "Step 4"]
    last = (await client.get(FEED + f"?after={rest[-1]['position']}")).json()
    assert last == {"data": [], "cursor": str(rest[-1]["position"])}


async def test_changes_of_one_row_are_in_commit_order_under_concurrent_writes(
    client: httpx.AsyncClient, products: EntityConfiguration, outside: AsyncEngine
) -> None:
    async def patch(i: int) -> None:
        response = await client.patch(
            "/dynamic-entity/products/7", json={"data": {"name": f"Concurrent {i}"}}
        )
        assert response.status_code == 200, response.text

    async def plain(i: int) -> None:
        async with outside.begin() as connection:
            await connection.execute(
                sa.text("UPDATE product SET name = :name WHERE id_product = 7"),
                {"name": f"Plain {i}"},
            )

    await asyncio.gather(*(patch(i) if i % 2 else plain(i) for i in range(16)))
    events = await feed(client)
    assert len(events) == 16
    # Each event starts from the row the previous one left: none is out of order.
    for before, after in itertools.pairwise(events):
        assert after["old"] == before["new"]
    final = (await client.get("/dynamic-entity/products/7")).json()["data"]
    assert events[-1]["new"] == final
    assert len({e["position"] for e in events}) == 16


async def test_a_long_poll_wakes_on_a_new_event(
    client: httpx.AsyncClient, products: EntityConfiguration, outside: AsyncEngine
) -> None:
    waiting = asyncio.create_task(client.get(FEED + "?wait=20"))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    async with outside.begin() as connection:
        await connection.execute(sa.text("UPDATE product SET name = 'Wake' WHERE id_product = 1"))
    response = await asyncio.wait_for(waiting, 25)
    assert response.status_code == 200, response.text
    assert [e["new"]["name"] for e in response.json()["data"]] == ["Wake"]


async def test_a_pruned_cursor_is_answered_410(
    client: httpx.AsyncClient, engine: AsyncEngine, products: EntityConfiguration
) -> None:
    for i in range(3):
        response = await client.patch(
            "/dynamic-entity/products/1", json={"data": {"name": f"Old {i}"}}
        )
        assert response.status_code == 200, response.text
    events = await feed(client)
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(change_event).values(occurred_at=datetime.now(UTC) - timedelta(days=8))
        )
    response = await client.patch("/dynamic-entity/products/1", json={"data": {"name": "New"}})
    assert response.status_code == 200, response.text
    assert await prune(engine, 7 * 24 * 3600, batch=2) == 3
    gone = await client.get(FEED + f"?after={events[0]['position']}")
    assert gone.status_code == 410, gone.text
    assert gone.json()[0]["code"] == "DX141"
    kept = await feed(client, f"?after={events[-1]['position']}")
    assert [e["new"]["name"] for e in kept] == ["New"]
    assert [e["new"]["name"] for e in await feed(client)] == ["New"]


async def test_the_feed_needs_the_read_grant_and_valid_parameters(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    engine: AsyncEngine,
    products: EntityConfiguration,
) -> None:
    await store.set_role(engine, "stock-reader", ["product-stocks:read", "products:create"])
    key = await store.create_api_key(engine, "no-products", ["stock-reader"])
    refused = await anonymous.get(FEED, headers={"X-Api-Key": key})
    assert refused.status_code == 403, refused.text
    assert refused.json()[0]["code"] == "DX122"
    assert (await anonymous.get(FEED)).status_code == 403
    unknown = await client.get("/change-feed/nothing")
    assert (unknown.status_code, unknown.json()[0]["code"]) == (404, "007")
    for query in ("?after=-1", "?after=x", "?limit=0", "?wait=soon", "?wait=-1", "?wait=nan"):
        bad = await client.get(FEED + query)
        assert (bad.status_code, bad.json()[0]["code"]) == (400, "DX100"), query


def test_change_feed_is_read_and_written_at_the_top_of_an_entry() -> None:
    entry = {
        "tableName": "t",
        "tableAlias": "things",
        "isActive": True,
        "changeFeed": True,
        "definition": {
            "identifier": "id",
            "fields": [
                {
                    "fieldName": "id",
                    "fieldVisibleName": "id",
                    "type": "integer",
                    "isCreatable": False,
                    "isEditable": False,
                    "validation": {"isRequired": False},
                }
            ],
        },
    }
    config = parse_entry(entry)
    assert config.change_feed is True
    assert entry_to_dict(config)["changeFeed"] is True
    off = EntityConfiguration("t", "things", True, EntityDefinition("id", config.definition.fields))
    assert "changeFeed" not in entry_to_dict(off)
    with pytest.raises(Exception, match="changeFeed"):
        parse_entry({**entry, "changeFeed": "yes"})


async def test_the_openapi_document_lists_the_feed_of_entities_that_have_one(
    client: httpx.AsyncClient, products: EntityConfiguration
) -> None:
    document = (await client.get(DOCUMENT)).json()
    validate(document)
    assert "/change-feed/products" in document["paths"]
    assert "/change-feed/categories" not in document["paths"]
    operation = operations(document)[("GET", "/change-feed/products")]
    assert {(410, "DX141"), (400, "DX100"), (403, "DX122"), (404, "007")} <= documented_errors(
        document, operation
    )
    answer = (await client.get(FEED + "?limit=3")).json()
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == set(answer)


async def test_the_serving_process_prunes_events_past_the_retention(
    settings: Settings, engine: AsyncEngine, admin_key: str
) -> None:
    app = create_app(
        settings_with(settings, event_retention=3.0, event_prune_interval=0.1), engine=engine
    )
    async with lifespan(app):
        gateway: Gateway = app.state.gateway
        await switch_feed(gateway, "products", True)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://dexgate.test", headers={"X-Api-Key": admin_key}
        ) as client:
            patched = await client.patch(
                "/dynamic-entity/products/1", json={"data": {"name": "Short-lived"}}
            )
            assert patched.status_code == 200, patched.text
            [event] = await feed(client)
            # Rounds every 0.1 s: within 30 s one must have removed the 3 s old event.
            for _ in range(300):
                if await event_count(engine) == 0:
                    break
                await asyncio.sleep(0.1)
            assert await event_count(engine) == 0
            gone = await client.get(FEED + f"?after={event['position'] - 1}")
            assert (gone.status_code, gone.json()[0]["code"]) == (410, "DX141")
            assert (await client.get(FEED + f"?after={event['position']}")).json()["data"] == []


async def test_a_table_with_a_json_column_is_captured(
    client: httpx.AsyncClient, gateway: Gateway, engine: AsyncEngine, outside: AsyncEngine
) -> None:
    """PostgreSQL's ``json`` has no equality: nothing may compare whole rows."""
    tables = sa.MetaData()
    gadget = sa.Table(
        "gadget",
        tables,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=True),
    )
    async with engine.begin() as connection:
        await connection.run_sync(tables.create_all)
        await connection.execute(sa.insert(gadget).values(id=1, name="one", data={"a": 1}))
    config = await gateway.registry.prefill("gadget", "gadgets")
    await gateway.registry.add(dataclasses.replace(config, is_active=True, change_feed=True))
    async with outside.begin() as connection:
        # Only the json column changes: a whole-row comparison would reach it.
        await connection.execute(sa.text("""UPDATE gadget SET data = '{"b": 2}' WHERE id = 1"""))
        await connection.execute(
            sa.text("INSERT INTO gadget (id, name, data) VALUES (2, 'new', NULL)")
        )
    events = await feed(client, path="/change-feed/gadgets")
    assert [(e["operation"], e["identifier"], e["new"]["name"]) for e in events] == [
        ("update", 1, "one"),
        ("create", 2, "new"),
    ]
    assert (events[0]["old"]["data"], events[0]["new"]["data"]) == ({"a": 1}, {"b": 2})


async def test_triggers_are_replaced_when_the_fields_change(
    client: httpx.AsyncClient, gateway: Gateway, engine: AsyncEngine, outside: AsyncEngine
) -> None:
    config = await switch_feed(gateway, "products", True)
    async with engine.connect() as connection:
        before = set(await installed(connection))
    entry = entry_to_dict(config)
    for f in entry["definition"]["fields"]:
        if f["fieldName"] == "name":
            f["fieldVisibleName"] = "title"
    await gateway.registry.apply([parse_entry(entry)])
    async with engine.connect() as connection:
        after = set(await installed(connection))
    assert after
    assert not after & before
    async with outside.begin() as connection:
        await connection.execute(
            sa.text("UPDATE product SET name = 'Renamed' WHERE id_product = 1")
        )
    [event] = await feed(client)
    assert event["new"]["title"] == "Renamed"
    assert "name" not in event["new"]


async def test_a_table_with_more_fields_than_one_json_call_takes_is_captured_whole(
    client: httpx.AsyncClient, gateway: Gateway, engine: AsyncEngine, outside: AsyncEngine
) -> None:
    """Long argument lists are split: PostgreSQL builds an inserted or deleted row with calls
    of at most 40 fields and joins their objects, SQLite's functions take at most 127
    arguments (json_object, then json_insert). 85 fields: every field and value is kept."""
    tables = sa.MetaData()
    columns = [sa.Column(f"c{n}", sa.Integer, nullable=True) for n in range(1, 85)]
    wide = sa.Table("wide", tables, sa.Column("id", sa.Integer, primary_key=True), *columns)
    async with engine.begin() as connection:
        await connection.run_sync(tables.create_all)
    config = await gateway.registry.prefill("wide", "wides")
    await gateway.registry.add(dataclasses.replace(config, is_active=True, change_feed=True))
    row = {"id": 7, **{f"c{n}": n * 10 for n in range(1, 85)}}
    async with outside.begin() as connection:
        await connection.execute(sa.insert(wide).values(row))
        await connection.execute(sa.delete(wide).where(wide.c.id == 7))
    created, deleted = await feed(client, path="/change-feed/wides")
    assert (created["operation"], created["old"], created["new"]) == ("create", None, row)
    assert (deleted["operation"], deleted["old"], deleted["new"]) == ("delete", row, None)
    assert list(created["new"]) == list(row)  # the entity's field order
