"""The MariaDB part of the bench: its server handle, the replay of captured statements, the CSV
import's summary, the CPU time read from /proc."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest

from bench import cpu, csv_import, mariadb_raw
from bench.mariadb import MariaDB
from bench.process import BenchError
from bench.sql_capture import Captured, typed, untyped


def test_the_server_url_gives_dexgates_url_and_the_clients_arguments() -> None:
    server = MariaDB.from_url("mysql://bench:p%40ss@db.example:3307")
    assert server.dexgate_url("dexgate_bench") == (
        "mysql+asyncmy://bench:p%40ss@db.example:3307/dexgate_bench"
    )
    assert server.connection_args() == [
        "-h",
        "db.example",
        "-P",
        "3307",
        "-u",
        "bench",
        "--protocol=TCP",
    ]
    assert server.environ()["MYSQL_PWD"] == "p@ss"
    assert MariaDB.from_url("mariadb://root@127.0.0.1").port == 3306
    with pytest.raises(BenchError):
        MariaDB.from_url("postgresql://postgres@127.0.0.1")


def test_database_names_are_checked_before_they_go_into_sql() -> None:
    with pytest.raises(BenchError):
        MariaDB().drop_database("bench; DROP DATABASE test")


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -(2**63),
        1.5,
        "Zürich, 'quoted'",
        Decimal("924.98"),
        datetime.datetime(2024, 2, 29, 13, 45, 30, 123456),
        datetime.datetime(2024, 2, 29, 13, 45, tzinfo=datetime.UTC),
        datetime.date(2024, 2, 29),
    ],
)
def test_parameters_are_kept_with_their_type(value: object) -> None:
    restored = untyped(*typed(value))
    assert restored == value
    assert type(restored) is type(value)


def test_a_parameter_of_another_type_is_refused() -> None:
    with pytest.raises(ValueError, match="list"):
        typed([1, 2])


def test_a_request_is_its_statements_with_their_values() -> None:
    statements = [
        Captured(
            "SELECT 1 FROM product LIMIT %s, %s",
            ("0", "100"),
            None,
            (("int", "0"), ("int", "100")),
        ),
        Captured("SELECT 2 FROM stock WHERE id = %s", ("7",), None, (("str", "7"),)),
    ]
    replayed = mariadb_raw.request(statements)
    assert replayed.statements == (
        ("SELECT 1 FROM product LIMIT %s, %s", (0, 100)),
        ("SELECT 2 FROM stock WHERE id = %s", ("7",)),
    )


def test_a_statement_without_its_values_is_not_replayed() -> None:
    missing = Captured("SELECT 1 FROM product", (), "an executemany is not replayed", None)
    with pytest.raises(mariadb_raw.NotReplayableError, match="executemany"):
        mariadb_raw.request([missing])


def test_the_import_summary_gives_the_rows_and_the_rate() -> None:
    text = (
        "dexgate: import products ...\n"
        "dexgate: imported 20,000 of 20,000 records into products (1.0 s, 19,776 rows/s)\n"
    )
    assert csv_import.summary_rate(text) == (20_000, 19_776.0)
    assert csv_import.summary_rate("dexgate: 3 records failed") is None


def test_the_import_file_holds_new_products(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    csv_import.write_csv(path, 3)
    lines = path.read_text().splitlines()
    assert lines[0] == "sku,name,price,is_active,category_id"
    assert len(lines) == 4
    assert all(line.startswith(csv_import.SKU_PREFIX) for line in lines[1:])


def test_a_stat_line_gives_the_parent_and_the_cpu_seconds() -> None:
    line = "4242 (dexgate serve (x)) S 17 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 3"
    assert cpu.parse_stat(line, ticks=100) == (17, 3.0)


def test_the_cpu_of_this_process_tree_is_read() -> None:
    meter = cpu.meter(os.getpid())
    assert meter is not None
    assert meter() > 0
