"""The Spryker-style configuration of the bench data against entities.json's."""

from __future__ import annotations

import json
from typing import Any

from bench.configurations import CONFIGURATIONS, DEXGATE, SPRYKER, SPRYKER_TYPES
from schema_builder.definition import parse_entries


def entries(path: Any) -> dict[str, dict[str, Any]]:
    """The file's entries by table, with the spy_ prefix of the copies taken off."""
    return {e["tableName"].removeprefix("spy_"): e for e in json.loads(path.read_text())}


def fields(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["fieldName"]: f for f in entry["definition"]["fields"]}


def test_both_files_are_valid_installer_files_with_other_aliases() -> None:
    aliases = [
        config.alias
        for c in CONFIGURATIONS
        for config in parse_entries(json.loads(c.entities.read_text()))
    ]
    assert aliases == [
        "categories",
        "products",
        "stocks",
        "spryker-categories",
        "spryker-products",
        "spryker-stocks",
    ]


def test_spryker_style_uses_only_sprykers_four_types() -> None:
    used = {f["type"] for e in entries(SPRYKER.entities).values() for f in fields(e).values()}
    assert used <= SPRYKER_TYPES
    # the timestamp column is a string, as a Spryker file must declare it
    assert fields(entries(SPRYKER.entities)["product"])["created_at"]["type"] == "string"
    assert fields(entries(DEXGATE.entities)["product"])["created_at"]["type"] == "datetime"


def test_spryker_style_has_the_same_columns_identifiers_and_relationships() -> None:
    ours, spryker = entries(DEXGATE.entities), entries(SPRYKER.entities)
    assert sorted(ours) == sorted(spryker) == ["category", "product", "stock"]
    for table in ours:
        assert list(fields(ours[table])) == list(fields(spryker[table]))
        assert ours[table]["definition"]["identifier"] == spryker[table]["definition"]["identifier"]
        for kind, target in (
            ("childRelations", "childDynamicEntityConfiguration"),
            ("parentRelations", "parentDynamicEntityConfiguration"),
        ):
            mine = ours[table].get(kind, [])
            theirs = spryker[table].get(kind, [])
            assert [r["name"] for r in mine] == [r["name"] for r in theirs]
            assert [r["relationFieldMappings"] for r in mine] == [
                r["relationFieldMappings"] for r in theirs
            ]
            assert [f"spryker-{r[target]['tableAlias']}" for r in mine] == [
                r[target]["tableAlias"] for r in theirs
            ]


def test_spryker_style_visible_names_are_camel_case_and_differ_from_columns() -> None:
    product = fields(entries(SPRYKER.entities)["product"])
    renamed = {c: f["fieldVisibleName"] for c, f in product.items() if f["fieldVisibleName"] != c}
    assert renamed == {
        "id": "idProduct",
        "is_active": "isActive",
        "category_id": "fkCategory",
        "created_at": "createdAt",
    }
    for entry in entries(SPRYKER.entities).values():
        for field in fields(entry).values():
            assert "_" not in field["fieldVisibleName"]


def test_each_configuration_names_the_fields_its_file_declares() -> None:
    for configuration in CONFIGURATIONS:
        declared = {
            table: [f["fieldVisibleName"] for f in fields(entry).values()]
            for table, entry in entries(configuration.entities).items()
        }
        assert list(configuration.product_fields) == declared["product"]
        assert set(configuration.category_fields) <= set(declared["category"])
        assert set(configuration.stock_fields) <= set(declared["stock"])
        product_entry = entries(configuration.entities)["product"]
        assert product_entry["tableAlias"] == configuration.alias
        relations = [r["name"] for r in product_entry["parentRelations"]] + [
            r["name"] for r in product_entry["childRelations"]
        ]
        assert sorted(relations) == sorted(configuration.relationships)
