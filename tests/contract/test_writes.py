"""Writing over both transports: create, update, upsert and delete round trips, validation
codes, transactional rollback, partial writes and nested writes.

After a failed transactional write the tables are read back directly to show that nothing
changed.
"""

from __future__ import annotations

from typing import Any

from app import demo
from app.gateway import Gateway
from tests.contract.api import Api, Row
from tests.snapshots import Snapshot
from tests.snapshots import snapshot as engine_snapshot


async def snapshot(gateway: Gateway) -> Snapshot:
    return await engine_snapshot(gateway.engine)


def product(sku: str, **extra: Any) -> Row:
    return {"sku": sku, "name": f"Product {sku}", "price": "19.90", "category_id": 1, **extra}


# --- round trips ---------------------------------------------------------------------------------


async def test_created_row_is_returned_as_stored_and_read_back_the_same(api: Api) -> None:
    created = await api.create("products", [product("  new-1 ", name=" Trimmed ")])
    row = created.row()
    assert row["sku"] == "NEW-1"
    assert row["name"] == "Trimmed"
    assert row["price"] == "19.90"
    assert row["is_active"] is True
    assert row["description"] is None
    assert isinstance(row["id_product"], int)
    assert (await api.get("products", row["id_product"])).row() == row
    assert (await api.list("products", filter={"sku": {"eq": "NEW-1"}})).rows == [row]


async def test_update_changes_only_the_fields_sent(api: Api) -> None:
    before = (await api.get("products", 1)).row()
    updated = await api.update(
        "products",
        [{"id_product": 1, "price": "5.00"}, {"id_product": 2, "name": "Renamed"}],
    )
    assert updated.ok, updated.errors
    assert [r["id_product"] for r in updated.rows] == [1, 2]
    after = (await api.get("products", 1)).row()
    assert after == {**before, "price": "5.00"}
    assert (await api.get("products", 2)).row()["name"] == "Renamed"


async def test_upsert_replaces_an_existing_row_and_creates_a_new_one(api: Api) -> None:
    outcome = await api.upsert(
        "products",
        [
            product("CAM-00001", id_product=1, name="Replaced", is_active=False),
            product("UPS-1", is_active=True),
        ],
    )
    assert outcome.ok, outcome.errors
    replaced, created = outcome.rows
    assert replaced["id_product"] == 1
    assert replaced["name"] == "Replaced"
    assert replaced["is_active"] is False
    assert replaced["description"] is None, "PUT replaces: a field not sent becomes null"
    assert created["sku"] == "UPS-1"
    assert created["id_product"] not in (None, 1)
    assert (await api.get("products", 1)).row() == replaced


async def test_upsert_of_a_missing_identifier_that_is_not_creatable_fails_with_1308(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    outcome = await api.upsert("products", [product("UPS-2", id_product=99999)])
    assert outcome.errors == [("1308", 400)]
    assert await snapshot(gateway) == before


async def test_update_of_a_missing_row_fails_with_1303(api: Api, gateway: Gateway) -> None:
    before = await snapshot(gateway)
    outcome = await api.update("products", [{"id_product": 99999, "name": "Nobody"}])
    assert outcome.errors == [("1303", 404)]
    assert await snapshot(gateway) == before


# --- validation codes ----------------------------------------------------------------------------


async def test_missing_required_field_fails_with_1307_naming_the_item(api: Api) -> None:
    outcome = await api.create("products", [{"name": "No sku", "price": "1.00"}])
    assert outcome.errors == [("1307", 400)]
    assert outcome.messages == ["The required field must not be empty. Field: `products[0].sku`"]


async def test_value_breaking_a_rule_fails_with_1306(api: Api) -> None:
    outcome = await api.create("products", [product("NEG-1", price="-1.00")])
    assert outcome.errors == [("1306", 400)]
    assert outcome.messages[0].startswith("Invalid data value `products[0]` for field: `price`")
    pattern = await api.create("countries", [{"iso2_code": "se", "iso3_code": "SWE", "name": "x"}])
    assert pattern.errors == [("1306", 400)]


async def test_value_of_the_wrong_type_fails_with_1305(api: Api) -> None:
    # A decimal travels as a string on both transports, so its type is the operation's to check.
    outcome = await api.create("products", [product("BAD-1", price="cheap")])
    assert outcome.errors == [("1305", 400)]
    assert outcome.messages == ["Invalid data type `products[0]` for field `price`"]


async def test_duplicate_unique_value_fails_with_1309(api: Api, gateway: Gateway) -> None:
    before = await snapshot(gateway)
    outcome = await api.create("products", [product("CAM-00001")])
    assert outcome.errors == [("1309", 400)]
    assert "`products[0].sku`" in outcome.messages[0]
    assert await snapshot(gateway) == before


async def test_update_without_identifier_fails_with_1310(api: Api) -> None:
    outcome = await api.update("products", [{"name": "Which one?"}])
    assert outcome.errors == [("1310", 400)]
    assert outcome.messages == ["Incomplete Request - missing identifier for `products[0]`"]


async def test_every_error_of_every_item_is_reported_in_item_order(api: Api) -> None:
    outcome = await api.create(
        "products",
        [product("OK-1"), {"name": "No sku", "price": "1.00"}, product("NEG-2", price="-5")],
    )
    assert outcome.errors == [("1307", 400), ("1306", 400)]
    assert "products[1].sku" in outcome.messages[0]
    assert "products[2]" in outcome.messages[1]


# --- transactional and partial writes ------------------------------------------------------------


async def test_transactional_write_that_fails_in_the_database_changes_nothing(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    outcome = await api.create("products", [product("TX-1"), product("LAP-00018")])
    assert not outcome.ok
    assert outcome.rows == []
    assert outcome.errors == [("1309", 400)]
    assert "`products[1].sku`" in outcome.messages[0]
    assert await snapshot(gateway) == before


async def test_transactional_update_that_fails_changes_nothing(api: Api, gateway: Gateway) -> None:
    before = await snapshot(gateway)
    outcome = await api.update(
        "products", [{"id_product": 1, "name": "Changed"}, {"id_product": 2, "sku": "CAM-00001"}]
    )
    assert outcome.errors == [("1309", 400)]
    assert await snapshot(gateway) == before


async def test_partial_write_saves_the_valid_items_and_reports_the_others(
    api: Api, gateway: Gateway
) -> None:
    outcome = await api.create(
        "products",
        [
            product("PART-1"),
            product("CAM-00002"),
            {"name": "No sku", "price": "1.00"},
            product("PART-2"),
        ],
        transactional=False,
    )
    assert not outcome.ok
    assert [row["sku"] for row in outcome.rows] == ["PART-1", "PART-2"]
    assert outcome.errors == [("1309", 400), ("1307", 400)]
    assert "products[1]" in outcome.messages[0]
    assert "products[2]" in outcome.messages[1]
    saved = await api.list("products", filter={"sku": {"like": "PART-%"}})
    assert saved.rows == outcome.rows


async def test_partial_write_where_nothing_is_valid_saves_nothing(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    outcome = await api.create(
        "products", [product("CAM-00003"), product("X", price="-1")], transactional=False
    )
    assert outcome.rows == []
    assert outcome.errors == [("1309", 400), ("1306", 400)], "in item order"
    assert await snapshot(gateway) == before


# --- nested writes -------------------------------------------------------------------------------

DRONES: Row = {
    "name": "Drones",
    "url": " /Drones ",
    "products": [
        {
            "sku": "drn-1",
            "name": "Scout",
            "price": "199.90",
            "stocks": [
                {"warehouse": "Warehouse1", "quantity": 5, "country_id": 1},
                {"warehouse": "Warehouse2", "quantity": 0},
            ],
        },
        {"sku": "drn-2", "name": "Racer", "price": "349.00"},
    ],
}


async def test_nested_create_writes_category_products_and_stocks_linked(api: Api) -> None:
    outcome = await api.create("categories", [DRONES])
    category = outcome.row()
    assert category["url"] == "/drones"
    assert category["is_active"] is True
    scout, racer = category["products"]
    assert [scout["sku"], racer["sku"]] == ["DRN-1", "DRN-2"]
    assert {scout["category_id"], racer["category_id"]} == {category["id_category"]}
    assert [s["warehouse"] for s in scout["stocks"]] == ["Warehouse1", "Warehouse2"]
    assert {s["product_id"] for s in scout["stocks"]} == {scout["id_product"]}
    assert [s["is_never_out_of_stock"] for s in scout["stocks"]] == [False, False]
    assert racer["stocks"] == []
    read = await api.get("categories", category["id_category"], include=["products.stocks"])
    assert read.row() == category


async def test_nested_create_with_an_invalid_grandchild_changes_nothing(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    broken = {
        **DRONES,
        "products": [
            {**DRONES["products"][0], "stocks": [{"warehouse": "Warehouse1", "quantity": -1}]}
        ],
    }
    outcome = await api.create("categories", [broken])
    assert outcome.errors == [("1306", 400)]
    assert outcome.messages[0].startswith(
        "Invalid data value `categories[0].products[0].product-stocks[0]` for field: `quantity`"
    )
    assert await snapshot(gateway) == before


async def test_nested_create_with_a_duplicate_child_changes_nothing(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    duplicate = {**DRONES, "products": [{"sku": "CAM-00004", "name": "Copy", "price": "1.00"}]}
    outcome = await api.create("categories", [duplicate])
    assert outcome.errors == [("1309", 400)]
    assert "categories[0].products[0]" in outcome.messages[0]
    assert await snapshot(gateway) == before


# --- delete --------------------------------------------------------------------------------------


async def test_delete_by_identifier_removes_the_row(api: Api) -> None:
    created = (await api.create("products", [product("DEL-1")])).row()
    deleted = await api.delete("products", created["id_product"])
    assert deleted.ok, deleted.errors
    assert (await api.list("products", filter={"sku": {"eq": "DEL-1"}})).rows == []
    assert (await api.get("products", created["id_product"])).rows == []


async def test_delete_by_filter_removes_every_match(api: Api) -> None:
    await api.create("products", [product(f"TMP-{n}") for n in range(3)])
    assert len((await api.list("products", filter={"sku": {"like": "TMP-%"}})).rows) == 3
    deleted = await api.delete("products", filter={"sku": {"like": "TMP-%"}})
    assert deleted.ok, deleted.errors
    assert (await api.list("products", filter={"sku": {"like": "TMP-%"}})).rows == []
    assert len((await api.list("products")).rows) == len(demo.CATEGORIES) * 17


async def test_delete_of_a_row_with_children_fails_with_1317_and_keeps_it(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    outcome = await api.delete("categories", 1)
    assert outcome.errors == [("1317", 400)]
    assert "Child entity: `products`" in outcome.messages[0]
    assert await snapshot(gateway) == before


async def test_delete_by_filter_removes_the_free_rows_and_reports_the_blocked_ones(
    api: Api,
) -> None:
    empty = (await api.create("categories", [{"name": "Empty", "url": "/empty"}])).row()
    outcome = await api.delete(
        "categories", filter={"id_category": {"in": [2, empty["id_category"]]}}
    )
    assert outcome.errors == [("1317", 400)]
    assert "id_category = 2" in outcome.messages[0]
    remaining = await api.list(
        "categories", filter={"id_category": {"in": [2, empty["id_category"]]}}
    )
    assert [row["id_category"] for row in remaining.rows] == [2]


async def test_delete_of_a_missing_row_fails_with_1303(api: Api) -> None:
    outcome = await api.delete("products", 99999)
    assert outcome.errors == [("1303", 404)]


async def test_delete_without_identifier_or_filter_is_refused_with_dx104(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    outcome = await api.delete("products")
    assert outcome.errors == [("DX104", 400)]
    assert await snapshot(gateway) == before
