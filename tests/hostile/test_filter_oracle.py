"""Random filters against a plain-Python oracle, over the same rows on SQLite and PostgreSQL.

A table of integer, string, decimal, boolean and date columns (all nullable) holds fixed rows
chosen for their edges: NULLs, the 32-bit limits, zero and its neighbours, LIKE's own characters
(``%``, ``_``, ``\\``), quotes, case pairs, accents, emoji, leap days. Hypothesis draws filters
— the operators eq ne gt gte lt lte in like isNull combined per field, with values from the rows,
next to them, and anywhere — and sends them through REST ``filter[...]`` (with a ``sort``) and
through GraphQL's filter input (with ``and``/``or``/``not``). The identifiers returned must be the
ones the oracle computes, in the order it computes. Deletes by the same filters, on a copy of the
rows restored after each, must remove exactly the rows the oracle selects.

The semantics are dexgate's documented ones, the same on both back ends:

- SQL's three-valued logic: a comparison with NULL is unknown, so ``ne``, ``gt``, … never match
  a NULL, ``not`` of unknown is unknown, and only ``isNull`` finds NULLs; an empty ``in`` list
  matches nothing, NULL or not (and so its ``not`` matches everything);
- strings compare by code point (SQLite's BINARY collation; PostgreSQL's C and C.UTF-8, which
  the test databases use — another collation orders ``gt``/``lt``/``sort`` by its own rules);
- ``like`` is case-sensitive, ``%`` any run of characters, ``_`` one character, ``\\`` escapes
  the next character;
- an operator given as ``null`` is refused (DX101): ignored, it would widen the filter;
- a delete needs a filter with a condition, and no ``and``/``or``/``not`` without one beneath
  it (DX104): such a part selects every row or none, and may make the whole filter do so;
- ``sort`` puts NULLs after every value ascending and before them descending; ties are ordered
  by the identifier, ascending.

Decimal values have at most 15 significant digits: SQLite stores NUMERIC columns as 8-byte
floats, exact to 15 digits, so a filter value with more can equal a stored value on SQLite that
it does not equal on PostgreSQL (see the note in docs/compatibility.md).

The runs are derandomized and bounded (``EXAMPLES`` per test and back end).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gateway import Gateway
from schema_builder.definition import parse_entries
from tests.entries import plain_entry

EXAMPLES = 200
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

metadata = sa.MetaData()
sample = sa.Table(
    "filter_sample",
    metadata,
    sa.Column("id_sample", sa.Integer, primary_key=True),
    sa.Column("num", sa.Integer, nullable=True),
    sa.Column("label", sa.String(40), nullable=True),
    sa.Column("amount", sa.Numeric(12, 2), nullable=True),
    sa.Column("flag", sa.Boolean, nullable=True),
    sa.Column("day", sa.Date, nullable=True),
)
TYPES = {
    "num": "integer",
    "label": "string",
    "amount": "decimal",
    "flag": "boolean",
    "day": "date",
}
ENTRY = plain_entry(
    "filter_sample",
    "samples",
    "id_sample",
    {"id_sample": "integer", **TYPES},
    deletable=False,
)

NUMS = [None, 0, 1, -1, 2, 7, 42, 100, -100, INT_MAX, INT_MIN, INT_MAX - 1, INT_MIN + 1]
LABELS = [
    None,
    "",
    "a",
    "A",
    "b",
    "B",
    "ab",
    "aB",
    "abc",
    "abd",
    "a%b",
    "a_b",
    "a\\b",
    "a%",
    "%",
    "_",
    "\\",
    "'",
    "a b",
    " a",
    "a ",
    "\u00c4",
    "\u00e4",
    "\u00e9",
    "e\u0301",
    "z",
    "Z",
    "zz",
    "\U0001f600",
    "\u65e5\u672c",
    "NULL",
    "O'Brien",
    "%_\\",
    "\u01c5",
    "\u00df",
    "SS",
    "\u0130",
    "i",
    "{}",
]
AMOUNTS = [
    None,
    "0.00",
    "-0.01",
    "0.01",
    "0.10",
    "1.00",
    "12.30",
    "12.34",
    "12.35",
    "99.99",
    "100.00",
    "-100.00",
    "9999999999.99",
    "-9999999999.99",
    "1234567.89",
]
FLAGS = [None, True, False]
DAYS = [
    None,
    "0001-01-01",
    "1970-01-01",
    "1999-12-31",
    "2000-01-01",
    "2000-02-29",
    "2024-02-29",
    "2024-03-01",
    "9999-12-31",
]
ROW_COUNT = 60


def python_value(field: str, value: Any) -> Any:
    """A value as the oracle compares it."""
    if value is None:
        return None
    kind = TYPES[field]
    if kind == "decimal":
        return Decimal(value)
    if kind == "date":
        return date.fromisoformat(value)
    return value


def seeded_rows() -> list[dict[str, Any]]:
    return [
        {
            "id_sample": i + 1,
            "num": NUMS[i % len(NUMS)],
            "label": LABELS[(7 * i + 3) % len(LABELS)],
            "amount": python_value("amount", AMOUNTS[(5 * i + 1) % len(AMOUNTS)]),
            "flag": FLAGS[(i // 2) % len(FLAGS)],
            "day": python_value("day", DAYS[(4 * i + 2) % len(DAYS)]),
        }
        for i in range(ROW_COUNT)
    ]


ROWS = seeded_rows()
# The same columns and rows once more, deletable: the delete properties empty and refill it.
doomed = sample.to_metadata(metadata, name="filter_doomed")
DOOMED_ENTRY = plain_entry(
    "filter_doomed",
    "doomed-samples",
    "id_sample",
    {"id_sample": "integer", **TYPES},
    deletable=True,
)


@pytest.fixture(scope="module")
async def samples(
    shared_app: Any, shared_engine: AsyncEngine, shared_client: httpx.AsyncClient
) -> httpx.AsyncClient:
    """The module's client, with ``filter_sample`` created, filled and registered."""
    async with shared_engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(sa.insert(sample), ROWS)
        await connection.execute(sa.insert(doomed), ROWS)
    gateway: Gateway = shared_app.state.gateway
    await gateway.registry.apply(parse_entries([ENTRY, DOOMED_ENTRY]))
    return shared_client


# --- the oracle ------------------------------------------------------------------------------

Truth = bool | None  # None: unknown, as SQL's NULL


def all_of(values: Sequence[Truth]) -> Truth:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def any_of(values: Sequence[Truth]) -> Truth:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def negate(value: Truth) -> Truth:
    return None if value is None else not value


def like_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    characters = iter(pattern)
    for c in characters:
        if c == "\\":
            parts.append(re.escape(next(characters)))
        elif c == "%":
            parts.append(".*")
        elif c == "_":
            parts.append(".")
        else:
            parts.append(re.escape(c))
    return re.compile("".join(parts), re.DOTALL)


def condition(field: str, operator: str, operand: Any, row: dict[str, Any]) -> Truth:
    value = row[field]
    if operator == "isNull":
        return (value is None) is operand
    if operator == "in":
        # SQLAlchemy writes an empty IN as a false expression: false for NULLs as well.
        if not operand:
            return False
        if value is None:
            return None
        return value in [python_value(field, v) for v in operand]
    if value is None:
        return None
    if operator == "like":
        return like_regex(operand).fullmatch(value) is not None
    other = python_value(field, operand)
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "eq": lambda a, b: bool(a == b),
        "ne": lambda a, b: bool(a != b),
        "gt": lambda a, b: bool(a > b),
        "gte": lambda a, b: bool(a >= b),
        "lt": lambda a, b: bool(a < b),
        "lte": lambda a, b: bool(a <= b),
    }
    return compare[operator](value, other)


def rest_truth(conditions: Sequence[tuple[str, dict[str, Any]]], row: dict[str, Any]) -> Truth:
    return all_of(
        [condition(field, op, arg, row) for field, ops in conditions for op, arg in ops.items()]
    )


def graphql_truth(node: dict[str, Any], row: dict[str, Any]) -> Truth:
    parts: list[Truth] = []
    for key, operand in node.items():
        if key == "and":
            parts.append(all_of([graphql_truth(item, row) for item in operand]))
        elif key == "or":
            parts.append(any_of([graphql_truth(item, row) for item in operand]))
        elif key == "not":
            parts.append(negate(graphql_truth(operand, row)))
        elif operand is not None:
            parts.extend(condition(key, op, arg, row) for op, arg in operand.items())
    return all_of(parts)


def has_null_operand(node: dict[str, Any]) -> bool:
    """Whether an operator anywhere in the filter is given as null (refused: DX101)."""
    for key, operand in node.items():
        if operand is None:
            continue
        if key in ("and", "or"):
            if any(has_null_operand(item) for item in operand):
                return True
        elif key == "not":
            if has_null_operand(operand):
                return True
        elif any(arg is None for arg in operand.values()):
            return True
    return False


def condition_count(node: dict[str, Any]) -> int | None:
    """How many parts the filter ANDs (a condition, or one ``and``, ``or`` or ``not``); None
    when an ``and``, ``or`` or ``not`` in it has no part, for ``and`` counting the parts of
    all its items together."""
    count = 0
    for key, operand in node.items():
        if operand is None:
            continue
        if key in ("and", "or", "not"):
            items = [operand] if key == "not" else operand
            counts = [condition_count(item) for item in items]
            known = [c for c in counts if c is not None]
            if not items or len(known) < len(counts):
                return None
            if sum(known) == 0 if key == "and" else 0 in known:
                return None
            count += 1
        else:
            count += len(operand)
    return count


def deletable_by(node: dict[str, Any]) -> bool:
    """Whether a delete takes ``node`` as its filter (DX104 otherwise)."""
    return bool(condition_count(node))


def sort_order(rows: list[dict[str, Any]], field: str | None, descending: bool) -> list[int]:
    ordered = sorted(rows, key=lambda row: row["id_sample"])
    if field is not None:
        # NULLs after every value ascending: (False, v) < (True, None).
        ordered.sort(
            key=lambda row: (row[field] is None, row[field] if row[field] is not None else 0),
            reverse=descending,
        )
    return [row["id_sample"] for row in ordered]


# --- strategies ------------------------------------------------------------------------------

ALPHABET = "aAbBzZ %_\\'\u00e4\u00c4\u00e9\u0301\U0001f600\u65e5\u00df\u0130i{"
DECIMAL_LIMIT = Decimal("99999999999.999")  # 14 significant digits at most


def neighbours(pool: Sequence[Any], step: Callable[[Any, int], Any]) -> st.SearchStrategy[Any]:
    values = [v for v in pool if v is not None]
    return st.builds(step, st.sampled_from(values), st.sampled_from([-1, 1]))


def _int_step(value: int, delta: int) -> int:
    return min(max(value + delta, INT_MIN), INT_MAX)


def _decimal_step(value: str, delta: int) -> str:
    return str(Decimal(value) + Decimal(delta) / 1000)


def _date_step(value: str, delta: int) -> str:
    day = date.fromisoformat(value)
    try:
        return (day + timedelta(days=delta)).isoformat()
    except OverflowError:
        return value


SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "integer": st.one_of(
        st.sampled_from([v for v in NUMS if v is not None]),
        neighbours(NUMS, _int_step),
        st.integers(INT_MIN, INT_MAX),
    ),
    "string": st.one_of(
        st.sampled_from([v for v in LABELS if v is not None]),
        st.text(alphabet=ALPHABET, max_size=4),
    ),
    "decimal": st.one_of(
        st.sampled_from([v for v in AMOUNTS if v is not None]),
        neighbours(AMOUNTS, _decimal_step),
        st.decimals(
            min_value=-DECIMAL_LIMIT, max_value=DECIMAL_LIMIT, places=3, allow_nan=False
        ).map(str),
    ),
    "boolean": st.booleans(),
    "date": st.one_of(
        st.sampled_from([v for v in DAYS if v is not None]),
        neighbours(DAYS, _date_step),
        st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat),
    ),
}
LIKE_PIECES = ["%", "_", "\\%", "\\_", "\\\\", "a", "A", "b", "\u00e4", "'", " ", "\U0001f600"]


@st.composite
def like_patterns(draw: st.DrawFn) -> str:
    """Pieces of LIKE syntax, or a stored label with some characters made wildcards and the
    others escaped where LIKE needs it (so that patterns match rows, escapes included)."""
    if draw(st.booleans()):
        return "".join(draw(st.lists(st.sampled_from(LIKE_PIECES), max_size=5)))
    label = draw(st.sampled_from([v for v in LABELS if v is not None]))
    pieces = []
    for character in label:
        choice = draw(st.integers(0, 5))
        if choice == 0:
            pieces.append("_")
        elif choice == 1:
            pieces.append("%")
        elif character in "%_\\":
            pieces.append("\\" + character)
        else:
            pieces.append(character)
    return "".join(pieces)


OPERATORS = {
    "integer": ("eq", "ne", "gt", "gte", "lt", "lte", "in", "isNull"),
    "string": ("eq", "ne", "gt", "gte", "lt", "lte", "in", "like", "isNull"),
    "decimal": ("eq", "ne", "gt", "gte", "lt", "lte", "in", "isNull"),
    "boolean": ("eq", "ne", "in", "isNull"),
    "date": ("eq", "ne", "gt", "gte", "lt", "lte", "in", "isNull"),
}


def operand(kind: str, operator: str) -> st.SearchStrategy[Any]:
    if operator == "isNull":
        return st.booleans()
    if operator == "in":
        return st.lists(SCALARS[kind], max_size=4)
    if operator == "like":
        return like_patterns()
    return SCALARS[kind]


@st.composite
def field_conditions(draw: st.DrawFn, field: str) -> dict[str, Any]:
    """One to three operators on ``field``, ANDed."""
    kind = TYPES[field]
    operators = draw(
        st.lists(st.sampled_from(OPERATORS[kind]), min_size=1, max_size=3, unique=True)
    )
    return {op: draw(operand(kind, op)) for op in operators}


fields = st.sampled_from(list(TYPES))
field_condition = fields.flatmap(lambda f: field_conditions(f).map(lambda ops: (f, ops)))
rest_conditions = st.lists(field_condition, max_size=4)


@st.composite
def graphql_filters(draw: st.DrawFn, depth: int = 2) -> dict[str, Any]:
    node: dict[str, Any] = {}
    for field in draw(st.lists(fields, max_size=2, unique=True)):
        ops = draw(field_conditions(field))
        if draw(st.integers(0, 9)) == 0:  # an operator left null: refused
            nullable = [op for op in OPERATORS[TYPES[field]] if op != "isNull"]
            ops[draw(st.sampled_from(nullable))] = None
        node[field] = ops
    if depth > 0:
        for combinator in ("and", "or"):
            if draw(st.integers(0, 3)) == 0:
                node[combinator] = draw(st.lists(graphql_filters(depth - 1), max_size=3))
        if draw(st.integers(0, 3)) == 0:
            node["not"] = draw(graphql_filters(depth - 1))
    return node


def literal(kind: str, value: Any) -> str | None:
    """The plain ``filter[...]=value`` form of an equality, where one exists."""
    if kind == "boolean":
        return "true" if value else "false"
    text = str(value)
    return None if text.strip().startswith("{") else text


def rest_params(
    conditions: Sequence[tuple[str, dict[str, Any]]], plain: bool
) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    for field, ops in conditions:
        key = f"filter[samples.{field}]"
        text = literal(TYPES[field], ops["eq"]) if plain and list(ops) == ["eq"] else None
        params.append((key, text if text is not None else json.dumps(ops, ensure_ascii=False)))
    return params


# --- the properties --------------------------------------------------------------------------

bounded = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None)


@bounded
@given(
    conditions=rest_conditions,
    plain=st.booleans(),
    sort=st.one_of(st.none(), st.tuples(st.sampled_from(list(TYPES)), st.booleans())),
)
async def test_rest_filters_return_the_rows_the_oracle_selects(
    samples: httpx.AsyncClient,
    conditions: list[tuple[str, dict[str, Any]]],
    plain: bool,
    sort: tuple[str, bool] | None,
) -> None:
    params = rest_params(conditions, plain)
    if sort is not None:
        params.append(("sort", ("-" if sort[1] else "") + sort[0]))
    response = await samples.get("/dynamic-entity/samples", params=tuple(params))
    assert response.status_code == 200, response.text
    selected = [row for row in ROWS if rest_truth(conditions, row) is True]
    expected = sort_order(selected, *(sort or (None, False)))
    assert [row["id_sample"] for row in response.json()["data"]] == expected


GRAPHQL = (
    "query($f: SampleFilter, $s: [SampleSort!]) {"
    " samples(filter: $f, sort: $s, limit: 1000) { items { id_sample } } }"
)


@bounded
@given(
    filter=graphql_filters(),
    sort=st.one_of(st.none(), st.tuples(st.sampled_from(list(TYPES)), st.booleans())),
)
async def test_graphql_filters_return_the_rows_the_oracle_selects(
    samples: httpx.AsyncClient, filter: dict[str, Any], sort: tuple[str, bool] | None
) -> None:
    variables: dict[str, Any] = {"f": filter}
    if sort is not None:
        variables["s"] = [f"{sort[0].upper()}_{'DESC' if sort[1] else 'ASC'}"]
    content = json.dumps({"query": GRAPHQL, "variables": variables}).encode()
    response = await samples.post("/graphql", content=content)
    body = response.json()
    assert response.status_code == 200, body
    if has_null_operand(filter):
        [error] = body["errors"]
        assert error["extensions"] == {"code": "DX101", "status": 400}, error
        return
    assert "errors" not in body, body["errors"]
    selected = [row for row in ROWS if graphql_truth(filter, row) is True]
    expected = sort_order(selected, *(sort or (None, False)))
    assert [item["id_sample"] for item in body["data"]["samples"]["items"]] == expected


async def refill(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.delete(doomed))
        await connection.execute(sa.insert(doomed), ROWS)


async def remaining(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.scalars(sa.select(doomed.c.id_sample).order_by("id_sample"))
        return list(rows)


def kept(selected: list[dict[str, Any]]) -> list[int]:
    gone = {row["id_sample"] for row in selected}
    return [row["id_sample"] for row in ROWS if row["id_sample"] not in gone]


DELETE = (
    "mutation($f: DoomedSampleFilter) {"
    " deleteDoomedSamples(filter: $f) { deletedCount errors { code } } }"
)


@bounded
@given(filter=graphql_filters(), anchor=st.one_of(st.none(), field_condition))
async def test_graphql_deletes_remove_the_rows_the_oracle_selects(
    samples: httpx.AsyncClient,
    shared_engine: AsyncEngine,
    filter: dict[str, Any],
    anchor: tuple[str, dict[str, Any]] | None,
) -> None:
    if anchor is not None:  # most random filters hold an empty part; many with one do not
        filter = {**filter, anchor[0]: anchor[1]}
    content = json.dumps({"query": DELETE, "variables": {"f": filter}}).encode()
    try:
        body = (await samples.post("/graphql", content=content)).json()
        after = await remaining(shared_engine)
    finally:
        await refill(shared_engine)
    refused = not deletable_by(filter) or has_null_operand(filter)
    selected = [] if refused else [row for row in ROWS if graphql_truth(filter, row) is True]
    if not deletable_by(filter):
        code = "DX104"
    elif has_null_operand(filter):
        code = "DX101"
    elif not selected:
        code = "1303"
    else:
        event("deleted rows")
        assert "errors" not in body, body["errors"]
        assert body["data"]["deleteDoomedSamples"] == {
            "deletedCount": len(selected),
            "errors": [],
        }
        assert after == kept(selected)
        return
    event(f"refused with {code}")
    assert [error["extensions"]["code"] for error in body["errors"]] == [code], body
    assert after == [row["id_sample"] for row in ROWS]


@bounded
@given(conditions=rest_conditions, plain=st.booleans())
async def test_rest_deletes_remove_the_rows_the_oracle_selects(
    samples: httpx.AsyncClient,
    shared_engine: AsyncEngine,
    conditions: list[tuple[str, dict[str, Any]]],
    plain: bool,
) -> None:
    params = tuple(rest_params(conditions, plain))
    try:
        response = await samples.delete("/dynamic-entity/doomed-samples", params=params)
        after = await remaining(shared_engine)
    finally:
        await refill(shared_engine)
    selected = [row for row in ROWS if rest_truth(conditions, row) is True]
    # Refused as no filter: none at all, or only `like` patterns made of "%" (every row).
    says_nothing = all(
        op == "like" and isinstance(value, str) and value != "" and set(value) == {"%"}
        for _field, ops in conditions
        for op, value in ops.items()
    )
    if says_nothing:
        assert response.json()[0]["code"] == "DX104", response.text
    elif not selected:
        assert response.json()[0]["code"] == "1303", response.text
    else:
        event("deleted rows")
        assert response.status_code == 204, response.text
        assert after == kept(selected)
        return
    assert after == [row["id_sample"] for row in ROWS]


@bounded
@given(pattern=like_patterns(), negated=st.booleans())
async def test_like_patterns_match_the_rows_the_oracle_matches(
    samples: httpx.AsyncClient, pattern: str, negated: bool
) -> None:
    # The general properties draw ``like`` among many operators; this one draws only patterns,
    # most of them made from the stored labels, escapes and wildcards included.
    conditions = [("label", {"like": pattern})]
    rest = await samples.get(
        "/dynamic-entity/samples", params=tuple(rest_params(conditions, False))
    )
    assert rest.status_code == 200, rest.text
    expected = [row["id_sample"] for row in ROWS if rest_truth(conditions, row) is True]
    assert [row["id_sample"] for row in rest.json()["data"]] == expected
    node: dict[str, Any] = {"label": {"like": pattern}}
    if negated:
        node = {"not": node}
    variables = {"f": node}
    content = json.dumps({"query": GRAPHQL, "variables": variables}).encode()
    body = (await samples.post("/graphql", content=content)).json()
    expected = [row["id_sample"] for row in ROWS if graphql_truth(node, row) is True]
    assert [item["id_sample"] for item in body["data"]["samples"]["items"]] == expected


async def test_the_rows_are_seeded_as_the_oracle_reads_them(samples: httpx.AsyncClient) -> None:
    response = await samples.get("/dynamic-entity/samples")
    assert response.status_code == 200
    read = response.json()["data"]
    assert [python_value("amount", row["amount"]) for row in read] == [r["amount"] for r in ROWS]
    assert [python_value("day", row["day"]) for row in read] == [r["day"] for r in ROWS]
    for key in ("id_sample", "num", "label", "flag"):
        assert [row[key] for row in read] == [r[key] for r in ROWS], key
