"""Capturing dexgate's logged statements with their parameters in PostgreSQL's text form."""

from __future__ import annotations

import datetime
import decimal
import json
import logging
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.sql_capture import Captured, CaptureHandler, parse_lines, pg_text, reads_dataset

from .engine_log import EngineLog

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (True, "true"),
        (100, "100"),
        (1.5, "1.5"),
        (float("nan"), "NaN"),
        (decimal.Decimal("20.50"), "20.50"),
        ("it's 12:30", "it's 12:30"),
        ([1, 10, 2], '{"1","10","2"}'),
        ([], "{}"),
        (['a"b', None, "c\\d", "x,y"], '{"a\\"b",NULL,"c\\\\d","x,y"}'),
        ([[1, 2], [3, 4]], '{{"1","2"},{"3","4"}}'),
        (datetime.date(2024, 1, 2), "2024-01-02"),
        (datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "2024-01-02 03:04:05.000006+00:00"),
        (datetime.datetime.max, "infinity"),
        (datetime.timedelta(days=1, seconds=2), "1 days 2 seconds 0 microseconds"),
        (b"\x00\xff", "\\x00ff"),
    ],
)
def test_values_are_written_as_postgresql_reads_them(value: object, text: str | None) -> None:
    assert pg_text(value) == text


def test_a_naive_datetime_gets_the_offset_asyncpg_gives_it() -> None:
    naive = datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert pg_text(naive) == naive.astimezone().isoformat(sep=" ")


def test_a_value_without_a_text_form_is_refused() -> None:
    with pytest.raises(ValueError, match="dict"):
        pg_text({"a": 1})


def test_only_statements_on_the_dataset_tables_are_kept() -> None:
    assert reads_dataset(Captured("SELECT product.id \nFROM product ORDER BY product.id", ()))
    assert reads_dataset(Captured('SELECT 1 FROM "public"."stock" AS s', ()))
    assert not reads_dataset(
        Captured("SELECT dexgate_catalog_state.version FROM dexgate_catalog_state", ())
    )
    assert not reads_dataset(Captured("SELECT products.id FROM product_copy AS products", ()))


def test_the_spryker_style_copies_of_the_tables_are_dataset_tables() -> None:
    assert reads_dataset(Captured('SELECT 1 FROM "spy_product" JOIN spy_stock ON true', ()))
    assert reads_dataset(Captured("SELECT spy_category.id FROM spy_category", ()))
    assert not reads_dataset(Captured("SELECT 1 FROM spy_product_copy", ()))


def test_lines_with_errors_are_kept_with_the_reason() -> None:
    text = (
        json.dumps({"statement": "SELECT 1 FROM product", "parameters": ["1", None]})
        + "\n"
        + json.dumps({"statement": "SELECT 2 FROM product", "error": "no text form for a dict"})
        + "\n\n"
    )
    assert parse_lines(text) == [
        Captured("SELECT 1 FROM product", ("1", None)),
        Captured("SELECT 2 FROM product", (), "no text form for a dict"),
    ]


def test_handler_records_sqlalchemy_statements_with_their_full_parameters(
    engine_log: EngineLog,
) -> None:
    engine = sa.create_engine("sqlite://")
    ids = list(range(1, 151))  # printed parameters are cut at 300 characters; these are not
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE product (id INTEGER PRIMARY KEY, sku TEXT)")
        connection.execute(
            sa.text("SELECT id FROM product WHERE sku = :sku AND id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"sku": "A:1", "ids": ids},
        )
        connection.execute(
            sa.text("INSERT INTO product (id, sku) VALUES (:id, :sku)"),
            [{"id": 1000, "sku": "x"}, {"id": 1001, "sku": "y"}],
        )
    engine.dispose()
    captured = engine_log.statements()
    assert [c.statement.split()[0] for c in captured] == ["SELECT", "INSERT"]
    assert captured[0].parameters == ("A:1", *(str(i) for i in ids))
    assert captured[1].error is not None
    assert "executemany" in captured[1].error


def test_on_mariadb_the_handler_keeps_each_parameters_type(tmp_path: Path) -> None:
    log = tmp_path / "statements.jsonl"
    handler = CaptureHandler(str(log), "mariadb")
    sql = logging.getLogger("dexgate.sql")
    record = sql.makeRecord("dexgate.sql", logging.DEBUG, "f", 1, "SELECT 1 FROM product", (), None)
    handler.emit(record)
    values = (4242, Decimal("9.50"), None)
    record = sql.makeRecord("dexgate.sql", logging.DEBUG, "f", 1, "[%s] %r", ("pool", values), None)
    handler.emit(record)
    (captured,) = parse_lines(log.read_text())
    assert captured.values == (("int", "4242"), ("decimal", "9.50"), ("none", None))
    assert captured.parameters == ("4242", "9.50", None)
