"""The schema builder shares one field object among the types whose fields look alike; each type
still shows its own field types, nullability and descriptions. No database: the catalog is built
over tables declared here."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from graphql import GraphQLSchema, print_type

from schema_builder.catalog import build_catalog
from schema_builder.definition import (
    EntityConfiguration,
    EntityDefinition,
    FieldDefinition,
    Validation,
)
from schema_builder.graphql.registry import build_valid_schema


def _schema() -> GraphQLSchema:
    """Two entities whose fields have the same names and differ in one property each: `code` in
    nullability, `note` in description and required-ness, `size` in scalar (Int or BigInt)."""
    metadata = sa.MetaData()
    tables: dict[str, sa.Table] = {}
    configurations = []
    for alias, nullable, note, required, size in (
        ("alphas", False, "An alpha's note.", True, sa.SmallInteger()),
        ("betas", True, None, False, sa.BigInteger()),
    ):
        columns: list[sa.Column[Any]] = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(10), nullable=nullable),
            sa.Column("note", sa.Text),
            sa.Column("size", size),
        ]
        tables[alias] = sa.Table(alias, metadata, *columns)
        fields = (
            FieldDefinition("id", "id", "integer", False, False),
            FieldDefinition("code", "code", "string", True, True),
            FieldDefinition(
                "note",
                "note",
                "string",
                True,
                True,
                Validation(is_required=required),
                description=note,
            ),
            FieldDefinition("size", "size", "integer", True, True),
        )
        configurations.append(
            EntityConfiguration(alias, alias, True, EntityDefinition("id", fields))
        )
    return build_valid_schema(build_catalog(1, configurations, tables))


def test_fields_alike_keep_the_type_nullability_and_description_of_their_own_entity() -> None:
    schema = _schema()
    assert print_type(schema.type_map["Alpha"]) == (
        '"""An item of `alphas` (alphas)."""\n'
        "type Alpha {\n"
        "  id: Int!\n"
        "  code: String!\n"
        "\n"
        '  """An alpha\'s note."""\n'
        "  note: String\n"
        "  size: Int\n"
        "}"
    )
    assert print_type(schema.type_map["Beta"]) == (
        '"""An item of `betas` (betas)."""\n'
        "type Beta {\n"
        "  id: Int!\n"
        "  code: String\n"
        "  note: String\n"
        "  size: BigInt\n"
        "}"
    )


def test_inputs_alike_keep_the_description_of_their_own_entity() -> None:
    schema = _schema()
    for mode in ("Create", "Update", "Upsert"):
        identifier = "" if mode == "Create" else "  id: Int\n"
        assert print_type(schema.type_map[f"Alpha{mode}Input"]) == (
            f"input Alpha{mode}Input {{\n"
            f"{identifier}"
            "  code: String\n"
            "\n"
            '  """An alpha\'s note. Required."""\n'
            "  note: String\n"
            "  size: Int\n"
            "}"
        )
        assert print_type(schema.type_map[f"Beta{mode}Input"]) == (
            f"input Beta{mode}Input {{\n{identifier}  code: String\n  note: String\n"
            "  size: BigInt\n}"
        )
