"""Alembic environment: runs on the connection dexgate hands over (see app.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from auth.tables import metadata as auth_metadata
from schema_builder.tables import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=[metadata, auth_metadata],
        version_table="dexgate_alembic_version",
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=lambda name, type_, _parent: (
            type_ != "table" or (name or "").startswith("dexgate_")
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `dexgate migrate`, which provides the connection.")
run_migrations(connection)
