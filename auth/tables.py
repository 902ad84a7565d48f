"""dexgate's own tables for principals, roles, keys and refresh tokens (see migration 0002)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

metadata = sa.MetaData()

# On MariaDB and MySQL with microseconds (DATETIME alone keeps whole seconds).
TS = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

role = sa.Table(
    "dexgate_role",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

role_grant = sa.Table(
    "dexgate_role_grant",
    metadata,
    sa.Column(
        "role_name",
        sa.String(64),
        sa.ForeignKey("dexgate_role.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("entity", sa.String(255), primary_key=True),
    sa.Column("operation", sa.String(16), primary_key=True),
)

user = sa.Table(
    "dexgate_user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(255), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("last_login_at", TS, nullable=True),
)

client = sa.Table(
    "dexgate_oauth_client",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("client_id", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("last_used_at", TS, nullable=True),
)

api_key = sa.Table(
    "dexgate_api_key",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("key_prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("valid_to", TS, nullable=True),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_used_at", TS, nullable=True),
)

principal_role = sa.Table(
    "dexgate_principal_role",
    metadata,
    sa.Column("principal_kind", sa.String(16), primary_key=True),
    sa.Column("principal_id", sa.Integer, primary_key=True),
    sa.Column(
        "role_name",
        sa.String(64),
        sa.ForeignKey("dexgate_role.name", ondelete="CASCADE"),
        primary_key=True,
    ),
)

refresh_token = sa.Table(
    "dexgate_refresh_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("family", sa.String(32), nullable=False, index=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("dexgate_user.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("used_at", TS, nullable=True),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
)

secret = sa.Table(
    "dexgate_secret",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

audit_log = sa.Table(
    "dexgate_audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", TS, nullable=False, index=True),
    sa.Column("actor", sa.String(300), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(255), nullable=True, index=True),
    sa.Column("identifiers", sa.JSON, nullable=True),
    sa.Column("count", sa.Integer, nullable=True),
    sa.Column("detail", sa.JSON, nullable=True),
)
