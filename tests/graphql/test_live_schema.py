"""The GraphQL schema follows the configuration: a change saved through this process's registry,
or by another registry on another engine, is served on the next request (the test settings
check the catalog version on every request); a schema that fails to build leaves the last good
one serving, together with the catalog it was built from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from graphql import GraphQLSchema

from app import demo
from app.database import create_engine
from app.gateway import Gateway
from app.settings import Settings
from schema_builder.catalog import Catalog
from schema_builder.definition import parse_entries
from schema_builder.graphql import registry as graphql_registry
from schema_builder.registry import CatalogRegistry
from tests.graphql.support import Body, data, post

Entry = dict[str, Any]

TYPE_FIELDS = "query($name: String!) { __type(name: $name) { fields { name } } }"
QUERY_FIELDS = '{ __type(name: "Query") { fields { name } } }'
MUTATION_FIELDS = '{ __type(name: "Mutation") { fields { name } } }'

tag_metadata = sa.MetaData()
tag = sa.Table(
    "tag",
    tag_metadata,
    sa.Column("id_tag", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(32), nullable=False),
)
TAGS: Entry = {
    "tableName": "tag",
    "tableAlias": "tags",
    "isActive": True,
    "definition": {
        "identifier": "id_tag",
        "isDeletable": True,
        "fields": [
            {
                "fieldName": "id_tag",
                "fieldVisibleName": "id_tag",
                "type": "integer",
                "isCreatable": False,
                "isEditable": False,
                "validation": {"isRequired": False},
            },
            {
                "fieldName": "label",
                "fieldVisibleName": "label",
                "type": "string",
                "isCreatable": True,
                "isEditable": True,
                "validation": {"isRequired": True, "maxLength": 32},
            },
        ],
    },
}


def demo_entry(alias: str, change: Callable[[Entry], None]) -> Entry:
    entry: Entry = next(e for e in demo.demo_entries() if e["tableAlias"] == alias)
    change(entry)
    return entry


def rename_country_name(entry: Entry) -> None:
    field = next(f for f in entry["definition"]["fields"] if f["fieldName"] == "name")
    field["fieldVisibleName"] = "country_name"


def deactivate(entry: Entry) -> None:
    entry["isActive"] = False


async def field_names(client: httpx.AsyncClient, type_name: str) -> list[str] | None:
    result = await data(client, TYPE_FIELDS, {"name": type_name})
    if result["__type"] is None:
        return None
    return [f["name"] for f in result["__type"]["fields"]]


async def root_fields(client: httpx.AsyncClient, query: str) -> set[str]:
    result = await data(client, query)
    return {f["name"] for f in result["__type"]["fields"]}


def validation_error(body: Body) -> str:
    [error] = body["errors"]
    assert error["extensions"] == {"code": "DX111", "status": 400}
    message: str = error["message"]
    return message


async def test_renamed_field_is_served_under_its_new_name_on_the_next_request(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    assert "name" in (await field_names(client, "Country") or [])
    await gateway.registry.apply(parse_entries([demo_entry("countries", rename_country_name)]))

    fields = await field_names(client, "Country")
    assert fields is not None
    assert "country_name" in fields
    assert "name" not in fields
    result = await data(client, "{ country(id: 2) { country_name } }")
    assert result == {"country": {"country_name": "Austria"}}
    old = await post(client, "{ country(id: 2) { name } }")
    assert old.status_code == 400
    assert "Cannot query field 'name' on type 'Country'" in validation_error(old.json())
    filter_type = await data(client, '{ __type(name: "CountryFilter") { inputFields { name } } }')
    filter_fields = {f["name"] for f in filter_type["__type"]["inputFields"]}
    assert "country_name" in filter_fields
    assert "name" not in filter_fields
    created = await post(
        client,
        'mutation { createCountries(items: [{iso2_code: "SE", iso3_code: "SWE",'
        ' country_name: "Sweden"}]) { items { country_name } } }',
    )
    assert created.json() == {"data": {"createCountries": {"items": [{"country_name": "Sweden"}]}}}


async def test_deactivated_entity_leaves_the_schema_with_its_relationships(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    assert {"countries", "country"} <= await root_fields(client, QUERY_FIELDS)
    assert "country" in (await field_names(client, "ProductStock") or [])
    await gateway.registry.apply(parse_entries([demo_entry("countries", deactivate)]))

    assert await field_names(client, "Country") is None
    assert not {"countries", "country"} & await root_fields(client, QUERY_FIELDS)
    assert "createCountries" not in await root_fields(client, MUTATION_FIELDS)
    stock_fields = await field_names(client, "ProductStock")
    assert stock_fields is not None
    assert "country" not in stock_fields
    assert "country_id" in stock_fields
    gone = await post(client, "{ countries { totalCount } }")
    assert gone.status_code == 400
    assert "countries" in validation_error(gone.json())
    result = await data(client, "{ productStocks(limit: 1) { items { country_id } } }")
    [stock] = result["productStocks"]["items"]
    assert list(stock) == ["country_id"]
    assert isinstance(stock["country_id"], int)


async def test_added_entity_gets_its_queries_and_mutations(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    assert await field_names(client, "Tag") is None
    async with gateway.engine.begin() as connection:
        await connection.run_sync(tag_metadata.create_all)
    await gateway.registry.apply(parse_entries([TAGS]))

    assert await field_names(client, "Tag") == ["id_tag", "label"]
    assert {"tags", "tag"} <= await root_fields(client, QUERY_FIELDS)
    assert {"createTags", "deleteTags"} <= await root_fields(client, MUTATION_FIELDS)
    created = await data(
        client,
        'mutation { createTags(items: [{label: "new"}, {label: "sale"}]) { items { label } } }',
    )
    assert created == {"createTags": {"items": [{"label": "new"}, {"label": "sale"}]}}
    listed = await data(client, "{ tags(sort: [LABEL_DESC]) { items { label } totalCount } }")
    assert listed == {"tags": {"items": [{"label": "sale"}, {"label": "new"}], "totalCount": 2}}


async def test_graphql_name_renames_the_generated_types(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    def name_it(entry: Entry) -> None:
        entry["definition"]["graphqlName"] = "Nation"

    await gateway.registry.apply(parse_entries([demo_entry("countries", name_it)]))
    assert await field_names(client, "Country") is None
    assert "iso2_code" in (await field_names(client, "Nation") or [])
    result = await data(
        client, "{ nation(id: 1) { iso2_code } countries(limit: 1) { totalCount } }"
    )
    assert result == {"nation": {"iso2_code": "DE"}, "countries": {"totalCount": 10}}


async def test_change_saved_by_another_registry_is_served_on_the_next_request(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert "name" in (await field_names(client, "Country") or [])
    other_engine = create_engine(settings)
    try:
        other = CatalogRegistry(other_engine, denied_tables=settings.denied_tables)
        await other.apply(parse_entries([demo_entry("countries", rename_country_name)]))
    finally:
        await other_engine.dispose()

    fields = await field_names(client, "Country")
    assert fields is not None
    assert "country_name" in fields
    assert "name" not in fields
    assert await data(client, "{ country(id: 1) { country_name } }") == {
        "country": {"country_name": "Germany"}
    }


async def test_schema_that_fails_to_build_leaves_the_last_good_one_serving(
    client: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await gateway.registry.current()
    assert await data(client, "{ country(id: 2) { name } }") == {"country": {"name": "Austria"}}
    real = graphql_registry.build_valid_schema
    refused_versions: list[int] = []

    def build(catalog: Catalog) -> GraphQLSchema:
        if catalog.version == before.version + 1:
            refused_versions.append(catalog.version)
            raise graphql_registry.SchemaBuildError("simulated failure")
        return real(catalog)

    monkeypatch.setattr(graphql_registry, "build_valid_schema", build)
    await gateway.registry.apply(parse_entries([demo_entry("countries", rename_country_name)]))
    assert (await gateway.registry.current()).version == before.version + 1

    # The old schema keeps answering, read with the catalog it was built from.
    for _ in range(2):
        assert await data(client, "{ country(id: 2) { name } }") == {"country": {"name": "Austria"}}
        listed = await data(client, "{ countries(limit: 2) { items { id_country name } } }")
        assert listed["countries"]["items"][1] == {"id_country": 2, "name": "Austria"}
    assert refused_versions == [before.version + 1], "a failed version is not rebuilt per request"
    assert isinstance(gateway.schemas.last_error, graphql_registry.SchemaBuildError)
    rest = await client.get("/dynamic-entity/countries/2")
    assert rest.json()["data"]["country_name"] == "Austria", "REST serves the new catalog"

    # The next version that builds replaces it.
    def rename_again(entry: Entry) -> None:
        rename_country_name(entry)
        entry["definition"]["fields"][1]["fieldVisibleName"] = "iso2"

    await gateway.registry.apply(parse_entries([demo_entry("countries", rename_again)]))
    assert await data(client, "{ country(id: 2) { country_name iso2 } }") == {
        "country": {"country_name": "Austria", "iso2": "AT"}
    }
    assert gateway.schemas.last_error is None
