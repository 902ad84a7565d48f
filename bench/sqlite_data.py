"""The bench data as a SQLite file: the same rows as the PostgreSQL database, read with psql.

The tables mirror ``seed.sql`` in SQLite's terms: ``INTEGER PRIMARY KEY`` ids, ``price`` as
``NUMERIC(12,2)``, ``is_active`` as ``BOOLEAN`` (0/1), ``created_at`` as ``TIMESTAMP`` holding
the UTC time as SQLAlchemy writes a ``DateTime`` on SQLite (``2024-01-01 00:01:00.000000``),
the same foreign keys and indexes. The rows are copied from the PostgreSQL database the
benchmark built (``COPY ... TO STDOUT``), so both databases hold exactly the same data.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from contextlib import closing
from pathlib import Path

from bench.postgres import Postgres

SCHEMA = """
CREATE TABLE category (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
CREATE TABLE product (
  id          INTEGER PRIMARY KEY,
  sku         TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  price       NUMERIC(12,2) NOT NULL,
  is_active   BOOLEAN NOT NULL DEFAULT 1,
  category_id INTEGER REFERENCES category(id),
  created_at  TIMESTAMP
);
CREATE TABLE stock (
  id         INTEGER PRIMARY KEY,
  product_id INTEGER REFERENCES product(id),
  warehouse  TEXT NOT NULL,
  quantity   INTEGER NOT NULL
);
CREATE INDEX product_category_id_idx ON product(category_id);
CREATE INDEX stock_product_id_idx ON stock(product_id);
"""

# Per table: the PostgreSQL query whose rows are inserted, in the SQLite table's column order.
COPIES: dict[str, str] = {
    "category": "SELECT id, name FROM category ORDER BY id",
    "product": (
        "SELECT id, sku, name, price, is_active::int, category_id,"
        " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        " FROM product ORDER BY id"
    ),
    "stock": "SELECT id, product_id, warehouse, quantity FROM stock ORDER BY id",
}


def write(postgres: Postgres, database: str, path: Path) -> dict[str, int]:
    """Create the SQLite file ``path`` with ``database``'s rows; the rows per table in it."""
    if path.exists():
        path.unlink()
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(SCHEMA)
        for table, query in COPIES.items():
            rows = read_csv(postgres.psql(f"COPY ({query}) TO STDOUT WITH CSV", database))
            insert(connection, table, rows)
        connection.execute("ANALYZE")
        connection.commit()
    return counts(path)


def read_csv(text: str) -> list[list[str | None]]:
    """The rows of PostgreSQL's CSV, an empty field as NULL (the data has no empty text)."""
    rows: list[list[str | None]] = []
    for row in csv.reader(io.StringIO(text)):
        rows.append([value if value != "" else None for value in row])
    return rows


def insert(connection: sqlite3.Connection, table: str, rows: list[list[str | None]]) -> None:
    """Insert ``rows`` into ``table`` (column affinity turns the texts into numbers)."""
    if not rows:
        return
    marks = ", ".join("?" * len(rows[0]))
    connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # noqa: S608


def counts(path: Path) -> dict[str, int]:
    """The rows of each table of ``path``."""
    found: dict[str, int] = {}
    with closing(sqlite3.connect(path)) as connection:
        for table in COPIES:
            (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            found[table] = int(count)
    return found
