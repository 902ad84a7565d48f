"""A bounded GraphQL fuzzer: documents built from the live schema, valid and not.

Hypothesis walks the schema the gateway serves (read from ``/graphql/schema.graphql``): a query
or a mutation, root fields with arguments of every input type (scalars, enums, filter inputs,
lists, write inputs) — mostly well-typed, sometimes not — nested selections with aliases,
inline fragments and ``__typename``, sometimes variables; then, for a share of the documents,
a few random edits of the text (characters removed, brackets and punctuation inserted, a piece
repeated). Every answer must be a client error or a success, never a server error, and every
error must carry ``extensions.code`` and ``extensions.status``, also below 500.

The documents run against the module's own database, mutations included. Derandomized and
bounded: ``EXAMPLES`` documents per back end.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    get_named_type,
)
from hypothesis import given, settings
from hypothesis import strategies as st

EXAMPLES = 200
MAX_DEPTH = 3
TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "Z", "0", " ", "%", "_", "\\", "'", '"', "\x00", "\n", "\u00e4", "\U0001f600", "{"]
    ),
    max_size=6,
)
NUMBERS = st.one_of(
    st.integers(-3, 1002),
    st.sampled_from([2**31, -(2**31) - 1, 2**63, 10**30]),
)
PUNCTUATION = ["{", "}", "(", ")", "[", "]", ":", "$", "!", "...", "@skip", '"', "#", "\\u0000"]


@pytest.fixture(scope="module")
async def schema(shared_client: httpx.AsyncClient) -> GraphQLSchema:
    response = await shared_client.get("/graphql/schema.graphql")
    assert response.status_code == 200
    return build_schema(response.text)


def _scalar(draw: st.DrawFn, kind: GraphQLScalarType) -> str:
    name = kind.name
    if name in ("Int", "BigInt"):
        return str(draw(NUMBERS))
    if name == "Float":
        return repr(draw(st.floats(allow_nan=False, allow_infinity=False, width=32)))
    if name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    if name == "Decimal":
        return json.dumps(
            draw(st.one_of(st.sampled_from(["0", "19.99", "-1", "1e3", "abc"]), TEXT))
        )
    if name in ("Date", "DateTime"):
        return json.dumps(
            draw(st.sampled_from(["2024-02-29", "2024-13-01", "2024-01-01T10:00:00", ""]))
        )
    return json.dumps(draw(TEXT))


def value_literal(draw: st.DrawFn, kind: GraphQLInputType, depth: int) -> str:
    """A literal for ``kind``; one in twenty is of a wrong shape on purpose."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.sampled_from(["null", '"x"', "1", "[]", "{}", "true", "FOO"]))
    if isinstance(kind, GraphQLNonNull):
        return value_literal(draw, kind.of_type, depth)
    if isinstance(kind, GraphQLList):
        items = draw(st.integers(0, 2 if depth > 0 else 0))
        return (
            "["
            + ", ".join(value_literal(draw, kind.of_type, depth - 1) for _ in range(items))
            + "]"
        )
    if isinstance(kind, GraphQLEnumType):
        return draw(st.sampled_from(list(kind.values)))
    if isinstance(kind, GraphQLInputObjectType):
        names = list(kind.fields)
        required = [n for n in names if isinstance(kind.fields[n].type, GraphQLNonNull)]
        optional = [n for n in names if n not in required]
        chosen = required + draw(
            st.lists(st.sampled_from(optional), max_size=2 if depth > 0 else 0, unique=True)
            if optional
            else st.just([])
        )
        return (
            "{"
            + ", ".join(
                f"{n}: {value_literal(draw, kind.fields[n].type, depth - 1)}" for n in chosen
            )
            + "}"
        )
    assert isinstance(kind, GraphQLScalarType)
    return _scalar(draw, kind)


def selection(draw: st.DrawFn, kind: GraphQLObjectType, depth: int) -> str:
    fields = list(kind.fields.items())
    chosen = draw(
        st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique_by=lambda f: f[0])
    )
    parts: list[str] = []
    for number, (name, field) in enumerate(chosen):
        alias = f"a{number}: " if draw(st.integers(0, 4)) == 0 else ""
        arguments = []
        for arg_name, argument in field.args.items():
            if isinstance(argument.type, GraphQLNonNull) or draw(st.integers(0, 3)) == 0:
                arguments.append(f"{arg_name}: {value_literal(draw, argument.type, 2)}")
        text = alias + name + (f"({', '.join(arguments)})" if arguments else "")
        target = get_named_type(field.type)
        if isinstance(target, GraphQLObjectType):
            inner = selection(draw, target, depth - 1) if depth > 0 else "__typename"
            text += f" {{ {inner} }}"
        parts.append(text)
    if draw(st.integers(0, 5)) == 0:
        parts.append("__typename")
    if draw(st.integers(0, 7)) == 0:
        parts = [f"... on {kind.name} {{ {' '.join(parts)} }}"]
    return " ".join(parts)


@st.composite
def documents(draw: st.DrawFn, schema: GraphQLSchema) -> tuple[str, dict[str, Any] | None]:
    mutation = schema.mutation_type is not None and draw(st.integers(0, 4)) == 0
    root = schema.mutation_type if mutation else schema.query_type
    assert root is not None
    body = selection(draw, root, MAX_DEPTH)
    variables: dict[str, Any] | None = None
    header = "mutation" if mutation else "query"
    if draw(st.integers(0, 4)) == 0:
        header += "($limit: Int, $f: ProductFilter)"
        body = re.sub(r"\blimit: -?\d+", "limit: $limit", body, count=1)
        variables = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "limit": st.one_of(NUMBERS, TEXT, st.none()),
                    "f": st.one_of(
                        st.just({"sku": {"like": "CAM%"}}),
                        st.dictionaries(TEXT, st.one_of(TEXT, NUMBERS), max_size=2),
                        st.none(),
                    ),
                },
            )
        )
    text = f"{header} {{ {body} }}"
    if draw(st.integers(0, 4)) == 0:  # break it
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(text)))
            edit = draw(st.integers(0, 2))
            if edit == 0:
                text = text[:at] + text[at + draw(st.integers(1, 5)) :]
            elif edit == 1:
                text = text[:at] + draw(st.sampled_from(PUNCTUATION)) + text[at:]
            else:
                text = text[:at] + text[at : at + 20] + text[at:]
    return text, variables


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:1000]
    body = response.json()
    assert isinstance(body, dict), body
    assert "data" in body or "errors" in body, body
    if response.status_code == 400:
        assert "data" not in body, body
    for error in body.get("errors", ()):
        extensions = error.get("extensions") or {}
        assert isinstance(extensions.get("code"), str), error
        assert isinstance(extensions.get("status"), int), error
        assert extensions["status"] < 500, error
        assert error["message"], error


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None)
@given(data=st.data())
async def test_random_documents_never_fail_on_the_server(
    shared_client: httpx.AsyncClient, schema: GraphQLSchema, data: st.DataObject
) -> None:
    query, variables = data.draw(documents(schema), label="document")
    content = json.dumps({"query": query, "variables": variables}).encode()
    check(await shared_client.post("/graphql", content=content))


async def test_the_fuzzer_reaches_successes_and_every_kind_of_refusal(
    shared_client: httpx.AsyncClient, schema: GraphQLSchema
) -> None:
    # The share of each outcome over a fixed sample: a fuzzer that only ever produced syntax
    # errors (or only successes) would test little.
    seen: set[str] = set()

    @settings(max_examples=60, derandomize=True, deadline=None, database=None)
    @given(document=documents(schema))
    def collect(document: tuple[str, dict[str, Any] | None]) -> None:
        samples.append(document)

    samples: list[tuple[str, dict[str, Any] | None]] = []
    collect()
    for query, variables in samples:
        response = await shared_client.post(
            "/graphql", content=json.dumps({"query": query, "variables": variables}).encode()
        )
        check(response)
        body = response.json()
        if "errors" not in body:
            seen.add("success")
        for error in body.get("errors", ()):
            seen.add(error["extensions"]["code"])
    assert {"success", "DX110", "DX111"} <= seen, seen
