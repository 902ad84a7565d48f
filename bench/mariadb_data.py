"""The bench data in MariaDB: the same rows as the PostgreSQL database, copied with psql.

The tables mirror ``seed.sql`` and ``spryker_seed.sql`` in MariaDB's terms, as a Spryker shop
on MariaDB has them: ``INT AUTO_INCREMENT`` ids, ``VARCHAR`` texts, ``price DECIMAL(12,2)``,
``is_active TINYINT(1)``, ``created_at DATETIME`` (UTC, as dexgate's sessions read it), InnoDB,
utf8mb4, the same foreign keys and indexes; plus ``bench_probe`` for the configuration change.
The rows are copied from the PostgreSQL database the benchmark built (``COPY ... TO STDOUT``,
text format: tab-separated, ``\\N`` for NULL, as ``LOAD DATA`` reads it), so both databases hold
exactly the same data; the ``spy_*`` copies are filled from the first three tables.
"""

from __future__ import annotations

from pathlib import Path

from bench.mariadb import MariaDB
from bench.postgres import Postgres

SCHEMA = """
CREATE TABLE {prefix}category (
  id   INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE {prefix}product (
  id          INT AUTO_INCREMENT PRIMARY KEY,
  sku         VARCHAR(64) NOT NULL UNIQUE,
  name        VARCHAR(255) NOT NULL,
  price       DECIMAL(12,2) NOT NULL,
  is_active   TINYINT(1) NOT NULL DEFAULT 1,
  category_id INT NULL,
  created_at  DATETIME NULL DEFAULT CURRENT_TIMESTAMP,
  KEY {prefix}product_category_id_idx (category_id),
  CONSTRAINT {prefix}product_category_fk FOREIGN KEY (category_id)
    REFERENCES {prefix}category (id)
) ENGINE=InnoDB;
CREATE TABLE {prefix}stock (
  id         INT AUTO_INCREMENT PRIMARY KEY,
  product_id INT NULL,
  warehouse  VARCHAR(64) NOT NULL,
  quantity   INT NOT NULL,
  KEY {prefix}stock_product_id_idx (product_id),
  CONSTRAINT {prefix}stock_product_fk FOREIGN KEY (product_id) REFERENCES {prefix}product (id)
) ENGINE=InnoDB;
"""

PROBE = """
CREATE TABLE bench_probe (
  id    INT AUTO_INCREMENT PRIMARY KEY,
  label VARCHAR(255) NOT NULL,
  note  TEXT NULL
) ENGINE=InnoDB;
INSERT INTO bench_probe (label, note) VALUES ('probe', 'served');
"""

# Per table: the PostgreSQL query whose rows are loaded, and the MariaDB columns they fill.
COPIES: dict[str, tuple[str, str]] = {
    "category": ("SELECT id, name FROM category ORDER BY id", "id, name"),
    "product": (
        "SELECT id, sku, name, price, is_active::int, category_id,"
        " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM product ORDER BY id",
        "id, sku, name, price, is_active, category_id, created_at",
    ),
    "stock": (
        "SELECT id, product_id, warehouse, quantity FROM stock ORDER BY id",
        "id, product_id, warehouse, quantity",
    ),
}


def load_script(postgres: Postgres, database: str, work: Path) -> Path:
    """Write the rows of ``database`` (PostgreSQL) into files under ``work`` and the SQL script
    that creates and fills the MariaDB tables from them; the script's path."""
    work.mkdir(parents=True, exist_ok=True)
    lines = [SCHEMA.format(prefix=""), SCHEMA.format(prefix="spy_"), PROBE]
    for table, (query, columns) in COPIES.items():
        rows = work / f"{table}.tsv"
        rows.write_text(postgres.psql(f"COPY ({query}) TO STDOUT", database) + "\n")
        lines.append(
            f"LOAD DATA LOCAL INFILE '{rows}' INTO TABLE {table}"
            " CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\'"
            f" LINES TERMINATED BY '\\n' ({columns});"
        )
    for table, (_query, columns) in COPIES.items():
        lines.append(
            f"INSERT INTO spy_{table} ({columns}) SELECT {columns} FROM {table} ORDER BY id;"  # noqa: S608 - fixed names
        )
    tables = ", ".join(f"{prefix}{table}" for prefix in ("", "spy_") for table in COPIES)
    lines.append(f"ANALYZE TABLE {tables};")
    script = work / "load.sql"
    script.write_text("\n".join(lines) + "\n")
    return script


def counts(mariadb: MariaDB, database: str, prefix: str = "") -> dict[str, int]:
    """The rows of each table (``prefix``: the Spryker-style copies, ``spy_``)."""
    found = {}
    for table in COPIES:
        text = mariadb.sql(f"SELECT COUNT(*) FROM {prefix}{table}", database)  # noqa: S608 - fixed names
        found[table] = int(text)
    return found
