"""Principals and permissions: roles and grants, users, OAuth clients, API keys, refresh tokens,
and the persisted token-signing secret. Seeds the built-in ``admin`` role.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# On MariaDB and MySQL with microseconds (DATETIME alone keeps whole seconds).
TS = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    roles = op.create_table(
        "dexgate_role",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "dexgate_role_grant",
        sa.Column(
            "role_name",
            sa.String(64),
            sa.ForeignKey("dexgate_role.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("entity", sa.String(255), primary_key=True),
        sa.Column("operation", sa.String(16), primary_key=True),
    )
    op.create_table(
        "dexgate_user",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(255), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("last_login_at", TS, nullable=True),
    )
    op.create_table(
        "dexgate_oauth_client",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("last_used_at", TS, nullable=True),
    )
    op.create_table(
        "dexgate_api_key",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("valid_to", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS, nullable=True),
    )
    op.create_table(
        "dexgate_principal_role",
        sa.Column("principal_kind", sa.String(16), primary_key=True),
        sa.Column("principal_id", sa.Integer, primary_key=True),
        sa.Column(
            "role_name",
            sa.String(64),
            sa.ForeignKey("dexgate_role.name", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "dexgate_refresh_token",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("family", sa.String(32), nullable=False, index=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("dexgate_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "dexgate_secret",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    now = datetime.now(UTC)
    op.bulk_insert(roles, [{"name": "admin", "created_at": now, "updated_at": now}])


def downgrade() -> None:
    for name in (
        "dexgate_secret",
        "dexgate_refresh_token",
        "dexgate_principal_role",
        "dexgate_api_key",
        "dexgate_oauth_client",
        "dexgate_user",
        "dexgate_role_grant",
        "dexgate_role",
    ):
        op.drop_table(name)
