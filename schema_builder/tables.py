"""dexgate's own tables. Every name starts with ``dexgate_``; migrations create them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

OWN_TABLE_PREFIX = "dexgate_"

metadata = sa.MetaData()

# On MariaDB and MySQL: microseconds kept (DATETIME alone keeps whole seconds), and
# definitions longer than TEXT's 64 KB.
TS = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

entity_configuration = sa.Table(
    "dexgate_entity_configuration",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("table_alias", sa.String(255), nullable=False, unique=True),
    sa.Column("table_name", sa.String(255), nullable=False, unique=True),
    sa.Column("is_active", sa.Boolean, nullable=False, default=False),
    sa.Column("change_feed", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("definition", TEXT, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

entity_relation = sa.Table(
    "dexgate_entity_relation",
    metadata,
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
    sa.Column("is_editable", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("owner_configuration_id", "name", name="uq_dexgate_relation_owner_name"),
)

relation_field_mapping = sa.Table(
    "dexgate_entity_relation_field_mapping",
    metadata,
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

catalog_state = sa.Table(
    "dexgate_catalog_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
)

# The change feed (schema_builder/changefeed, docs/change-feed.md). Events are written by the
# database triggers dexgate installs on an entity's table. On SQLite and MariaDB the id is
# read as the position; on PostgreSQL, where ids are not commit order, an event's position is
# its commit row's (``change_commit``) plus its ordinal ``seq`` in the transaction
# (schema_builder/changefeed/positions.py; ``position`` holds it only for events recorded
# before migration 0006).
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

change_event = sa.Table(
    "dexgate_change_event",
    metadata,
    sa.Column("id", BIGID, primary_key=True, autoincrement=True),
    sa.Column("position", sa.BigInteger, nullable=True),
    sa.Column("entity", sa.String(255), nullable=False),
    sa.Column("operation", sa.String(16), nullable=False),
    sa.Column("identifier", TEXT, nullable=True),
    sa.Column("old_row", TEXT, nullable=True),
    sa.Column("new_row", TEXT, nullable=True),
    sa.Column("actor", sa.String(300), nullable=False),
    sa.Column("occurred_at", TS, nullable=False),
    sa.Column("txid", sa.BigInteger, nullable=True),
    sa.Column("commit_id", sa.BigInteger, nullable=True),
    sa.Column("seq", sa.Integer, nullable=True),
    # Indexes per database (migrations 0004, 0006): on PostgreSQL (commit_id, seq);
    # elsewhere (entity, id).
    sqlite_autoincrement=True,
)

# PostgreSQL only: a writing transaction's events of one entity, positioned at its commit
# (migration 0006). Its events are those with its id; at commit it is given the positions
# ``base`` + 1 ... ``last_position`` (NULL until then, and never seen so), an event's being
# ``base`` + ``seq`` - ``first_seq``; ``last_position`` is its last event's.
change_commit = sa.Table(
    "dexgate_change_commit",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(255), nullable=False),
    sa.Column("first_seq", sa.Integer, nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=True),
    sa.Column("base", sa.BigInteger, nullable=True),
    sa.Column("last_position", sa.BigInteger, nullable=True),
)

# One row (id 1): the last position given on PostgreSQL, taken under its row lock at commit.
change_counter = sa.Table(
    "dexgate_change_counter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", sa.BigInteger, nullable=False),
)

# SQLite: the actor of the open write transaction (one writer at a time), row 1 or none.
change_actor = sa.Table(
    "dexgate_change_actor",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("actor", sa.String(300), nullable=False),
)

# Per entity, the highest position removed by retention: a cursor below it missed events.
change_pruned = sa.Table(
    "dexgate_change_pruned",
    metadata,
    sa.Column("entity", sa.String(255), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)

# Webhooks (schema_builder/webhooks, docs/change-feed.md): each takes the events of its
# entities from the change feed, one delivery per event, sent and retried in order per row.
webhook = sa.Table(
    "dexgate_webhook",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("entities", sa.JSON, nullable=False),
    sa.Column("operations", sa.JSON, nullable=False),
    # AES-GCM under a key derived from the secret key (schema_builder/webhooks/secrets.py)
    sa.Column("secret", sa.String(500), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.String(300), nullable=True),
    sa.Column("created_at", TS, nullable=False),
)

# How far each webhook has taken each of its entities' events (a position).
webhook_cursor = sa.Table(
    "dexgate_webhook_cursor",
    metadata,
    sa.Column(
        "webhook_id",
        sa.Integer,
        sa.ForeignKey("dexgate_webhook.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("entity", sa.String(255), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)

webhook_delivery = sa.Table(
    "dexgate_webhook_delivery",
    metadata,
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
    # the row, for the order per row: the identifier's JSON text
    sa.Column("row_key", sa.String(500), nullable=False),
    sa.Column("body", TEXT, nullable=False),
    # pending, delivered, dead (past the retry horizon)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", TS, nullable=False),
    sa.Column("claimed_until", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    # since when it is due (made, or redelivered): the retry horizon counts from here
    sa.Column("due_since", TS, nullable=False),
    sa.Column("finished_at", TS, nullable=True),
    sa.UniqueConstraint("webhook_id", "event_id", name="uq_dexgate_webhook_delivery_event"),
    sa.Index("ix_dexgate_webhook_delivery_due", "status", "next_attempt_at"),
    sa.Index("ix_dexgate_webhook_delivery_row", "webhook_id", "entity", "row_key", "position"),
)

webhook_attempt = sa.Table(
    "dexgate_webhook_attempt",
    metadata,
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
    sa.Index("ix_dexgate_webhook_attempt_delivery", "delivery_id"),
)
