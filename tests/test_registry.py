"""The entity registry against a live database (SQLite and PostgreSQL): apply, prune, refusals,
prefill and removal, and the catalog it serves."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import demo_entries
from app.settings import DEFAULT_DENIED_TABLES
from schema_builder.definition import (
    EntityConfiguration,
    EntityDefinition,
    FieldDefinition,
    RelationDefinition,
    Validation,
    entry_to_dict,
    parse_entries,
    parse_entry,
)
from schema_builder.errors import ConfigurationError, ConfigurationNotFoundError, Problem
from schema_builder.registry import CatalogRegistry
from schema_builder.store import read_version
from schema_builder.tables import (
    catalog_state,
    entity_configuration,
    entity_relation,
    relation_field_mapping,
)

DEMO_ALIASES = ["countries", "categories", "products", "product-stocks"]

extra_tables = sa.MetaData()

gadget = sa.Table(
    "gadget",
    extra_tables,
    sa.Column("id_gadget", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(40), nullable=False, unique=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("price", sa.Numeric(10, 2), nullable=False),
    sa.Column("weight", sa.Float, nullable=True),
    sa.Column("released_on", sa.Date, nullable=True),
    sa.Column("seen_at", sa.DateTime, nullable=True),
    sa.Column("is_ok", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("attributes", sa.JSON, nullable=True),
    sa.Column("category_id", sa.Integer, nullable=True),
)

gizmo = sa.Table(
    "gizmo",
    extra_tables,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(20), nullable=False),
)

currency = sa.Table(
    "currency",
    extra_tables,
    sa.Column("code", sa.String(3), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)

spy_customer = sa.Table(
    "spy_customer",
    extra_tables,
    sa.Column("id_customer", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(255), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    extra_tables,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("message", sa.Text, nullable=False),
)


def make_registry(
    engine: AsyncEngine, denied_tables: tuple[str, ...] = DEFAULT_DENIED_TABLES
) -> CatalogRegistry:
    return CatalogRegistry(engine, denied_tables=denied_tables, check_interval=0)


@pytest.fixture
async def registry(engine: AsyncEngine) -> CatalogRegistry:
    """A registry over the demo database, with the extra tables created (not registered)."""
    async with engine.begin() as connection:
        await connection.run_sync(extra_tables.create_all)
    return make_registry(engine)


async def version_of(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return await read_version(connection)


async def stored_rows(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of dexgate's registry tables, to prove that nothing changed."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as connection:
        for table in (catalog_state, entity_configuration, entity_relation, relation_field_mapping):
            rows = await connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            result[table.name] = [tuple(row) for row in rows]
    return result


def demo_entry(alias: str) -> dict[str, Any]:
    entry = next(e for e in demo_entries() if e["tableAlias"] == alias)
    return copy.deepcopy(entry)


def by_alias(configurations: list[EntityConfiguration]) -> dict[str, EntityConfiguration]:
    return {c.alias: c for c in configurations}


async def refused(
    registry: CatalogRegistry, configurations: list[EntityConfiguration], *, prune: bool = False
) -> tuple[Problem, ...]:
    """Apply, expect a refusal, and check that nothing stored changed."""
    before = await stored_rows(registry.engine)
    with pytest.raises(ConfigurationError) as raised:
        await registry.apply(configurations, prune=prune)
    assert await stored_rows(registry.engine) == before
    return raised.value.problems


# --- apply ---------------------------------------------------------------------------------


async def test_apply_creates_a_new_entry_and_bumps_the_catalog_version(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    version = await version_of(engine)
    config = await registry.prefill("gadget")

    report = await registry.apply([config])

    assert report.created == ["gadgets"]
    assert (report.updated, report.unchanged, report.deactivated) == ([], [], [])
    assert await version_of(engine) == version + 1
    stored = by_alias(await registry.configurations())
    assert list(stored) == [*DEMO_ALIASES, "gadgets"]
    assert stored["gadgets"] == config


async def test_applying_the_same_entries_again_changes_nothing(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    gadgets = await registry.prefill("gadget")
    await registry.apply([gadgets])
    version = await version_of(engine)
    before = await stored_rows(engine)

    report = await registry.apply([*parse_entries(demo_entries()), gadgets])

    assert report.unchanged == [*DEMO_ALIASES, "gadgets"]
    assert (report.created, report.updated, report.deactivated) == ([], [], [])
    assert report.changed is False
    assert await version_of(engine) == version
    assert await stored_rows(engine) == before


async def test_reapplying_an_edited_entry_updates_it(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    version = await version_of(engine)
    entry = demo_entry("countries")
    name = next(f for f in entry["definition"]["fields"] if f["fieldName"] == "name")
    name["validation"]["maxLength"] = 100
    name["fieldVisibleName"] = "country_name"
    entry["definition"]["isDeletable"] = True

    report = await registry.apply([parse_entry(entry)])

    assert report.updated == ["countries"]
    assert (report.created, report.unchanged) == ([], [])
    assert await version_of(engine) == version + 1
    stored = by_alias(await registry.configurations())["countries"]
    assert entry_to_dict(stored) == entry_to_dict(parse_entry(entry))
    entity = (await registry.current()).entity("countries")
    assert entity.configuration.definition.is_deletable is True
    assert entity.by_name["country_name"].definition.validation.max_length == 100
    assert "name" not in entity.by_name


async def test_reapplying_an_entry_with_edited_relations_replaces_them(
    registry: CatalogRegistry,
) -> None:
    entry = demo_entry("countries")
    entry["childRelations"][0]["name"] = "stock_items"
    entry["childRelations"][0]["isEditable"] = True

    report = await registry.apply([parse_entry(entry)])

    assert report.updated == ["countries"]
    stored = by_alias(await registry.configurations())
    assert stored["countries"].relations == (
        RelationDefinition(
            "stock_items", "hasMany", "product-stocks", "country_id", "id_country", True
        ),
    )
    entity = (await registry.current()).entity("countries")
    assert list(entity.relations) == ["stock_items"]


async def test_apply_with_a_new_alias_for_a_registered_table_renames_the_entity(
    registry: CatalogRegistry,
) -> None:
    await registry.apply([await registry.prefill("gizmo", "gizmos")])

    report = await registry.apply([await registry.prefill("gizmo", "widgets")])

    assert report.updated == ["widgets"]
    aliases = [c.alias for c in await registry.configurations()]
    assert aliases == [*DEMO_ALIASES, "widgets"]


async def test_entries_not_listed_stay_active_without_prune(
    registry: CatalogRegistry,
) -> None:
    report = await registry.apply([parse_entry(demo_entry("countries"))])

    assert report.deactivated == []
    assert all(c.is_active for c in await registry.configurations())


async def test_prune_deactivates_entries_not_listed(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    version = await version_of(engine)
    listed = [parse_entry(demo_entry("countries")), parse_entry(demo_entry("categories"))]

    report = await registry.apply(listed, prune=True)

    assert report.deactivated == ["products", "product-stocks"]
    assert report.unchanged == ["countries", "categories"]
    assert await version_of(engine) == version + 1
    active = {c.alias: c.is_active for c in await registry.configurations()}
    assert active == {
        "countries": True,
        "categories": True,
        "products": False,
        "product-stocks": False,
    }
    catalog = await registry.current()
    assert set(catalog.entities) == {"countries", "categories"}

    again = await registry.apply(listed, prune=True)

    assert (again.deactivated, again.changed) == ([], False)
    assert await version_of(engine) == version + 1


async def test_export_then_apply_round_trips_without_change(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    gadgets = await registry.prefill("gadget")
    gadgets = replace(
        gadgets,
        relations=(
            RelationDefinition("category", "belongsTo", "categories", "category_id", "id_category"),
        ),
    )
    await registry.apply([gadgets])
    version = await version_of(engine)
    exported = json.loads(json.dumps([entry_to_dict(c) for c in await registry.configurations()]))

    report = await registry.apply(parse_entries(exported))

    assert report.unchanged == [*DEMO_ALIASES, "gadgets"]
    assert report.changed is False
    assert await version_of(engine) == version
    assert [entry_to_dict(c) for c in await registry.configurations()] == exported


# --- refusals ------------------------------------------------------------------------------


async def test_entry_for_a_missing_table_is_refused(registry: CatalogRegistry) -> None:
    config = replace(await registry.prefill("gizmo"), table_name="nowhere", alias="nowheres")

    problems = await refused(registry, [config])

    assert problems == (
        Problem(
            "nowheres",
            "Table `nowhere` does not exist in the database.",
            fix="Create the table first, or correct `tableName`.",
        ),
    )


async def test_field_for_a_missing_column_is_refused(registry: CatalogRegistry) -> None:
    entry = demo_entry("countries")
    entry["definition"]["fields"].append(
        {
            "fieldName": "capital",
            "fieldVisibleName": "capital_city",
            "type": "string",
            "isCreatable": True,
            "isEditable": True,
            "validation": {"isRequired": False},
        }
    )

    problems = await refused(registry, [parse_entry(entry)])

    assert problems == (
        Problem(
            "countries",
            "Column `capital` does not exist in table `country`.",
            "capital_city",
            "Use one of: id_country, iso2_code, iso3_code, name.",
        ),
    )


async def test_identifier_that_is_not_a_key_is_refused(registry: CatalogRegistry) -> None:
    entry = demo_entry("products")
    entry["definition"]["identifier"] = "name"

    problems = await refused(registry, [parse_entry(entry)])

    assert problems == (
        Problem(
            "products",
            "Identifier `name` is not a key of table `product`.",
            fix="Use the primary key or a column with a unique constraint.",
        ),
    )


async def test_unique_column_is_accepted_as_identifier(registry: CatalogRegistry) -> None:
    entry = demo_entry("countries")
    entry["definition"]["identifier"] = "iso2_code"

    report = await registry.apply([parse_entry(entry)])

    assert report.updated == ["countries"]
    entity = (await registry.current()).entity("countries")
    assert entity.identifier.column_name == "iso2_code"


async def test_type_that_does_not_fit_the_column_is_refused(registry: CatalogRegistry) -> None:
    entry = demo_entry("countries")
    name = next(f for f in entry["definition"]["fields"] if f["fieldName"] == "name")
    name["type"] = "integer"
    del name["validation"]["maxLength"]

    problems = await refused(registry, [parse_entry(entry)])

    assert len(problems) == 1
    problem = problems[0]
    assert (problem.entity, problem.field) == ("countries", "name")
    assert problem.message.startswith("Type `integer` does not fit column `name` (VARCHAR")
    assert problem.fix == "Use `string`."


async def test_relation_mapping_to_a_missing_column_is_refused(
    registry: CatalogRegistry,
) -> None:
    entry = demo_entry("countries")
    entry["childRelations"][0]["relationFieldMappings"][0]["childFieldName"] = "land_id"

    problems = await refused(registry, [parse_entry(entry)])

    assert problems == (
        Problem(
            "countries",
            "`childFieldName` `land_id` is not a column of `product_stock`.",
            "relation stocks",
        ),
    )


async def test_parent_relation_mapping_to_a_missing_column_is_refused(
    registry: CatalogRegistry,
) -> None:
    entry = demo_entry("products")
    entry["parentRelations"][0]["relationFieldMappings"][0]["parentFieldName"] = "id_cat"

    problems = await refused(registry, [parse_entry(entry)])

    assert problems == (
        Problem(
            "products",
            "`parentFieldName` `id_cat` is not a column of `category`.",
            "relation category",
        ),
    )


async def test_relation_to_an_unknown_alias_is_refused(registry: CatalogRegistry) -> None:
    entry = demo_entry("countries")
    entry["childRelations"][0]["childDynamicEntityConfiguration"]["tableAlias"] = "warehouses"

    problems = await refused(registry, [parse_entry(entry)])

    assert problems == (
        Problem(
            "countries",
            "Relation `stocks` points at unknown entity `warehouses`.",
            "relation stocks",
            "Register that entity in the same file or before this one.",
        ),
    )


async def test_removing_an_alias_that_others_relate_to_is_refused_on_rename(
    registry: CatalogRegistry,
) -> None:
    entry = demo_entry("countries")
    entry["tableAlias"] = "lands"

    problems = await refused(registry, [parse_entry(entry)])

    assert [(p.entity, p.message) for p in problems] == [
        ("product-stocks", "Relation `country` points at unknown entity `countries`.")
    ]


async def test_two_entries_with_the_same_alias_are_refused(registry: CatalogRegistry) -> None:
    gadgets = await registry.prefill("gadget", "things")
    gizmos = await registry.prefill("gizmo", "things")

    problems = await refused(registry, [gadgets, gizmos])

    assert [(p.entity, p.message) for p in problems] == [
        ("things", "The alias is used by more than one entity.")
    ]


async def test_two_entries_for_the_same_table_are_refused(registry: CatalogRegistry) -> None:
    first = await registry.prefill("gadget", "gadgets")
    second = await registry.prefill("gadget", "widgets")

    problems = await refused(registry, [first, second])

    assert problems == (
        Problem(
            "gadget", "Table `gadget` is registered more than once.", fix="One alias per table."
        ),
    )


async def test_alias_of_one_entity_with_table_of_another_is_refused(
    registry: CatalogRegistry,
) -> None:
    gadgets = await registry.prefill("gadget", "gadgets")
    gizmos = await registry.prefill("gizmo", "gizmos")
    await registry.apply([gadgets, gizmos])

    problems = await refused(registry, [replace(gizmos, alias="gadgets")])

    assert problems == (
        Problem("gizmo", "Table `gizmo` is registered more than once.", fix="One alias per table."),
    )


async def test_dexgate_own_tables_are_refused_even_without_a_deny_list(
    engine: AsyncEngine,
) -> None:
    registry = make_registry(engine, denied_tables=())
    config = EntityConfiguration(
        "dexgate_entity_configuration",
        "configurations",
        True,
        EntityDefinition("id", (FieldDefinition("id", "id", "integer", False, False),)),
    )

    problems = await refused(registry, [config])

    assert [(p.entity, p.message) for p in problems] == [
        ("configurations", "Table `dexgate_entity_configuration` may not be exposed.")
    ]
    with pytest.raises(ConfigurationError, match="may not be exposed"):
        await registry.prefill("dexgate_entity_configuration")


async def test_spryker_deny_listed_table_is_refused(registry: CatalogRegistry) -> None:
    config = await make_registry(registry.engine, denied_tables=()).prefill("spy_customer")
    assert config.alias == "customers"

    problems = await refused(registry, [config])

    assert [(p.entity, p.message) for p in problems] == [
        ("customers", "Table `spy_customer` may not be exposed.")
    ]
    with pytest.raises(ConfigurationError, match="may not be exposed"):
        await registry.prefill("spy_customer")


async def test_table_matching_a_configured_deny_pattern_is_refused(
    registry: CatalogRegistry,
) -> None:
    config = await registry.prefill("audit_log", "audit-logs")
    strict = make_registry(registry.engine, denied_tables=("audit_*",))

    problems = await refused(strict, [config])

    assert [(p.entity, p.message) for p in problems] == [
        ("audit-logs", "Table `audit_log` may not be exposed.")
    ]
    with pytest.raises(ConfigurationError, match="may not be exposed"):
        await strict.prefill("audit_log")
    assert (await registry.apply([config])).created == ["audit-logs"]


async def test_available_tables_leave_out_registered_denied_and_own_tables(
    registry: CatalogRegistry,
) -> None:
    available = await registry.available_tables()

    assert available == ["audit_log", "currency", "gadget", "gizmo", "product_review"]
    strict = make_registry(registry.engine, denied_tables=("g*",))
    assert await strict.available_tables() == [
        "audit_log",
        "currency",
        "product_review",
        "spy_customer",
    ]


async def test_a_refused_apply_saves_none_of_its_valid_entries(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    version = await version_of(engine)
    edited = demo_entry("categories")
    edited["isActive"] = False
    broken = demo_entry("countries")
    broken["tableName"] = "nowhere"

    await refused(
        registry,
        [await registry.prefill("gadget"), parse_entry(edited), parse_entry(broken)],
        prune=True,
    )

    assert await version_of(engine) == version
    assert [c.alias for c in await registry.configurations()] == DEMO_ALIASES
    assert set((await registry.current()).entities) == set(DEMO_ALIASES)


# --- prefill -------------------------------------------------------------------------------


async def test_prefill_types_fields_from_the_columns(registry: CatalogRegistry) -> None:
    config = await registry.prefill("gadget")

    assert (config.table_name, config.alias, config.is_active) == ("gadget", "gadgets", False)
    assert config.definition.identifier == "id_gadget"
    assert {f.field_name: f.type for f in config.definition.fields} == {
        "id_gadget": "integer",
        "code": "string",
        "note": "string",
        "price": "decimal",
        "weight": "float",
        "released_on": "date",
        "seen_at": "datetime",
        "is_ok": "boolean",
        "attributes": "json",
        "category_id": "integer",
    }
    assert [f.visible_name for f in config.definition.fields] == [
        f.field_name for f in config.definition.fields
    ]


async def test_prefill_takes_required_and_lengths_from_the_schema(
    registry: CatalogRegistry,
) -> None:
    fields = {f.field_name: f for f in (await registry.prefill("gadget")).definition.fields}

    required = {name for name, f in fields.items() if f.validation.is_required}
    # not null without a default; the generated key and the defaulted flag are not required
    assert required == {"code", "price"}
    assert fields["code"].validation.max_length == 40
    assert fields["note"].validation.max_length is None
    assert (fields["price"].validation.precision, fields["price"].validation.scale) == (10, 2)


async def test_prefill_makes_a_generated_primary_key_read_only(
    registry: CatalogRegistry,
) -> None:
    fields = {f.field_name: f for f in (await registry.prefill("gadget")).definition.fields}

    key = fields["id_gadget"]
    assert (key.is_creatable, key.is_editable) == (False, False)
    assert key.description == "The primary key of this table."
    assert all(
        f.is_creatable and f.is_editable for name, f in fields.items() if name != "id_gadget"
    )


async def test_prefill_keeps_a_natural_primary_key_creatable(registry: CatalogRegistry) -> None:
    config = await registry.prefill("currency", "currencies")

    code = config.definition.fields[0]
    assert config.definition.identifier == "code"
    assert (code.field_name, code.is_creatable, code.is_editable) == ("code", True, False)
    assert code.validation == Validation(is_required=True, max_length=3)


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no enumerated types
async def test_prefill_turns_the_values_of_an_enum_type_into_enum_validation(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
        await connection.exec_driver_sql(
            "CREATE TABLE feeling (id SERIAL PRIMARY KEY, mood mood NOT NULL)"
        )

    fields = {f.field_name: f for f in (await registry.prefill("feeling")).definition.fields}

    assert fields["mood"].type == "string"
    assert fields["mood"].validation == Validation(is_required=True, enum=("sad", "ok", "happy"))


async def test_prefill_of_a_missing_table_is_refused(registry: CatalogRegistry) -> None:
    with pytest.raises(ConfigurationError) as raised:
        await registry.prefill("nowhere")

    assert [p.message for p in raised.value.problems] == [
        "Table `nowhere` does not exist in the database."
    ]


async def test_prefilled_configuration_is_accepted_and_served_once_active(
    registry: CatalogRegistry,
) -> None:
    config = await registry.prefill("gadget")
    await registry.apply([config])
    assert "gadgets" not in (await registry.current()).entities

    report = await registry.apply([replace(config, is_active=True)])

    assert report.updated == ["gadgets"]
    entity = (await registry.current()).entity("gadgets")
    assert entity.table.name == "gadget"
    assert entity.identifier.name == "id_gadget"


# --- remove and the served catalog ---------------------------------------------------------


async def test_remove_deletes_the_configuration_and_relations_to_it(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    version = await version_of(engine)

    assert await registry.remove("countries") is True

    stored = by_alias(await registry.configurations())
    assert list(stored) == ["categories", "products", "product-stocks"]
    assert [r.name for r in stored["product-stocks"].relations] == ["product"]
    assert await version_of(engine) == version + 1
    catalog = await registry.current()
    with pytest.raises(ConfigurationNotFoundError):
        catalog.entity("countries")
    assert list(catalog.entity("product-stocks").relations) == ["product"]


async def test_remove_of_an_unknown_alias_reports_false(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    version = await version_of(engine)

    assert await registry.remove("nowheres") is False
    assert await version_of(engine) == version


async def test_catalog_serves_only_active_entities(registry: CatalogRegistry) -> None:
    entry = demo_entry("products")
    entry["isActive"] = False
    await registry.apply([parse_entry(entry), await registry.prefill("gadget")])

    catalog = await registry.current()

    assert set(catalog.entities) == {"countries", "categories", "product-stocks"}
    for alias in ("products", "gadgets"):
        with pytest.raises(ConfigurationNotFoundError):
            catalog.entity(alias)
    # relations to an inactive entity are not offered either
    assert "products" not in catalog.entity("categories").relations
    assert {c.alias for c in catalog.configurations} == {*DEMO_ALIASES, "gadgets"}


async def test_renaming_an_entity_and_reusing_its_alias_in_one_apply_is_refused(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "CREATE TABLE country_copy (id_country INTEGER PRIMARY KEY, "
                "iso2_code VARCHAR(2) NOT NULL, iso3_code VARCHAR(3) NOT NULL, "
                "name VARCHAR(255) NOT NULL)"
            )
        )
    registry = CatalogRegistry(engine)
    stored = {c.alias: c for c in await registry.configurations()}
    countries = stored["countries"]
    takes_old_alias = EntityConfiguration("country_copy", "countries", True, countries.definition)
    renamed = EntityConfiguration("country", "nations", True, countries.definition)
    with pytest.raises(ConfigurationError) as raised:
        await registry.apply([takes_old_alias, renamed])
    assert "both match the registered entity `countries`" in str(raised.value)
    after = {c.alias: c for c in await registry.configurations()}
    assert after == stored


# --- one set of checks on every path, and a bad stored configuration in nobody's way --------


async def test_a_configuration_built_in_code_meets_the_installer_files_checks(
    registry: CatalogRegistry,
) -> None:
    """The CLI and the Back Office build configurations without reading a file: apply reads
    each back as an entry, so an alias a file could not hold is refused before any write."""
    config = replace(await registry.prefill("gizmo"), alias="a<b>")

    problems = await refused(registry, [config])

    assert [p.message for p in problems] == ["Alias `a<b>` is invalid."]


async def test_add_refuses_a_registered_table_or_alias_and_keeps_its_configuration(
    registry: CatalogRegistry,
) -> None:
    await registry.apply(parse_entries([demo_entry("countries")]))
    before = await stored_rows(registry.engine)
    table = next(c.table_name for c in await registry.configurations() if c.alias == "countries")
    again = replace(await registry.prefill(table), alias="lands")
    with pytest.raises(ConfigurationError, match="registered already, as `countries`"):
        await registry.add(again)
    taken = replace(await registry.prefill("gizmo"), alias="countries")
    with pytest.raises(ConfigurationError, match="alias is registered already"):
        await registry.add(taken)
    assert await stored_rows(registry.engine) == before


async def test_a_stored_configuration_that_cannot_be_read_is_left_out_and_named(
    registry: CatalogRegistry, engine: AsyncEngine
) -> None:
    await registry.apply(parse_entries([demo_entry("countries"), demo_entry("categories")]))
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(entity_configuration)
            .where(entity_configuration.c.table_alias == "countries")
            .values(table_alias="a<b>")
        )

    catalog = await registry.refresh()

    assert "categories" in catalog.entities
    assert "countries" not in catalog.entities
    assert "a<b>" not in catalog.entities
    assert ("a<b>", "Alias `a<b>` is invalid.") in [(p.entity, p.message) for p in catalog.problems]
    configurations, problems = await registry.stored()
    assert "categories" in [c.alias for c in configurations]
    assert [p.entity for p in problems] == ["a<b>"]
