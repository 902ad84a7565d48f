"""Bring dexgate's own tables up to date with the Alembic migrations in ``migrations/``."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations
from auth.transactions import write_transaction


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Run every pending migration in one transaction: a write transaction, so that two
    processes upgrading one SQLite file at once take turns instead of one failing."""

    def _run(connection: sa.Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with write_transaction(engine) as connection:
        await connection.run_sync(_run)
