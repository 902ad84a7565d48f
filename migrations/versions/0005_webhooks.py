"""Webhooks: their configuration, their progress through the change feed, their deliveries
and every attempt.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "dexgate_webhook",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("operations", sa.JSON, nullable=False),
        sa.Column("secret", sa.String(500), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.String(300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "dexgate_webhook_cursor",
        sa.Column(
            "webhook_id",
            sa.Integer,
            sa.ForeignKey("dexgate_webhook.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("entity", sa.String(255), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "dexgate_webhook_delivery",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column(
            "webhook_id",
            sa.Integer,
            sa.ForeignKey("dexgate_webhook.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("entity", sa.String(255), nullable=False),
        sa.Column("row_key", sa.String(500), nullable=False),
        sa.Column("body", TEXT, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("due_since", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.UniqueConstraint("webhook_id", "event_id", name="uq_dexgate_webhook_delivery_event"),
    )
    op.create_index(
        "ix_dexgate_webhook_delivery_due",
        "dexgate_webhook_delivery",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_dexgate_webhook_delivery_row",
        "dexgate_webhook_delivery",
        ["webhook_id", "entity", "row_key", "position"],
    )
    op.create_table(
        "dexgate_webhook_attempt",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            sa.ForeignKey("dexgate_webhook_delivery.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", TS, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("response", sa.String(500), nullable=True),
    )
    op.create_index(
        "ix_dexgate_webhook_attempt_delivery", "dexgate_webhook_attempt", ["delivery_id"]
    )


def downgrade() -> None:
    op.drop_table("dexgate_webhook_attempt")
    op.drop_table("dexgate_webhook_delivery")
    op.drop_table("dexgate_webhook_cursor")
    op.drop_table("dexgate_webhook")
