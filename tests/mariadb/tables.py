"""A MariaDB table with a column of every kind dexgate reads, for the MariaDB tests."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

GADGET = """
CREATE TABLE gadget (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    code VARCHAR(12) NOT NULL UNIQUE,
    active TINYINT(1) NOT NULL DEFAULT 1,
    level TINYINT NOT NULL,
    stock MEDIUMINT UNSIGNED NULL,
    big BIGINT UNSIGNED NULL,
    price DECIMAL(10,2) NOT NULL,
    ratio DOUBLE NULL,
    made DATE NULL,
    seen DATETIME(6) NULL,
    changed TIMESTAMP(6) NULL,
    attrs JSON NULL,
    size ENUM('s','m','l') NOT NULL,
    notes TEXT NULL,
    category_id INT NULL,
    CONSTRAINT fk_gadget_category FOREIGN KEY (category_id) REFERENCES category (id_category)
)
"""

# A key the application chooses (no AUTO_INCREMENT), and a name that is a reserved word.
LABEL = "CREATE TABLE label (code INT PRIMARY KEY, `order` VARCHAR(5) NOT NULL)"


async def create(engine: AsyncEngine, *statements: str) -> None:
    async with engine.begin() as connection:
        for statement in statements:
            await connection.exec_driver_sql(statement)
