"""Turning dexgate's logged statements into pgbench scripts."""

from __future__ import annotations

import datetime
import decimal
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.sql_capture import (
    Captured,
    CaptureHandler,
    inline,
    parse_lines,
    pgbench_script,
    reads_dataset,
    sql_literal,
)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (None, "NULL"),
        (True, "true"),
        (100, "100"),
        (decimal.Decimal("20.50"), "20.50"),
        ("it's", "'it''s'"),
        ([1, 10, 2], "ARRAY[1, 10, 2]"),
        ([], "'{}'"),
        ("12:30", "E'12\\x3a30'"),
        ("a\\b", "E'a\\\\b'"),
        (datetime.date(2024, 1, 2), "'2024-01-02'"),
    ],
)
def test_values_become_literals_pgbench_leaves_alone(value: object, literal: str) -> None:
    assert sql_literal(value) == literal


def test_a_value_without_a_literal_form_is_refused() -> None:
    with pytest.raises(ValueError, match="bytes"):
        sql_literal(b"\x00")


def test_inline_replaces_each_placeholder_by_its_own_literal() -> None:
    captured = Captured(
        "SELECT p.id FROM product p WHERE p.id IN ($1::INTEGER, $10::INTEGER) LIMIT $2::INTEGER",
        ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"),
    )
    assert inline(captured) == (
        "SELECT p.id FROM product p WHERE p.id IN (1::INTEGER, 10::INTEGER) LIMIT 2::INTEGER"
    )


def test_script_holds_one_terminated_statement_per_request_statement() -> None:
    script = pgbench_script(
        [
            Captured("SELECT product.id FROM product LIMIT $1::INTEGER", ("100",)),
            Captured(
                "SELECT stock.id FROM stock WHERE stock.product_id = ANY ($1::INTEGER[]);",
                ("ARRAY[1, 2]",),
            ),
        ]
    )
    assert script == (
        "SELECT product.id FROM product LIMIT 100::INTEGER;\n"
        "SELECT stock.id FROM stock WHERE stock.product_id = ANY (ARRAY[1, 2]::INTEGER[]);\n"
    )


def test_only_statements_on_the_dataset_tables_are_kept() -> None:
    assert reads_dataset(Captured("SELECT product.id \nFROM product ORDER BY product.id", ()))
    assert reads_dataset(Captured('SELECT 1 FROM "public"."stock" AS s', ()))
    assert not reads_dataset(
        Captured("SELECT dexgate_catalog_state.version FROM dexgate_catalog_state", ())
    )
    assert not reads_dataset(Captured("SELECT products.id FROM product_copy AS products", ()))


def test_lines_with_errors_are_dropped() -> None:
    text = (
        json.dumps({"statement": "SELECT 1 FROM product", "literals": ["1"]})
        + "\n"
        + json.dumps({"statement": "SELECT 2 FROM product", "error": "no SQL literal for a bytes"})
        + "\n\n"
    )
    assert parse_lines(text) == [Captured("SELECT 1 FROM product", ("1",))]


@pytest.fixture
def engine_log(tmp_path: Path) -> Iterator[Path]:
    """SQLAlchemy's statement log routed to a CaptureHandler writing ``tmp_path/sql.jsonl``."""
    path = tmp_path / "sql.jsonl"
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    handler = CaptureHandler(str(path))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def test_handler_records_sqlalchemy_statements_with_their_full_parameters(engine_log: Path) -> None:
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
    engine.dispose()
    captured = parse_lines(engine_log.read_text())
    assert [c.statement.split()[0] for c in captured] == ["SELECT"]
    assert captured[0].literals == ("E'A\\x3a1'", *(str(i) for i in ids))
