"""Generated GraphQL names follow the spec's conventions (and PostGraphile's): types PascalCase,
fields and arguments camelCase, enum values upper snake case. Entity fields keep their
configured visible names, which REST shares. No database: the demo SDL and a catalog over
tables declared here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    build_schema,
)

from schema_builder.catalog import build_catalog
from schema_builder.definition import EntityConfiguration, EntityDefinition, FieldDefinition
from schema_builder.graphql.names import upper_snake
from schema_builder.graphql.registry import build_valid_schema

SDL = Path(__file__).resolve().parents[2] / "docs" / "schema.graphql"
PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")
UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
ENTITY_TYPES = {"Category", "Country", "Product", "ProductStock"}
# Types whose fields are an entity's fields, under their visible names: the aggregates'.
_BY_FIELD = ("Counts", "Sums", "Averages", "Values", "GroupKey")
FIELD_TYPES = {
    f"{entity}{kind}{having}"
    for entity in ENTITY_TYPES
    for kind in _BY_FIELD
    for having in ("", "Having")
}


def test_the_demo_schema_follows_the_naming_conventions() -> None:
    schema = build_schema(SDL.read_text())
    generated = {name: kind for name, kind in schema.type_map.items() if not name.startswith("__")}
    assert [name for name in generated if not PASCAL.match(name)] == []
    values = [
        value
        for kind in generated.values()
        if isinstance(kind, GraphQLEnumType)
        for value in kind.values
    ]
    assert "PRICE_ASC" in values
    assert "IS_ACTIVE_DESC" in values
    assert [value for value in values if not UPPER_SNAKE.match(value)] == []
    # Fields and arguments dexgate names itself: the root fields, results, shared filters.
    shared_filters = ("IntFilter", "StringFilter", "DecimalFilter")
    own = [
        kind
        for name, kind in generated.items()
        if isinstance(kind, GraphQLObjectType | GraphQLInputObjectType)
        and name not in ENTITY_TYPES
        and name not in FIELD_TYPES
        and (name in shared_filters or not name.endswith(("Input", "Filter")))
    ]
    names = [
        name
        for kind in own
        for name, field in kind.fields.items()
        for name in (name, *getattr(field, "args", {}))
    ]
    assert "totalCount" in names
    assert "countDistinct" in names
    assert [name for name in names if not CAMEL.match(name)] == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("price", "PRICE"),
        ("is_active", "IS_ACTIVE"),
        ("isActive", "IS_ACTIVE"),
        ("iso2_code", "ISO2_CODE"),
        ("HTTPStatus", "HTTP_STATUS"),
        ("createdAt2", "CREATED_AT2"),
        ("_hidden", "_HIDDEN"),
    ],
)
def test_field_names_become_upper_snake_case(name: str, expected: str) -> None:
    assert upper_snake(name) == expected


def test_sort_values_are_the_fields_in_upper_snake_case() -> None:
    metadata = sa.MetaData()
    table = sa.Table(
        "gadget",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("unit_price", sa.Numeric(10, 2)),
        sa.Column("is_active", sa.Boolean),
    )
    fields = (
        FieldDefinition("id", "id", "integer", False, False),
        FieldDefinition("unit_price", "unitPrice", "decimal", True, True),
        FieldDefinition("is_active", "is_active", "boolean", True, True),
    )
    configuration = EntityConfiguration("gadget", "gadgets", True, EntityDefinition("id", fields))
    schema = build_valid_schema(build_catalog(1, [configuration], {"gadget": table}))

    sort = schema.type_map["GadgetSort"]
    assert isinstance(sort, GraphQLEnumType)
    assert {name: value.value for name, value in sort.values.items()} == {
        "ID_ASC": ("id", False),
        "ID_DESC": ("id", True),
        "UNIT_PRICE_ASC": ("unitPrice", False),
        "UNIT_PRICE_DESC": ("unitPrice", True),
        "IS_ACTIVE_ASC": ("is_active", False),
        "IS_ACTIVE_DESC": ("is_active", True),
    }
