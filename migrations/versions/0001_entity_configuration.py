"""Entity configurations, their relationships and the catalog version.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# On MariaDB and MySQL: microseconds kept (DATETIME alone keeps whole seconds), and
# definitions longer than TEXT's 64 KB.
TS = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "dexgate_entity_configuration",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("table_alias", sa.String(255), nullable=False, unique=True),
        sa.Column("table_name", sa.String(255), nullable=False, unique=True),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("definition", TEXT, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "dexgate_entity_relation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "owner_configuration_id",
            sa.Integer,
            sa.ForeignKey("dexgate_entity_configuration.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "parent_configuration_id",
            sa.Integer,
            sa.ForeignKey("dexgate_entity_configuration.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "child_configuration_id",
            sa.Integer,
            sa.ForeignKey("dexgate_entity_configuration.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("is_editable", sa.Boolean, nullable=False),
        sa.UniqueConstraint(
            "owner_configuration_id", "name", name="uq_dexgate_relation_owner_name"
        ),
    )
    op.create_table(
        "dexgate_entity_relation_field_mapping",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "relation_id",
            sa.Integer,
            sa.ForeignKey("dexgate_entity_relation.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("child_field_name", sa.String(255), nullable=False),
        sa.Column("parent_field_name", sa.String(255), nullable=False),
    )
    op.create_table(
        "dexgate_catalog_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO dexgate_catalog_state (id, version) VALUES (1, 1)")


def downgrade() -> None:
    op.drop_table("dexgate_catalog_state")
    op.drop_table("dexgate_entity_relation_field_mapping")
    op.drop_table("dexgate_entity_relation")
    op.drop_table("dexgate_entity_configuration")
