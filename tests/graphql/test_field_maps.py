"""The builder's field maps: given maps and resolved thunks become the types' fields, and every
field name is still checked by graphql-core."""

from __future__ import annotations

import pytest
from graphql import (
    EnumValueNode,
    GraphQLArgument,
    GraphQLEnumValue,
    GraphQLError,
    GraphQLField,
    GraphQLInputField,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    validate_schema,
)

from schema_builder.graphql.field_maps import FieldMaps, InputFields, ObjectFields


def test_given_and_thunked_maps_become_the_fields_of_a_valid_schema() -> None:
    maps = FieldMaps()
    filter_type = maps.input_type("ThingFilter", lambda: {"id": GraphQLInputField(GraphQLInt)})
    thing = maps.object_type(
        "Thing", lambda: {"id": GraphQLField(GraphQLInt), "name": GraphQLField(GraphQLString)}
    )
    query_fields: ObjectFields = {
        "thing": GraphQLField(thing, args={"filter": GraphQLArgument(filter_type)})
    }
    query = maps.object_type("Query", query_fields)
    maps.resolve()

    assert query.fields is query_fields
    assert list(thing.fields) == ["id", "name"]
    assert list(filter_type.fields) == ["id"]
    assert validate_schema(GraphQLSchema(query)) == []


def test_thunks_run_until_none_is_left() -> None:
    maps = FieldMaps()
    created: list[str] = []

    def outer() -> ObjectFields:
        inner = maps.object_type("Inner", lambda: {"value": GraphQLField(GraphQLInt)})
        created.append(inner.name)
        return {"inner": GraphQLField(inner)}

    outer_type = maps.object_type("Outer", outer)
    maps.resolve()

    assert created == ["Inner"]
    inner_type = outer_type.fields["inner"].type
    assert isinstance(inner_type, GraphQLObjectType)
    assert list(inner_type.fields) == ["value"]


@pytest.mark.parametrize("given", [True, False])
def test_an_invalid_field_name_is_refused(given: bool) -> None:
    maps = FieldMaps()
    fields: InputFields = {"bad-name": GraphQLInputField(GraphQLInt)}
    maps.input_type("Broken", fields if given else lambda: fields)
    with pytest.raises(GraphQLError, match="Names must only contain"):
        maps.resolve()


def test_enum_values_become_the_values_and_their_names_are_checked() -> None:
    maps = FieldMaps()
    values = {"PRICE_ASC": GraphQLEnumValue(("price", False))}
    sort = maps.enum_type("ThingSort", values)
    maps.resolve()
    assert sort.values is values
    assert sort.parse_literal(EnumValueNode(value="PRICE_ASC")) == ("price", False)

    maps.enum_type("Broken", {"true": GraphQLEnumValue(True)})
    with pytest.raises(GraphQLError, match="Enum values cannot be named: true"):
        maps.resolve()


def test_a_fields_arguments_are_its_map_and_their_names_are_checked() -> None:
    maps = FieldMaps()
    args = {"limit": GraphQLArgument(GraphQLInt)}
    field = maps.field(GraphQLString, args)
    maps.resolve()
    assert field.args is args

    maps.field(GraphQLString, {"bad-name": GraphQLArgument(GraphQLInt)})
    with pytest.raises(GraphQLError, match="Names must only contain"):
        maps.resolve()
