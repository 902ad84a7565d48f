"""The real ``dexgate`` console script, run in subprocesses against a temporary SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from schema_builder.definition import parse_entries

DEXGATE = Path(sys.executable).with_name("dexgate")
ENTRY_KEYS = {
    "tableName",
    "tableAlias",
    "isActive",
    "definition",
    "childRelations",
    "parentRelations",
}
DEMO_ALIASES = ["countries", "categories", "products", "product-stocks"]


def run(
    database: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
    environ.update(DEXGATE_DATABASE_URL=f"sqlite+aiosqlite:///{database}", **env)
    return subprocess.run(  # noqa: S603 - our own console script with fixed arguments
        [str(DEXGATE), *args],
        input=stdin,
        env=environ,
        cwd=database.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(database: Path, *args: str, stdin: str | None = None, **env: str) -> str:
    result = run(database, *args, stdin=stdin, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def export(database: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(ok(database, "entities", "export"))
    return entries


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(database)) as connection:
        rows: list[tuple[Any, ...]] = connection.execute(sql).fetchall()
        return rows


def execute(database: Path, sql: str) -> None:
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute(sql)


def registry_rows(database: Path) -> list[tuple[Any, ...]]:
    return query(
        database,
        "SELECT c.*, s.version FROM dexgate_entity_configuration c, dexgate_catalog_state s "
        "ORDER BY c.id",
    )


def entry(entries: list[dict[str, Any]], alias: str) -> dict[str, Any]:
    return next(e for e in entries if e["tableAlias"] == alias)


def field_of(entry: dict[str, Any], column: str) -> dict[str, Any]:
    return next(f for f in entry["definition"]["fields"] if f["fieldName"] == column)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-template") / "template.db"
    ok(path, "demo")
    return path


@pytest.fixture
def database(demo_template: Path, tmp_path: Path) -> Path:
    """A SQLite file holding dexgate's tables and the registered demo catalog."""
    path = tmp_path / "dexgate.db"
    shutil.copyfile(demo_template, path)
    return path


def test_migrate_creates_dexgate_tables_and_can_run_again(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"

    first = ok(database, "migrate")
    second = ok(database, "migrate")

    assert f"dexgate: database is up to date (sqlite+aiosqlite:///{database})" in first
    assert second == first
    tables = {name for (name,) in query(database, "SELECT name FROM sqlite_master")}
    assert {
        "dexgate_entity_configuration",
        "dexgate_entity_relation",
        "dexgate_entity_relation_field_mapping",
        "dexgate_catalog_state",
    } <= tables
    assert query(database, "SELECT count(*) FROM dexgate_entity_configuration") == [(0,)]


def test_demo_loads_the_catalog_once_and_is_idempotent(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"

    first = ok(database, "demo")
    counts = query(
        database, "SELECT (SELECT count(*) FROM product), (SELECT count(*) FROM country)"
    )
    rows = registry_rows(database)
    second = ok(database, "demo")

    assert first.splitlines()[0] == "dexgate: demo catalog loaded"
    assert "Back Office user `admin` created, password: " in first
    assert second.splitlines()[0] == "dexgate: demo catalog already present"
    assert "Back Office user `admin` exists; its password is unchanged" in second
    assert counts == [(204, 10)]
    assert query(database, "SELECT count(*) FROM product") == [(204,)]
    assert registry_rows(database) == rows
    assert [e["tableAlias"] for e in export(database)] == DEMO_ALIASES


def test_entities_list_shows_alias_table_status_fields_and_relations(database: Path) -> None:
    lines = ok(database, "entities", "list").splitlines()

    assert lines[0].split() == ["ALIAS", "TABLE", "STATUS", "FIELDS", "RELATIONS"]
    assert [line.split(None, 4) for line in lines[1:]] == [
        ["countries", "country", "active", "4", "stocks"],
        ["categories", "category", "active", "4", "products"],
        ["products", "product", "active", "7", "stocks, category"],
        ["product-stocks", "product_stock", "active", "6", "product, country"],
    ]


def test_entities_export_prints_the_registry_in_installer_format(database: Path) -> None:
    entries = export(database)

    assert [e["tableAlias"] for e in entries] == DEMO_ALIASES
    assert all(set(e) == ENTRY_KEYS for e in entries)
    assert [c.alias for c in parse_entries(entries)] == DEMO_ALIASES
    countries = entry(entries, "countries")
    assert countries["tableName"] == "country"
    assert countries["isActive"] is True
    assert countries["definition"]["identifier"] == "id_country"
    assert countries["childRelations"] == [
        {
            "name": "stocks",
            "isEditable": False,
            "childDynamicEntityConfiguration": {"tableAlias": "product-stocks"},
            "relationFieldMappings": [
                {"childFieldName": "country_id", "parentFieldName": "id_country"}
            ],
        }
    ]
    assert countries["parentRelations"] == []
    products = entry(entries, "products")
    assert [r["name"] for r in products["parentRelations"]] == ["category"]
    assert products["parentRelations"][0]["parentDynamicEntityConfiguration"] == {
        "tableAlias": "categories"
    }


def test_entities_apply_of_an_edited_export_updates_the_registry(
    database: Path, tmp_path: Path
) -> None:
    entries = export(database)
    field_of(entry(entries, "countries"), "name")["validation"]["maxLength"] = 100
    del entry(entries, "categories")["definition"]["isDeletable"]
    path = tmp_path / "entities.json"
    path.write_text(json.dumps(entries))

    output = ok(database, "entities", "apply", str(path))

    assert output.splitlines() == [
        "updated: countries, categories",
        "unchanged: products, product-stocks",
    ]
    exported = export(database)
    assert field_of(entry(exported, "countries"), "name")["validation"]["maxLength"] == 100
    assert "isDeletable" not in entry(exported, "categories")["definition"]
    assert exported == entries
    assert ok(database, "entities", "apply", str(path)).splitlines() == [
        "unchanged: countries, categories, products, product-stocks"
    ]


def test_entities_apply_reads_the_file_from_stdin(database: Path) -> None:
    entries = export(database)
    entry(entries, "products")["isActive"] = False

    output = ok(database, "entities", "apply", "-", stdin=json.dumps(entries))

    assert "updated: products" in output.splitlines()
    assert entry(export(database), "products")["isActive"] is False


def test_entities_apply_with_prune_deactivates_entities_not_in_the_file(
    database: Path, tmp_path: Path
) -> None:
    entries = export(database)
    path = tmp_path / "entities.json"
    path.write_text(json.dumps([entry(entries, "countries"), entry(entries, "categories")]))

    output = ok(database, "entities", "apply", "--prune", str(path))

    assert output.splitlines() == [
        "deactivated: products, product-stocks",
        "unchanged: countries, categories",
    ]
    status = {e["tableAlias"]: e["isActive"] for e in export(database)}
    assert status == {
        "countries": True,
        "categories": True,
        "products": False,
        "product-stocks": False,
    }
    listing = ok(database, "entities", "list").splitlines()[1:]
    assert [line.split()[2] for line in listing] == ["active", "active", "inactive", "inactive"]


def test_entities_add_registers_a_new_table_prefilled_and_active(database: Path) -> None:
    execute(
        database,
        "CREATE TABLE warehouse (id_warehouse INTEGER PRIMARY KEY, "
        "name VARCHAR(64) NOT NULL, city TEXT, capacity INTEGER NOT NULL)",
    )

    output = ok(database, "entities", "add", "warehouse", "--alias", "stores", "--activate")

    first, _, document = output.partition("\n")
    assert first == "created: stores"
    added = json.loads(document)
    assert (added["tableName"], added["tableAlias"], added["isActive"]) == (
        "warehouse",
        "stores",
        True,
    )
    assert added["definition"]["identifier"] == "id_warehouse"
    fields = {f["fieldName"]: f for f in added["definition"]["fields"]}
    assert {name: f["type"] for name, f in fields.items()} == {
        "id_warehouse": "integer",
        "name": "string",
        "city": "string",
        "capacity": "integer",
    }
    assert fields["id_warehouse"]["isCreatable"] is False
    assert fields["name"]["validation"] == {"isRequired": True, "maxLength": 64}
    assert fields["city"]["validation"] == {"isRequired": False}
    assert fields["capacity"]["validation"] == {"isRequired": True}
    assert entry(export(database), "stores") == added
    assert ok(database, "entities", "list").splitlines()[-1].split() == [
        "stores",
        "warehouse",
        "active",
        "4",
        "-",
    ]


def test_entities_add_without_alias_suggests_one_and_leaves_it_inactive(
    database: Path,
) -> None:
    execute(database, "CREATE TABLE spy_tax_rate (id_tax_rate INTEGER PRIMARY KEY, rate REAL)")

    output = ok(database, "entities", "add", "spy_tax_rate")

    assert output.splitlines()[0] == "created: tax-rates"
    assert entry(export(database), "tax-rates")["isActive"] is False


def test_entities_add_of_a_denied_table_is_refused(database: Path) -> None:
    execute(database, "CREATE TABLE spy_customer (id_customer INTEGER PRIMARY KEY)")
    execute(database, "CREATE TABLE audit_log (id INTEGER PRIMARY KEY)")
    rows = registry_rows(database)

    spryker = run(database, "entities", "add", "spy_customer")
    configured = run(database, "entities", "add", "audit_log", DEXGATE_DENIED_TABLES="audit_*")

    for result, table in ((spryker, "spy_customer"), (configured, "audit_log")):
        assert result.returncode == 2
        assert f"Table `{table}` may not be exposed." in result.stderr
    assert registry_rows(database) == rows


def test_refused_apply_prints_every_problem_and_changes_nothing(
    database: Path, tmp_path: Path
) -> None:
    entries = export(database)
    name = field_of(entry(entries, "countries"), "name")
    name["type"] = "integer"
    del name["validation"]["maxLength"]
    entry(entries, "categories")["tableName"] = "nowhere"
    entry(entries, "products")["isActive"] = False  # valid, but must not be saved either
    path = tmp_path / "entities.json"
    path.write_text(json.dumps(entries))
    rows = registry_rows(database)

    result = run(database, "entities", "apply", "--prune", str(path))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "dexgate: the configuration cannot be saved: "
        "countries.name: Type `integer` does not fit column `name` (VARCHAR(255)). "
        "Fix: Use `string`; "
        "categories: Table `nowhere` does not exist in the database. "
        "Fix: Create the table first, or correct `tableName`."
    ]
    assert registry_rows(database) == rows
    assert entry(export(database), "products")["isActive"] is True


def test_apply_of_a_file_with_static_problems_is_refused(database: Path, tmp_path: Path) -> None:
    entries = export(database)
    field_of(entry(entries, "products"), "price")["type"] = "money"
    entry(entries, "countries")["tableAlias"] = "count ries"
    path = tmp_path / "entities.json"
    path.write_text(json.dumps(entries))
    rows = registry_rows(database)

    result = run(database, "entities", "apply", str(path))

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    problems = line.removeprefix("dexgate: the configuration cannot be saved: ").split("; ")
    assert len(problems) == 2
    assert problems[0].startswith("count ries.tableAlias: Alias `count ries` is invalid.")
    assert problems[1].startswith("products.price: Type 'money' is not supported.")
    assert registry_rows(database) == rows


def test_apply_of_an_unreadable_file_exits_with_2(database: Path, tmp_path: Path) -> None:
    missing = run(database, "entities", "apply", str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    invalid = run(database, "entities", "apply", str(broken))

    for result in (missing, invalid):
        assert result.returncode == 2
        assert result.stderr.startswith("dexgate: cannot read ")


def test_entities_remove_deletes_a_configuration(database: Path) -> None:
    assert ok(database, "entities", "remove", "countries").strip() == "removed: countries"

    assert [e["tableAlias"] for e in export(database)] == DEMO_ALIASES[1:]
    again = run(database, "entities", "remove", "countries")
    assert again.returncode == 2
    assert again.stderr == "dexgate: no entity `countries` (see `dexgate entities list`)\n"


def test_invalid_setting_is_reported_with_exit_code_2(database: Path) -> None:
    result = run(database, "entities", "list", DEXGATE_MAX_PAGE_SIZE="0")

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "dexgate: DEXGATE_MAX_PAGE_SIZE must be a positive integer, got '0'."
    )


def test_entities_add_with_an_invalid_alias_saves_nothing(database: Path) -> None:
    execute(database, "CREATE TABLE warehouse (id_warehouse INTEGER PRIMARY KEY, name TEXT)")
    rows = registry_rows(database)

    result = run(database, "entities", "add", "warehouse", "--alias", "a<b>")

    assert result.returncode == 2
    assert "Alias `a<b>` is invalid." in result.stderr
    assert registry_rows(database) == rows
    assert [e["tableAlias"] for e in export(database)] == DEMO_ALIASES


def test_entities_add_of_a_registered_table_keeps_its_configuration(database: Path) -> None:
    before = export(database)
    table = entry(before, "countries")["tableName"]

    result = run(database, "entities", "add", table, "--alias", "lands")

    assert result.returncode == 2
    assert f"Table `{table}` is registered already, as `countries`." in result.stderr
    assert export(database) == before


def test_a_bad_stored_configuration_is_named_and_the_others_still_listed(database: Path) -> None:
    execute(
        database,
        "UPDATE dexgate_entity_configuration SET table_alias = 'a<b>' "
        "WHERE table_alias = 'categories'",
    )

    listed = run(database, "entities", "list")
    removed = run(database, "entities", "remove", "countries")

    assert listed.returncode == 0
    assert "countries" in listed.stdout
    assert "a<b>" not in listed.stdout
    assert "dexgate: left out, cannot be read: a<b>.tableAlias: Alias `a<b>` is invalid." in (
        listed.stderr
    )
    assert removed.returncode == 0, removed.stderr
    assert [e["tableAlias"] for e in export(database)] == ["products", "product-stocks"]


def test_entities_add_with_change_feed_and_the_switch_install_and_drop_triggers(
    database: Path,
) -> None:
    execute(database, "CREATE TABLE shelf (id_shelf INTEGER PRIMARY KEY, label TEXT)")
    output = ok(
        database, "entities", "add", "shelf", "--alias", "shelves", "--activate", "--change-feed"
    )
    assert json.loads(output.partition("\n")[2])["changeFeed"] is True
    assert entry(export(database), "shelves")["changeFeed"] is True
    execute(database, "INSERT INTO shelf (id_shelf, label) VALUES (1, 'top')")
    events = query(database, "SELECT entity, operation, actor, new_row FROM dexgate_change_event")
    assert events == [("shelves", "create", "database", '{"id_shelf":1,"label":"top"}')]
    assert ok(database, "entities", "change-feed", "shelves", "off") == "updated: shelves\n"
    assert "changeFeed" not in entry(export(database), "shelves")
    assert query(database, "SELECT name FROM sqlite_master WHERE name LIKE 'dexgate_cf_%'") == []
    execute(database, "INSERT INTO shelf (id_shelf, label) VALUES (2, 'bottom')")
    assert len(query(database, "SELECT id FROM dexgate_change_event")) == 1
    missing = run(database, "entities", "change-feed", "nothing", "on")
    assert missing.returncode == 2
    assert "no entity `nothing`" in missing.stderr


def test_webhook_commands_create_list_switch_and_delete(database: Path) -> None:
    url = "http://127.0.0.1:9/hook"
    refused = run(database, "webhook", "create", "erp", "--url", url, "--entity", "products")
    assert refused.returncode == 2
    assert "DEXGATE_WEBHOOK_ALLOW_PRIVATE" in refused.stderr
    allow = {"DEXGATE_WEBHOOK_ALLOW_PRIVATE": "true"}
    off = run(database, "webhook", "create", "erp", "--url", url, "--entity", "products", **allow)
    assert off.returncode == 2
    assert "change feed of `products` is off" in off.stderr
    ok(database, "entities", "change-feed", "products", "on")
    secret = ok(
        database,
        "webhook",
        "create",
        "erp",
        "--url",
        url,
        "--entity",
        "products",
        "--events",
        "create,delete",
        **allow,
    )
    assert secret.startswith("whsec_")
    assert secret.count("\n") == 1
    stored = query(database, "SELECT secret FROM dexgate_webhook")[0][0]
    assert secret.strip() not in stored
    listed = ok(database, "webhook", "list").splitlines()
    assert listed[1].split() == ["erp", url, "products", "create,delete", "active"]
    assert ok(database, "webhook", "disable", "erp") == "disabled: erp\n"
    assert "disabled (by hand)" in ok(database, "webhook", "list")
    assert ok(database, "webhook", "enable", "erp") == "enabled: erp\n"
    assert ok(database, "webhook", "deliveries", "erp").split() == [
        "EVENT", "POSITION", "ENTITY", "STATUS", "ATTEMPTS", "LAST", "ERROR", "NEXT", "(UTC)"
    ]  # fmt: skip
    missing = run(database, "webhook", "redeliver", "12345")
    assert (missing.returncode, "no delivery of event 12345" in missing.stderr) == (2, True)
    assert ok(database, "webhook", "delete", "erp") == "deleted: erp\n"
    assert run(database, "webhook", "delete", "erp").returncode == 2
    actions = [row[0] for row in query(database, "SELECT action FROM dexgate_audit_log")]
    assert {"webhook.create", "webhook.disable", "webhook.enable", "webhook.delete"} <= set(actions)
