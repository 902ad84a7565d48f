"""Captured statements as pgbench scripts: the text pgbench reads, and, run by pgbench against
PostgreSQL, the rows dexgate read with the values dexgate bound."""

from __future__ import annotations

import datetime
import decimal
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gateway import Gateway
from bench import raw
from bench.load import LoadSettings
from bench.postgres import Postgres
from bench.replay import NotReplayableError, Script, script
from bench.results import Failure, PgbenchResult
from bench.sql_capture import Captured
from schema_builder.definition import parse_entries
from tests.entries import plain_entry

from .engine_log import EngineLog

ONE_CLIENT = LoadSettings(connections=1, threads=1, duration=1, warmup=0)


def test_placeholders_become_variables_holding_the_captured_values() -> None:
    captured = Captured(
        "SELECT p.id FROM product AS p WHERE p.sku = $1::VARCHAR"
        " AND p.id = ANY ($2::INTEGER[]) LIMIT $10::BIGINT;",
        ("A:1", '{"1","2"}', *(str(n) for n in range(3, 10)), "100"),
    )
    assert script([captured]) == Script(
        "SELECT p.id FROM product AS p WHERE p.sku = :s1_1::VARCHAR"
        " AND p.id = ANY (:s1_2::INTEGER[]) LIMIT :s1_10::BIGINT;\n",
        (("s1_1", "A:1"), ("s1_2", '{"1","2"}'), ("s1_10", "100")),
    )


def test_each_statement_of_a_request_is_one_command_with_variables_of_its_own() -> None:
    first = Captured("SELECT product.id FROM product LIMIT $1::INTEGER", ("100",))
    second = Captured(
        "SELECT stock.id FROM stock WHERE stock.product_id = ANY ($1::INTEGER[])", ("{1,2}",)
    )
    assert script([first, second]) == Script(
        "SELECT product.id FROM product LIMIT :s1_1::INTEGER;\n"
        "SELECT stock.id FROM stock WHERE stock.product_id = ANY (:s2_1::INTEGER[]);\n",
        (("s1_1", "100"), ("s2_1", "{1,2}")),
    )


def test_string_literals_are_cut_after_each_colon_pgbench_would_read_as_a_variable() -> None:
    captured = Captured(
        "SELECT to_char(p.at, 'YYYY-MM-DD\"T\"HH24:MI:SS') || '{\"id\":' || p.id::TEXT"
        " || E'it\\'s :x' || 'a::b' || '$1' FROM product AS p WHERE p.id = $1",
        ("7",),
    )
    assert script([captured]).text == (
        "SELECT to_char(p.at, 'YYYY-MM-DD\"T\"HH24:'\n'MI:'\n'SS') || '{\"id\":' || p.id::TEXT"
        " || E'it\\'s :'\n'x' || 'a::b' || '$1' FROM product AS p WHERE p.id = :s1_1;\n"
    )


def test_null_and_the_empty_string_are_written_into_the_statement() -> None:
    captured = Captured(
        "SELECT $1::INTEGER, $2::VARCHAR, $3::VARCHAR FROM product", (None, "", "x")
    )
    assert script([captured]) == Script(
        "SELECT NULL::INTEGER, ''::VARCHAR, :s1_3::VARCHAR FROM product;\n", (("s1_3", "x"),)
    )


@pytest.mark.parametrize(
    ("statement", "parameters", "reason"),
    [
        ('SELECT "odd:name" FROM product', (), "a quoted identifier holds ':name\"'"),
        ("SELECT 1 FROM product -- at :noon", (), "a comment holds ':noon'"),
        ("SELECT $$x:y$$ FROM product", (), "a dollar-quoted string holds ':y"),
        ("SELECT a[1:n] FROM product", (), r"':n\] FROM pro' outside a literal"),
        ("SELECT $2 FROM product", ("1",), r"\$2 has no captured value"),
        ("SELECT 'open FROM product", (), "an unterminated '-quoted text"),
        (
            "SELECT 1 FROM product WHERE id IN (" + ", ".join(f"${n}" for n in range(1, 257)) + ")",
            tuple(str(n) for n in range(1, 257)),
            "256 parameters, pgbench binds at most 255",
        ),
    ],
)
def test_a_statement_pgbench_cannot_send_as_captured_is_refused_with_the_reason(
    statement: str, parameters: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(NotReplayableError, match=f"^statement 1: {reason}"):
        script([Captured(statement, parameters)])


def test_a_statement_whose_parameters_were_not_captured_is_refused() -> None:
    failed = Captured("SELECT 1 FROM product", (), "no PostgreSQL text form for a dict")
    with pytest.raises(NotReplayableError, match="statement 2: no PostgreSQL text form"):
        script([Captured("SELECT 1 FROM product", ()), failed])


# Against PostgreSQL, with pgbench.


@pytest.fixture
def backend() -> str:
    """pgbench replays on PostgreSQL only."""
    return "postgresql"


@pytest.fixture
def server(database_url: str) -> tuple[Postgres, str]:
    """The test database's server, as the bench reaches it, and the database's name."""
    if shutil.which("pgbench") is None:
        pytest.skip("pgbench is not installed (PostgreSQL's client tools)")
    url = sa.make_url(database_url)
    postgres = Postgres(
        url.host or "127.0.0.1", url.port or 5432, url.username or "postgres", url.password
    )
    return postgres, url.database or ""


def checking(replayed: Script, expected: Mapping[str, str]) -> Script:
    """``replayed`` with its last statement's row kept by ``\\gset`` and each column compared in
    PostgreSQL with ``expected`` (a division by zero, so an aborted client, when one differs)."""
    text = replayed.text.removesuffix(";\n") + "\n\\gset r_\n"
    for column in expected:
        text += f"SELECT 1 / (:r_{column}::TEXT = :e_{column}::TEXT)::INTEGER;\n"
    variables = tuple((f"e_{column}", value) for column, value in expected.items())
    return Script(text, replayed.variables + variables)


def run_pgbench(server: tuple[Postgres, str], tmp_path: Path, replayed: Script) -> Any:
    path = tmp_path / "script.sql"
    path.write_text(replayed.text)
    postgres, database = server
    return raw.pgbench(postgres, database, path, ONE_CLIENT, replayed.variables)


BOUND = (  # every kind of value dexgate binds, through dexgate's driver
    "SELECT to_char($1::TIMESTAMP WITHOUT TIME ZONE, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS moment,"
    " to_char($2::TIMESTAMP WITH TIME ZONE AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS stamp,"
    " ($3::INTEGER + 1)::TEXT AS next, $4::VARCHAR || E' \\'and :more' AS text,"
    " ($5::NUMERIC(12, 2) * 2)::TEXT AS doubled, (NOT $6::BOOLEAN)::TEXT AS negated,"
    " array_to_string($7::INTEGER[], ',') AS ids, array_to_string($8::VARCHAR[], '|') AS texts,"
    " ($9::BIGINT IS NULL)::TEXT AS missing, length($10::VARCHAR)::TEXT AS empty,"
    " '{\"day\":' || $11::DATE AS day"
)
VALUES = (
    datetime.datetime(2024, 2, 29, 13, 45, 30),
    datetime.datetime(
        1999, 12, 31, 23, 59, 59, 500000, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    ),
    41,
    "it's 12:30",
    decimal.Decimal("10.25"),
    True,
    [3, 1, 2],
    ["x,y", 'quote "q"', "back\\slash"],
    None,
    "",
    datetime.date(2024, 1, 2),
)


async def test_pgbench_binds_each_captured_value_as_dexgate_bound_it(
    engine: AsyncEngine, engine_log: EngineLog, server: tuple[Postgres, str], tmp_path: Path
) -> None:
    async with engine.connect() as connection:
        result = await connection.exec_driver_sql(BOUND, VALUES)
        row = result.mappings().one()
    captured = engine_log.statements()[-1]
    assert captured.statement == BOUND
    expected = {column: str(value) for column, value in row.items()}
    assert expected["text"] == "it's 12:30 'and :more"
    result = run_pgbench(server, tmp_path, checking(script([captured]), expected))
    assert isinstance(result, PgbenchResult), result
    assert result.transactions > 0
    assert result.failed == 0


def entity(alias: str) -> dict[str, Any]:
    fields = {
        "id_value": "integer",
        "code": "string",
        "price": "decimal",
        "flag": "boolean",
        "moment": "datetime",
        "stamp": "datetime",
    }
    return plain_entry("bench_value", alias, "id_value", fields, deletable=True)


async def test_dexgate_reads_replayed_by_pgbench_return_what_dexgate_read(
    gateway: Gateway,
    client: httpx.AsyncClient,
    engine_log: EngineLog,
    server: tuple[Postgres, str],
    tmp_path: Path,
) -> None:
    async with gateway.engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE bench_value (id_value integer PRIMARY KEY, code varchar(32),"
            " price numeric(12, 2), flag boolean, moment timestamp, stamp timestamptz)"
        )
        await connection.exec_driver_sql(
            "INSERT INTO bench_value VALUES"
            " (1, 'A:1', 10.50, true, '2024-01-02 03:04:05', '2024-01-02 03:04:05.25+00'),"
            " (2, 'A:1', 20.00, true, '2025-06-07 08:09:10', '2025-06-07 08:09:10+02'),"
            " (3, 'B', 30.00, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00+00')"
        )
    await gateway.registry.apply(parse_entries([entity("bench-values")]))
    recorded: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        recorded.append((statement, parameters))

    filters = {
        "filter[bench-values.id_value]": '{"in": [1, 2, 3]}',
        "filter[bench-values.code]": "A:1",
        "filter[bench-values.price]": '{"gte": "10.5"}',
        "filter[bench-values.flag]": "true",
        "filter[bench-values.moment]": '{"lt": "2030-01-01T00:00:00"}',
        "filter[bench-values.stamp]": '{"gte": "2020-01-01T00:00:00+00:00"}',
        "page[limit]": "10",
    }
    engine_log.start()
    sa.event.listen(gateway.engine.sync_engine, "before_cursor_execute", record)
    gateway.reads.listen(lambda sql, parameters: recorded.append((sql, parameters)))
    try:
        listed = await client.get(f"/dynamic-entity/bench-values?{urlencode(filters)}")
        one = await client.get("/dynamic-entity/bench-values/2")
    finally:
        sa.event.remove(gateway.engine.sync_engine, "before_cursor_execute", record)
    assert listed.status_code == 200, listed.text
    assert [row["id_value"] for row in listed.json()["data"]] == [1, 2]
    assert one.status_code == 200, one.text

    captured = [c for c in engine_log.statements() if "bench_value" in c.statement]
    sent = [(s, p) for s, p in recorded if "bench_value" in s]
    assert [c.statement for c in captured] == [s for s, _p in sent]
    assert len(captured) == 2
    for statement, (sql, parameters) in zip(captured, sent, strict=True):
        assert "HH24:MI:SS" in statement.statement  # the JSON written in the database
        async with gateway.engine.connect() as connection:
            row = (await connection.exec_driver_sql(sql, parameters)).mappings().one()
        expected = {column: str(value) for column, value in row.items()}
        result = run_pgbench(server, tmp_path, checking(script([statement]), expected))
        assert isinstance(result, PgbenchResult), result
        assert result.transactions > 0
        assert result.failed == 0


async def test_a_statement_pgbench_fails_on_is_reported_in_one_line(
    server: tuple[Postgres, str], tmp_path: Path
) -> None:
    path = tmp_path / "uncut.sql"
    path.write_text("SELECT to_char(now(), 'HH24:MI:SS');\n")  # :MI and :SS, unbound
    postgres, database = server
    settings = LoadSettings(connections=2, threads=1, duration=1, warmup=0)
    result = raw.pgbench(postgres, database, path, settings)
    assert result == Failure(
        'ERROR: bind message supplies 2 parameters, but prepared statement "P_0" requires 0'
        " (2 clients aborted)"
    )
