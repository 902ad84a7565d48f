"""Creating an entity from a table and editing it in the Back Office.

Forms are posted as a browser posts them: every input of the page the server rendered, with
the changes an admin makes. Each saved change is checked where it matters, in the API itself,
and each refused form is checked to have changed nothing.
"""

from __future__ import annotations

import dataclasses
import html
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gateway import Gateway
from schema_builder.definition import entry_to_dict
from tests.admin.conftest import csrf_of

tables = sa.MetaData()
review = sa.Table(
    "review",
    tables,
    sa.Column("id_review", sa.Integer, primary_key=True),
    sa.Column("product_id", sa.Integer, nullable=False),
    sa.Column("title", sa.String(80), nullable=False),
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("stars", sa.Integer, nullable=False),
    sa.Column("price_paid", sa.Numeric(10, 2), nullable=True),
)
spy_customer = sa.Table(
    "spy_customer", tables, sa.Column("id_customer", sa.Integer, primary_key=True)
)
hostile = sa.Table(
    "<script>x</script>",
    tables,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column('"><b>', sa.String(10), nullable=True),
)

_INPUT = re.compile(r"<input\b[^>]*>")
_SELECT = re.compile(r"<select\b[^>]*\bname=\"([^\"]+)\"[^>]*>(.*?)</select>", re.S)
_OPTION = re.compile(r"<option value=\"([^\"]*)\"([^>]*)>")
_ATTR = re.compile(r'(\w[\w-]*)(?:="([^"]*)")?')


def form_data(page: str) -> dict[str, str]:
    """What a browser submits for the page's form as rendered: every named input (checked
    checkboxes only) and the selected option of every select."""
    data: dict[str, str] = {}
    for tag in _INPUT.findall(page):
        attrs = {k: html.unescape(v) for k, v in _ATTR.findall(tag[len("<input") :])}
        name = attrs.get("name")
        if not name:
            continue
        if attrs.get("type") == "checkbox":
            if "checked" in attrs:
                data[name] = attrs.get("value") or "on"
        else:
            data[name] = attrs.get("value", "")
    for name, body in _SELECT.findall(page):
        options = _OPTION.findall(body)
        chosen = [value for value, rest in options if "selected" in rest]
        if chosen or options:
            data[name] = html.unescape(chosen[0] if chosen else options[0][0])
    return data


def row_of(data: dict[str, str], column: str) -> str:
    """The input name prefix of the field row for ``column``."""
    for key, value in data.items():
        if key.endswith("-column") and value == column:
            return key[: -len("column")]
    raise AssertionError(f"no row for {column}")


def relation_prefix(data: dict[str, str], index: int) -> str:
    return f"relation-{index}-"


def error_beside(page: httpx.Response, key: str) -> str | None:
    """The message shown next to input (or row) ``key``, None when there is none."""
    found = re.search(rf'id="{re.escape(key)}-error">([^<]*)<', page.text)
    return None if found is None else html.unescape(found.group(1))


@pytest.fixture
async def review_table(engine: AsyncEngine) -> sa.Table:
    async with engine.begin() as connection:
        await connection.run_sync(tables.create_all)
    return review


async def registry_rows(gateway: Gateway) -> list[dict[str, Any]]:
    return [entry_to_dict(c) for c in await gateway.registry.configurations()]


async def open_new(admin: httpx.AsyncClient, table: str = "review") -> tuple[str, dict[str, str]]:
    page = await admin.get("/admin/new-entity", params={"table": table})
    assert page.status_code == 200, page.text
    return page.text, form_data(page.text)


async def test_the_new_entity_page_offers_only_tables_that_may_be_exposed(
    admin: httpx.AsyncClient, review_table: sa.Table
) -> None:
    page = await admin.get("/admin/new-entity")
    assert page.status_code == 200
    offered = [html.unescape(v) for v, _ in _OPTION.findall(page.text)]
    assert "review" in offered
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text
    assert "<script>x" not in page.text
    for refused in ("product", "category", "spy_customer", "dexgate_entity_configuration"):
        assert refused not in offered
    denied = await admin.get("/admin/new-entity", params={"table": "spy_customer"})
    assert denied.status_code == 400
    assert "cannot be exposed" in denied.text
    registered = await admin.get("/admin/new-entity", params={"table": "product"})
    assert registered.status_code == 400


async def test_the_editor_is_prefilled_from_the_table(
    admin: httpx.AsyncClient, review_table: sa.Table
) -> None:
    page, data = await open_new(admin)
    assert data["alias"] == "reviews"
    assert data["identifier"] == "id_review"
    title = row_of(data, "title")
    assert data[title + "include"] == "1"
    assert data[title + "type"] == "string"
    assert data[title + "required"] == "1"
    assert data[title + "max_length"] == "80"
    assert data[title + "creatable"] == "1"
    body = row_of(data, "body")
    assert body + "required" not in data
    price = row_of(data, "price_paid")
    assert data[price + "type"] == "decimal"
    assert (data[price + "precision"], data[price + "scale"]) == ("10", "2")
    key = row_of(data, "id_review")
    assert key + "creatable" not in data
    assert "VARCHAR(80) NOT NULL" in page


async def test_a_created_entity_keeps_what_the_table_tells_beyond_the_form(
    admin: httpx.AsyncClient, gateway: Gateway, review_table: sa.Table
) -> None:
    _, data = await open_new(admin)
    assert (await admin.post("/admin/new-entity", data=data)).status_code == 303
    config = next(c for c in await gateway.registry.configurations() if c.alias == "reviews")
    assert not config.is_active
    key = next(f for f in config.definition.fields if f.field_name == "id_review")
    assert key.description == "The primary key of this table."


async def test_an_entity_created_from_a_table_is_served_with_its_rule_and_relationship(
    admin: httpx.AsyncClient, admin_key: str, gateway: Gateway, review_table: sa.Table
) -> None:
    _, data = await open_new(admin)
    stars = row_of(data, "stars")
    data[stars + "min"] = "1"
    data[stars + "max"] = "5"
    data[row_of(data, "title") + "trim"] = "1"
    data[row_of(data, "price_paid") + "include"] = ""
    rel = relation_prefix(data, 0)
    data |= {
        rel + "name": "product",
        rel + "kind": "belongsTo",
        rel + "target": "products",
        rel + "child_field": "product_id",
        rel + "parent_field": "id_product",
    }
    data["active"] = "1"
    data["deletable"] = "1"
    saved = await admin.post("/admin/new-entity", data=data)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/admin/entities/reviews"
    shown = await admin.get("/admin/entities/reviews")
    assert "reviews is created: served by the API now." in shown.text

    api = {"X-Api-Key": admin_key}
    created = await admin.post(
        "/dynamic-entity/reviews",
        headers=api,
        json={"data": [{"product_id": 1, "title": "  Good  ", "stars": 5}]},
    )
    assert created.status_code == 201, created.text
    row = created.json()["data"][0]
    assert row["title"] == "Good"
    assert "price_paid" not in row
    refused = await admin.post(
        "/dynamic-entity/reviews",
        headers=api,
        json={"data": [{"product_id": 1, "title": "Bad", "stars": 9}]},
    )
    assert refused.status_code == 400
    assert refused.json()[0]["code"] == "1306"
    listed = await admin.get("/dynamic-entity/reviews?include=product", headers=api)
    assert listed.json()["data"][0]["product"]["id_product"] == 1


async def test_a_refused_form_saves_nothing_and_shows_each_problem_beside_its_input(
    admin: httpx.AsyncClient, gateway: Gateway, review_table: sa.Table
) -> None:
    before = await registry_rows(gateway)
    _, data = await open_new(admin)
    stars, title = row_of(data, "stars"), row_of(data, "title")
    data[stars + "min"] = "one"
    data[title + "enum"] = "a,,b"
    data[stars + "default"] = "many"
    refused = await admin.post("/admin/new-entity", data=data)
    assert refused.status_code == 400
    assert "Nothing was saved" in refused.text
    assert f'id="{stars}min-error">Enter an integer.</span>' in refused.text
    assert f'id="{title}enum-error">List string values separated by commas.' in refused.text
    assert f'id="{stars}default-error">Enter a value of type integer.' in refused.text
    kept = form_data(refused.text)
    assert kept[stars + "min"] == "one"
    assert kept[title + "enum"] == "a,,b"
    assert await registry_rows(gateway) == before


async def test_definition_problems_show_on_their_row_and_save_nothing(
    admin: httpx.AsyncClient, gateway: Gateway, review_table: sa.Table
) -> None:
    before = await registry_rows(gateway)
    _, data = await open_new(admin)
    stars, title = row_of(data, "stars"), row_of(data, "title")
    data[stars + "min"] = "5"
    data[stars + "max"] = "1"
    data[title + "pattern"] = "([a-z"
    data[title + "type"] = "integer"
    rel = relation_prefix(data, 0)
    data |= {
        rel + "name": "product",
        rel + "kind": "belongsTo",
        rel + "target": "products",
        rel + "child_field": "no_such_column",
        rel + "parent_field": "id_product",
    }
    refused = await admin.post("/admin/new-entity", data=data)
    assert refused.status_code == 400
    assert "`min` must be less than `max`" in (error_beside(refused, stars[:-1]) or "")
    assert "not a valid regular expression" in (error_beside(refused, title[:-1]) or "")
    # The database is asked about columns only once the definition itself is right.
    assert error_beside(refused, "relation-0") is None
    assert await registry_rows(gateway) == before

    data[stars + "min"], data[stars + "max"] = "1", "5"
    data[title + "pattern"], data[title + "type"] = "", "string"
    refused = await admin.post("/admin/new-entity", data=data)
    assert refused.status_code == 400
    relation_error = error_beside(refused, "relation-0") or ""
    assert "`no_such_column` is not a column of `review`" in relation_error
    assert await registry_rows(gateway) == before


async def test_a_type_that_does_not_fit_its_column_is_refused_on_its_row(
    admin: httpx.AsyncClient, gateway: Gateway, review_table: sa.Table
) -> None:
    _, data = await open_new(admin)
    stars = row_of(data, "stars")
    data[stars + "type"] = "date"
    refused = await admin.post("/admin/new-entity", data=data)
    assert refused.status_code == 400
    assert "Type `date` does not fit column `stars`" in (error_beside(refused, stars[:-1]) or "")
    assert "reviews" not in [c.alias for c in await gateway.registry.configurations()]


async def test_an_alias_that_is_taken_or_invalid_is_refused(
    admin: httpx.AsyncClient, gateway: Gateway, review_table: sa.Table
) -> None:
    before = await registry_rows(gateway)
    _, data = await open_new(admin)
    for alias, message in (
        ("products", "Alias products is taken by another entity."),
        ("my reviews", "Use only letters, digits"),
        ("", "Give an alias"),
    ):
        refused = await admin.post("/admin/new-entity", data={**data, "alias": alias})
        assert refused.status_code == 400
        assert message in html.unescape(refused.text)
    assert await registry_rows(gateway) == before


async def test_a_table_that_may_not_be_exposed_cannot_be_posted(
    admin: httpx.AsyncClient, gateway: Gateway, review_table: sa.Table
) -> None:
    before = await registry_rows(gateway)
    _, data = await open_new(admin)
    data |= {"table": "spy_customer", "identifier": "id_customer", "field_count": "1"}
    data |= {"field-0-column": "id_customer", "field-0-name": "id", "field-0-type": "integer"}
    refused = await admin.post("/admin/new-entity", data=data)
    assert refused.status_code == 303
    assert await registry_rows(gateway) == before


async def test_editing_renames_a_field_and_keeps_what_the_form_does_not_show(
    admin: httpx.AsyncClient, admin_key: str, gateway: Gateway
) -> None:
    stored = next(c for c in await gateway.registry.configurations() if c.alias == "products")
    described = tuple(
        dataclasses.replace(f, description="Stock keeping unit.", examples="SKU-1")
        if f.field_name == "sku"
        else f
        for f in stored.definition.fields
    )
    definition = dataclasses.replace(stored.definition, fields=described)
    await gateway.registry.apply([dataclasses.replace(stored, definition=definition)])
    page = await admin.get("/admin/entities/products/edit")
    assert page.status_code == 200
    data = form_data(page.text)
    assert "alias" not in data
    name = row_of(data, "name")
    data[name + "name"] = "title"
    data[row_of(data, "description") + "include"] = ""
    saved = await admin.post("/admin/entities/products/edit", data=data)
    assert saved.status_code == 303, saved.text
    assert (
        "products is saved: served by the API now."
        in (await admin.get("/admin/entities/products")).text
    )
    row = (await admin.get("/dynamic-entity/products/1", headers={"X-Api-Key": admin_key})).json()[
        "data"
    ]
    assert "title" in row
    assert "name" not in row
    assert "description" not in row
    config = next(c for c in await gateway.registry.configurations() if c.alias == "products")
    sku = next(f for f in config.definition.fields if f.field_name == "sku")
    assert (sku.description, sku.examples) == ("Stock keeping unit.", "SKU-1")
    assert [r.name for r in config.relations] == ["stocks", "category"]


async def test_the_editor_shows_excluded_columns_and_includes_them_again(
    admin: httpx.AsyncClient, admin_key: str, gateway: Gateway
) -> None:
    data = form_data((await admin.get("/admin/entities/products/edit")).text)
    description = row_of(data, "description")
    data[description + "include"] = ""
    assert (await admin.post("/admin/entities/products/edit", data=data)).status_code == 303
    data = form_data((await admin.get("/admin/entities/products/edit")).text)
    description = row_of(data, "description")
    assert description + "include" not in data
    data[description + "include"] = "1"
    assert (await admin.post("/admin/entities/products/edit", data=data)).status_code == 303
    row = (await admin.get("/dynamic-entity/products/1", headers={"X-Api-Key": admin_key})).json()[
        "data"
    ]
    assert "description" in row


async def test_a_relationship_is_removed_and_an_edit_of_it_is_served(
    admin: httpx.AsyncClient, admin_key: str, gateway: Gateway
) -> None:
    data = form_data((await admin.get("/admin/entities/products/edit")).text)
    assert data["relation-0-name"] == "stocks"
    assert data["relation-1-name"] == "category"
    data["relation-0-remove"] = "1"
    data["relation-1-name"] = "group"
    assert (await admin.post("/admin/entities/products/edit", data=data)).status_code == 303
    api = {"X-Api-Key": admin_key}
    gone = await admin.get("/dynamic-entity/products?include=stocks", headers=api)
    assert gone.status_code == 400
    assert gone.json()[0]["code"] == "1313"
    renamed = await admin.get("/dynamic-entity/products?include=group", headers=api)
    assert renamed.status_code == 200
    assert renamed.json()["data"][0]["group"]["id_category"] is not None


async def test_a_relationship_name_that_clashes_with_a_field_is_shown_on_its_row(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await registry_rows(gateway)
    data = form_data((await admin.get("/admin/entities/products/edit")).text)
    data["relation-1-name"] = "sku"
    refused = await admin.post("/admin/entities/products/edit", data=data)
    assert refused.status_code == 400
    assert "same name as a field" in (error_beside(refused, "relation-1") or "")
    assert await registry_rows(gateway) == before


async def test_a_graphql_type_name_graphql_reserves_is_shown_beside_its_input(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await registry_rows(gateway)
    data = form_data((await admin.get("/admin/entities/products/edit")).text)
    data["graphql_name"] = "__Goods"
    refused = await admin.post("/admin/entities/products/edit", data=data)
    assert refused.status_code == 400
    assert "GraphQL reserves" in (error_beside(refused, "graphql_name") or "")
    assert await registry_rows(gateway) == before


async def test_editing_without_the_csrf_token_changes_nothing(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    before = await registry_rows(gateway)
    page = await admin.get("/admin/entities/products/edit")
    data = form_data(page.text)
    assert data["csrf_token"] == csrf_of(page)
    data["csrf_token"] = "forged"
    data[row_of(data, "name") + "name"] = "title"
    refused = await admin.post("/admin/entities/products/edit", data=data)
    assert refused.status_code == 403
    assert await registry_rows(gateway) == before


async def test_editing_an_unknown_entity_is_a_404(admin: httpx.AsyncClient) -> None:
    assert (await admin.get("/admin/entities/nothing/edit")).status_code == 404


async def test_names_from_the_database_render_as_text(
    admin: httpx.AsyncClient, review_table: sa.Table
) -> None:
    page, data = await open_new(admin, hostile.name)
    assert "<b>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert '"><b>' in data.values()


async def test_a_new_entity_posted_under_a_registered_alias_replaces_nothing(
    admin: httpx.AsyncClient, gateway: Gateway, review_table: sa.Table
) -> None:
    """A form posted for a registered alias is refused before anything is written (the form's
    own check; the registry's add would refuse it too, as for `dexgate entities add`)."""
    _, data = await open_new(admin)
    before = await registry_rows(gateway)
    refused = await admin.post("/admin/new-entity", data={**data, "alias": "products"})
    assert refused.status_code == 400
    assert "Alias products is taken by another entity." in refused.text
    assert await registry_rows(gateway) == before


async def test_the_change_feed_checkbox_switches_capture_on_and_off(
    admin: httpx.AsyncClient, admin_key: str, gateway: Gateway, engine: AsyncEngine
) -> None:
    data = form_data((await admin.get("/admin/entities/products/edit")).text)
    assert "change_feed" not in data
    data["change_feed"] = "1"
    assert (await admin.post("/admin/entities/products/edit", data=data)).status_code == 303
    assert "change feed</span>" in (await admin.get("/admin/entities/products")).text
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE product SET name = 'Fed' WHERE id_product = 1"))
    feed = await admin.get("/change-feed/products", headers={"X-Api-Key": admin_key})
    assert [e["new"]["name"] for e in feed.json()["data"]] == ["Fed"]
    data = form_data((await admin.get("/admin/entities/products/edit")).text)
    assert data["change_feed"]
    del data["change_feed"]
    assert (await admin.post("/admin/entities/products/edit", data=data)).status_code == 303
    config = next(c for c in await gateway.registry.configurations() if c.alias == "products")
    assert not config.change_feed
    off = await admin.get("/change-feed/products", headers={"X-Api-Key": admin_key})
    assert off.json()[0]["code"] == "DX140"
