"""Registering MariaDB tables: each column type read as the field type it holds, ``ENUM`` as
enum validation, ``AUTO_INCREMENT`` keys read-only, unsigned and small integers with their
own ranges."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from schema_builder.definition import EntityConfiguration, FieldDefinition
from schema_builder.registry import CatalogRegistry
from tests.mariadb.cli import ok
from tests.mariadb.tables import GADGET, LABEL, create


async def _prefilled(engine: AsyncEngine, table: str) -> dict[str, FieldDefinition]:
    config = await CatalogRegistry(engine).prefill(table, "things")
    return {f.field_name: f for f in config.definition.fields}


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("id", "integer"),
        ("code", "string"),
        ("active", "boolean"),
        ("level", "integer"),
        ("stock", "integer"),
        ("big", "integer"),
        ("price", "decimal"),
        ("ratio", "float"),
        ("made", "date"),
        ("seen", "datetime"),
        ("changed", "datetime"),
        ("attrs", "json"),
        ("size", "string"),
        ("notes", "string"),
    ],
)
async def test_each_column_type_is_read_as_its_field_type(
    engine: AsyncEngine, column: str, kind: str
) -> None:
    await create(engine, GADGET)
    assert (await _prefilled(engine, "gadget"))[column].type == kind


async def test_validation_comes_from_the_columns(engine: AsyncEngine) -> None:
    await create(engine, GADGET)
    fields = await _prefilled(engine, "gadget")

    assert fields["code"].validation.max_length == 12
    assert fields["code"].validation.is_required
    assert not fields["active"].validation.is_required  # it has a default
    assert (fields["price"].validation.precision, fields["price"].validation.scale) == (10, 2)
    assert fields["size"].validation.enum == ("s", "m", "l")
    assert fields["size"].validation.max_length is None
    assert fields["size"].validation.is_required


async def test_an_auto_increment_key_is_read_only_and_a_chosen_key_creatable(
    engine: AsyncEngine,
) -> None:
    await create(engine, GADGET, LABEL)
    gadget = await _prefilled(engine, "gadget")
    label = await _prefilled(engine, "label")

    assert (gadget["id"].is_creatable, gadget["id"].is_editable) == (False, False)
    assert (label["code"].is_creatable, label["code"].is_editable) == (True, False)
    assert label["order"].is_editable


async def test_integer_columns_carry_their_own_ranges(engine: AsyncEngine) -> None:
    await create(engine, GADGET)
    registry = CatalogRegistry(engine)
    config = await registry.prefill("gadget", "gadgets")
    await registry.add(
        EntityConfiguration(config.table_name, config.alias, True, config.definition)
    )
    entity = (await registry.current()).entity("gadgets")

    ranges = {f.column_name: f.int_range for f in entity.fields if f.type == "integer"}

    assert ranges == {
        "id": (0, 2**64 - 1),
        "level": (-128, 127),
        "stock": (0, 2**24 - 1),
        "big": (0, 2**64 - 1),
        "category_id": (-(2**31), 2**31 - 1),
    }


async def test_entities_add_registers_a_mariadb_table(
    engine: AsyncEngine, database_url: str
) -> None:
    await create(engine, GADGET)

    output = ok(database_url, "entities", "add", "gadget", "--alias", "gadgets", "--activate")

    first, _, document = output.partition("\n")
    assert first == "created: gadgets"
    fields = {f["fieldName"]: f for f in json.loads(document)["definition"]["fields"]}
    assert fields["active"]["type"] == "boolean"
    assert fields["attrs"]["type"] == "json"
    assert fields["size"]["validation"] == {"isRequired": True, "enum": ["s", "m", "l"]}
    assert fields["id"]["isCreatable"] is False
    listed = ok(database_url, "entities", "list").splitlines()
    assert ["gadgets", "gadget", "active"] in [line.split()[:3] for line in listed]
