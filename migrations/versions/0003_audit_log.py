"""The audit log: who changed which data, configuration or principal, and when.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# On MariaDB and MySQL with microseconds (DATETIME alone keeps whole seconds).
TS = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "dexgate_audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(255), nullable=True),
        sa.Column("identifiers", sa.JSON, nullable=True),
        sa.Column("count", sa.Integer, nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
    )
    op.create_index("ix_dexgate_audit_log_at", "dexgate_audit_log", ["at"])
    op.create_index("ix_dexgate_audit_log_entity", "dexgate_audit_log", ["entity"])


def downgrade() -> None:
    op.drop_index("ix_dexgate_audit_log_entity", "dexgate_audit_log")
    op.drop_index("ix_dexgate_audit_log_at", "dexgate_audit_log")
    op.drop_table("dexgate_audit_log")
