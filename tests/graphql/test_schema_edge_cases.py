"""Configurations that REST serves and GraphQL cannot express whole: the schema leaves that part
out and still builds, so the entity is served over GraphQL on the next request.

An input object needs a field and an enum a value: an entity with nothing to create has no
create mutation, a relationship to it is left out of create inputs, and an entity with no
sortable field has no ``sort`` argument. An alias whose singular used to be empty (``s``) gets
names, and a field named ``and`` is read but is no filter key. The last tests need no database:
they build schemas over tables declared here.
"""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from graphql import GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

from app.gateway import Gateway
from schema_builder.catalog import build_catalog
from schema_builder.definition import (
    EntityConfiguration,
    EntityDefinition,
    FieldDefinition,
    FieldType,
    RelationDefinition,
    parse_entries,
)
from schema_builder.graphql.names import SHARED_TYPE_NAMES, entity_names
from schema_builder.graphql.registry import build_valid_schema
from tests.graphql.support import data, execute

Entry = dict[str, Any]

tables = sa.MetaData()
rack = sa.Table(
    "rack",
    tables,
    sa.Column("id_rack", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(40), nullable=True),
)
reading = sa.Table(
    "reading",
    tables,
    sa.Column("id_reading", sa.Integer, primary_key=True),
    sa.Column("rack_id", sa.Integer, nullable=True),
    sa.Column("value", sa.String(20), nullable=True),
)
note = sa.Table(
    "note",
    tables,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.String(40), nullable=True),
)
document = sa.Table("document", tables, sa.Column("body", sa.String(200), primary_key=True))
gate = sa.Table(
    "gate",
    tables,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conjunction", sa.String(10), nullable=True),
)

MUTATIONS = '{ __type(name: "Mutation") { fields { name } } }'
INPUT_FIELDS = "query($name: String!) { __type(name: $name) { inputFields { name } } }"
ARGUMENTS = '{ __type(name: "Query") { fields { name args { name } } } }'


def field(
    name: str,
    kind: str = "string",
    *,
    creatable: bool = False,
    editable: bool = False,
    visible: str | None = None,
) -> Entry:
    return {
        "fieldName": name,
        "fieldVisibleName": visible or name,
        "type": kind,
        "isCreatable": creatable,
        "isEditable": editable,
        "validation": {"isRequired": False},
    }


def entry(table: str, alias: str, identifier: str, *fields: Entry, **relations: Any) -> Entry:
    return {
        "tableName": table,
        "tableAlias": alias,
        "isActive": True,
        "definition": {"identifier": identifier, "fields": list(fields)},
        **relations,
    }


READINGS = entry(
    "reading",
    "readings",
    "id_reading",
    field("id_reading", "integer"),
    field("rack_id", "integer"),
    field("value", editable=True),
)


def racks(*, label_creatable: bool) -> Entry:
    """Racks whose readings are editable through them (readings have nothing to create)."""
    return entry(
        "rack",
        "racks",
        "id_rack",
        field("id_rack", "integer"),
        field("label", creatable=label_creatable, editable=True),
        childRelations=[
            {
                "name": "readings",
                "isEditable": True,
                "childDynamicEntityConfiguration": {"tableAlias": "readings"},
                "relationFieldMappings": [
                    {"childFieldName": "rack_id", "parentFieldName": "id_rack"}
                ],
            }
        ],
    )


async def apply(gateway: Gateway, *entries: Entry) -> None:
    async with gateway.engine.begin() as connection:
        await connection.run_sync(tables.create_all)
    await gateway.registry.apply(parse_entries(list(entries)))


async def mutations(client: httpx.AsyncClient) -> set[str]:
    result = await data(client, MUTATIONS)
    return {f["name"] for f in result["__type"]["fields"]}


async def input_fields(client: httpx.AsyncClient, type_name: str) -> list[str] | None:
    result = await data(client, INPUT_FIELDS, {"name": type_name})
    if result["__type"] is None:
        return None
    return [f["name"] for f in result["__type"]["inputFields"]]


async def test_entity_with_nothing_to_create_is_served_without_a_create_mutation(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await apply(gateway, READINGS)
    await execute(gateway, reading.insert().values(id_reading=1, value="old"))

    listed = await data(client, "{ readings { items { id_reading value } } }")
    assert listed == {"readings": {"items": [{"id_reading": 1, "value": "old"}]}}
    assert gateway.schemas.last_error is None
    names = await mutations(client)
    assert {"updateReadings", "upsertReadings"} <= names
    assert "createReadings" not in names
    assert await input_fields(client, "ReadingCreateInput") is None
    assert await input_fields(client, "ReadingUpdateInput") == ["id_reading", "value"]
    updated = await data(
        client,
        'mutation { updateReadings(items: [{id_reading: 1, value: "new"}]) { items { value } } }',
    )
    assert updated == {"updateReadings": {"items": [{"value": "new"}]}}


async def test_editable_relation_to_an_entity_with_nothing_to_create_is_left_out_of_creates(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await apply(gateway, READINGS, racks(label_creatable=True))

    assert await input_fields(client, "RackCreateInput") == ["label"]
    assert await input_fields(client, "RackUpdateInput") == ["id_rack", "label", "readings"]
    assert await input_fields(client, "RackUpsertInput") == ["id_rack", "label", "readings"]
    created = await data(
        client, 'mutation { createRacks(items: [{label: "A"}]) { items { id_rack label } } }'
    )
    [rack_row] = created["createRacks"]["items"]
    assert rack_row["label"] == "A"
    await execute(gateway, reading.insert().values(rack_id=rack_row["id_rack"], value="7"))
    listed = await data(client, "{ racks { items { label readings { value } } } }")
    assert listed == {"racks": {"items": [{"label": "A", "readings": [{"value": "7"}]}]}}
    assert gateway.schemas.last_error is None


async def test_entity_whose_only_creatable_part_leads_to_nothing_has_no_create_mutation(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await apply(gateway, READINGS, racks(label_creatable=False))
    await execute(gateway, rack.insert().values(id_rack=1, label="B"))

    assert await data(client, "{ racks { items { label } } }") == {
        "racks": {"items": [{"label": "B"}]}
    }
    names = await mutations(client)
    assert not {"createRacks", "createReadings"} & names
    assert {"updateRacks", "upsertRacks", "updateReadings", "upsertReadings"} <= names
    assert gateway.schemas.last_error is None


async def test_alias_whose_singular_would_be_empty_is_served(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await apply(
        gateway,
        entry("note", "s", "id", field("id", "integer"), field("text", creatable=True)),
    )
    await execute(gateway, note.insert().values(id=1, text="hello"))

    result = await data(client, "{ s { items { text } } sById(id: 1) { text } }")
    assert result == {"s": {"items": [{"text": "hello"}]}, "sById": {"text": "hello"}}
    assert "createS" in await mutations(client)
    assert gateway.schemas.last_error is None


async def test_entity_without_a_sortable_field_is_served_without_a_sort_argument(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await apply(
        gateway, entry("document", "documents", "body", field("body", "json", creatable=True))
    )
    await execute(gateway, document.insert().values(body='{"a": 1}'))

    result = await data(client, "{ documents { items { body } } }")
    assert result == {"documents": {"items": [{"body": {"a": 1}}]}}
    arguments = await data(client, ARGUMENTS)
    [documents] = [f for f in arguments["__type"]["fields"] if f["name"] == "documents"]
    assert [a["name"] for a in documents["args"]] == ["filter", "limit", "offset"]
    assert gateway.schemas.last_error is None


async def test_field_named_like_a_filter_combinator_is_read_but_not_filtered_on(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    await apply(
        gateway,
        entry(
            "gate",
            "gates",
            "id",
            field("id", "integer"),
            field("conjunction", creatable=True, visible="and"),
        ),
    )
    await execute(gateway, gate.insert().values([(1, "x"), (2, "y")]))

    result = await data(client, "{ gates(filter: {and: [{id: {eq: 2}}]}) { items { id and } } }")
    assert result == {"gates": {"items": [{"id": 2, "and": "y"}]}}
    assert await input_fields(client, "GateFilter") == ["id", "and", "or", "not"]
    assert gateway.schemas.last_error is None


# --- without a database -------------------------------------------------------------------


def _catalog_schema(
    definitions: dict[str, tuple[tuple[FieldDefinition, ...], tuple[RelationDefinition, ...]]],
) -> GraphQLSchema:
    """A schema over one table per alias with columns ``id`` (key), ``parent_id`` and
    ``value``; ``definitions`` maps each alias to its fields and relationships."""
    metadata = sa.MetaData()
    declared = {
        alias: sa.Table(
            alias,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("parent_id", sa.Integer),
            sa.Column("value", sa.String(10)),
        )
        for alias in definitions
    }
    configurations = [
        EntityConfiguration(alias, alias, True, EntityDefinition("id", fields), relations)
        for alias, (fields, relations) in definitions.items()
    ]
    return build_valid_schema(build_catalog(1, configurations, declared))


def _has_many(name: str, target: str) -> RelationDefinition:
    return RelationDefinition(name, "hasMany", target, "parent_id", "id", is_editable=True)


_KEY = FieldDefinition("id", "id", "integer", False, False)
_CREATABLE = FieldDefinition("value", "value", "string", True, True)


def test_create_is_left_out_exactly_where_its_input_would_have_no_field() -> None:
    schema = _catalog_schema(
        {
            # A chain of editable relationships to something creatable: a create for each.
            "alphas": ((_KEY,), (_has_many("betas", "betas"),)),
            "betas": ((_KEY,), (_has_many("gammas", "gammas"),)),
            "gammas": ((_KEY, _CREATABLE), ()),
            # A cycle: each input has the other's as a field, so both are kept.
            "deltas": ((_KEY,), (_has_many("epsilons", "epsilons"),)),
            "epsilons": ((_KEY,), (_has_many("deltas", "deltas"),)),
            # A chain to nothing creatable: no create anywhere on it.
            "zetas": ((_KEY,), (_has_many("etas", "etas"),)),
            "etas": ((_KEY,), ()),
        }
    )
    assert isinstance(schema.mutation_type, GraphQLObjectType)
    creates = {n for n in schema.mutation_type.fields if n.startswith("create")}
    assert creates == {
        "createAlphas",
        "createBetas",
        "createGammas",
        "createDeltas",
        "createEpsilons",
    }
    alpha_input = schema.type_map["AlphaCreateInput"]
    assert isinstance(alpha_input, GraphQLInputObjectType)
    assert list(alpha_input.fields) == ["betas"]
    for name in ("ZetaCreateInput", "EtaCreateInput"):
        assert name not in schema.type_map
    zeta_update = schema.type_map["ZetaUpdateInput"]
    assert isinstance(zeta_update, GraphQLInputObjectType)
    assert list(zeta_update.fields) == ["id", "etas"]


def test_every_type_shared_by_entities_has_a_reserved_name() -> None:
    """An entity named like a shared type (``big-ints`` is ``BigInt``) is refused when
    applied; that needs every shared type's name in SHARED_TYPE_NAMES."""
    metadata = sa.MetaData()
    kinds: dict[str, tuple[FieldType, sa.types.TypeEngine[Any]]] = {
        "small": ("integer", sa.SmallInteger()),
        "big": ("integer", sa.BigInteger()),
        "text": ("string", sa.String(10)),
        "price": ("decimal", sa.Numeric(10, 2)),
        "flag": ("boolean", sa.Boolean()),
        "ratio": ("float", sa.Float()),
        "day": ("date", sa.Date()),
        "moment": ("datetime", sa.DateTime()),
        "doc": ("json", sa.JSON()),
    }
    table = sa.Table(
        "everything",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(name, column_type) for name, (_, column_type) in kinds.items()),
    )
    fields = (
        FieldDefinition("id", "id", "integer", False, False),
        *(FieldDefinition(name, name, kind, True, True) for name, (kind, _) in kinds.items()),
    )
    configuration = EntityConfiguration(
        "everything", "everything", True, EntityDefinition("id", fields, is_deletable=True)
    )
    schema = build_valid_schema(build_catalog(1, [configuration], {"everything": table}))

    own = set(entity_names("everything").all_type_names())
    shared = {n for n in schema.type_map if n not in own and not n.startswith("__")}
    assert shared - SHARED_TYPE_NAMES == set()
