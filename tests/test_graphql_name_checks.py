"""Names the generated GraphQL schema cannot take are refused when a configuration is applied,
naming the entity and the name, and nothing is saved; the schema serving GraphQL stays as it was.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.demo import demo_entries
from app.gateway import Gateway
from schema_builder.definition import entry_to_dict, parse_entries
from schema_builder.errors import ConfigurationError, Problem
from schema_builder.registry import CatalogRegistry
from schema_builder.store import read_version
from tests.entries import plain_entry

Entry = dict[str, Any]

counters = sa.MetaData()
counter = sa.Table(
    "counter",
    counters,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("total", sa.BigInteger, nullable=True),
)


def demo_entry(alias: str) -> Entry:
    return copy.deepcopy(next(e for e in demo_entries() if e["tableAlias"] == alias))


async def refused(gateway: Gateway, client: httpx.AsyncClient, *entries: Entry) -> list[Problem]:
    """Apply, expect a refusal, and check that nothing stored or served changed."""
    registry: CatalogRegistry = gateway.registry
    countries = "{ countries(limit: 1) { totalCount } }"
    served = (await client.post("/graphql", json={"query": countries})).json()
    before = await _stored(registry)
    with pytest.raises(ConfigurationError) as raised:
        await registry.apply(parse_entries(list(entries)))
    assert await _stored(registry) == before
    assert (await client.post("/graphql", json={"query": countries})).json() == served
    assert gateway.schemas.last_error is None
    return list(raised.value.problems)


async def _stored(registry: CatalogRegistry) -> tuple[int, list[Entry]]:
    async with registry.engine.connect() as connection:
        version = await read_version(connection)
    return version, [entry_to_dict(c) for c in await registry.configurations()]


def _rename_relation(entry: Entry) -> None:
    entry["childRelations"][0]["name"] = "__stocks"


def _rename_type(entry: Entry) -> None:
    entry["definition"]["graphqlName"] = "__Nation"


def _rename_field(entry: Entry) -> None:
    entry["definition"]["fields"][3]["fieldVisibleName"] = "__name"


@pytest.mark.parametrize(
    ("rename", "problem"),
    [
        (
            _rename_relation,
            Problem(
                "countries",
                "Relation name `__stocks` starts with `__`, which GraphQL reserves.",
                "relation __stocks",
                "Rename the relationship.",
            ),
        ),
        (
            _rename_type,
            Problem(
                "countries",
                "`graphqlName` `__Nation` starts with `__`, which GraphQL reserves.",
                "graphqlName",
                "Use a name that does not start with `__`.",
            ),
        ),
        (
            _rename_field,
            Problem(
                "countries",
                "`__name` starts with `__`, which GraphQL reserves.",
                "__name",
                "Rename the field's visible name.",
            ),
        ),
    ],
)
async def test_names_starting_with_two_underscores_are_refused(
    gateway: Gateway, client: httpx.AsyncClient, rename: Any, problem: Problem
) -> None:
    """A relationship, a GraphQL type name or a field's visible name that GraphQL reserves."""
    entry = demo_entry("countries")
    rename(entry)

    assert await refused(gateway, client, entry) == [problem]


async def test_alias_named_like_a_shared_type_is_refused(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    async with gateway.engine.begin() as connection:
        await connection.run_sync(counters.create_all)
    entry = plain_entry("counter", "big-ints", "id", {"id": "integer", "total": "integer"})

    problems = await refused(gateway, client, entry)

    assert problems == [
        Problem(
            "big-ints",
            "GraphQL name `BigInt` is reserved.",
            fix="Set `graphqlName` in the definition to another name.",
        )
    ]


async def test_graphql_name_deriving_a_shared_type_name_is_refused(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    entry = demo_entry("countries")
    entry["definition"]["graphqlName"] = "BigIntFilter"

    problems = await refused(gateway, client, entry)

    assert [(p.entity, p.message) for p in problems] == [
        ("countries", "GraphQL name `BigIntFilter` is reserved.")
    ]


async def test_reserved_name_of_an_inactive_entity_is_refused_when_it_is_activated(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    entry = demo_entry("countries")
    entry["childRelations"][0]["name"] = "__stocks"
    entry["isActive"] = False
    await gateway.registry.apply(parse_entries([entry]))
    entry["isActive"] = True

    problems = await refused(gateway, client, entry)

    assert [(p.entity, p.field) for p in problems] == [("countries", "relation __stocks")]


async def test_fields_that_would_sort_by_the_same_enum_value_are_refused(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    # Sort values are upper snake case: `isActive` and `is_active` would both be IS_ACTIVE_ASC.
    entry = demo_entry("products")
    field = next(f for f in entry["definition"]["fields"] if f["fieldName"] == "name")
    field["fieldVisibleName"] = "isActive"

    problems = await refused(gateway, client, entry)

    assert problems == [
        Problem(
            "products",
            "Fields `isActive` and `is_active` both sort as `IS_ACTIVE_ASC` in GraphQL.",
            "is_active",
            "Rename one field's visible name.",
        )
    ]
