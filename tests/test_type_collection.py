"""The runtime's collection of a schema's types (app/type_collection.py) finds the same types in
the same order as graphql-core's."""

from __future__ import annotations

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
)
from graphql.type.schema import TypeSet

from app.runtime import Runtime
from app.type_collection import GRAPHQL_CORE_COLLECT, collect_referenced_types
from bench.schema_build import make
from schema_builder.catalog import build_catalog
from schema_builder.graphql.schema import build_schema


def _both(schema: GraphQLSchema) -> tuple[list[str], list[str]]:
    ours, theirs = TypeSet(), TypeSet()
    for root in (schema.query_type, schema.mutation_type):
        if root is None:
            continue
        collect_referenced_types(ours, root)
        GRAPHQL_CORE_COLLECT(theirs, root)
    return [t.name for t in ours], [t.name for t in theirs]


def test_the_types_of_a_generated_schema_in_graphql_cores_order() -> None:
    configurations, tables = make(12, 9)
    ours, theirs = _both(build_schema(build_catalog(1, configurations, tables)))
    assert len(ours) > 12 * 20
    assert ours == theirs


def test_unions_interfaces_and_wrapped_types_are_collected_as_graphql_core_does() -> None:
    named = GraphQLInterfaceType("Named", {"name": GraphQLField(GraphQLString)})
    dog = GraphQLObjectType("Dog", {"name": GraphQLField(GraphQLString)}, interfaces=[named])
    cat = GraphQLObjectType("Cat", {"name": GraphQLField(GraphQLString)}, interfaces=[named])
    pet = GraphQLUnionType("Pet", [cat, dog])
    query = GraphQLObjectType(
        "Query", {"pets": GraphQLField(GraphQLNonNull(GraphQLList(GraphQLNonNull(pet))))}
    )
    ours, theirs = _both(GraphQLSchema(query))
    assert ours == theirs == ["Query", "Pet", "Cat", "Named", "String", "Dog"]


def test_the_runtime_installs_it() -> None:
    Runtime().install()
    assert TypeSet.collect_referenced_types is collect_referenced_types
