"""The change feed: a flag per entity, the event table, and PostgreSQL's capture functions.

The triggers on entity tables are not created here: dexgate installs and removes them when an
entity's change feed is switched on or off (schema_builder/changefeed/triggers.py). On
PostgreSQL they call two functions, ``dexgate_change_capture_rows`` (inserts and deletes, once
per statement) and ``dexgate_change_capture`` (updates, per row), and a deferred constraint
trigger gives each committing transaction's events their positions
(``dexgate_change_position``; see docs/change-feed.md for why at commit).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# Trigger arguments, for every capture function: the entity alias, the identifier column,
# then column / visible name pairs of the configured fields. Rows are recorded under the
# visible names, only configured fields.

# Marks the transaction as having events to position at commit: one row of
# dexgate_change_pending per transaction, whose deferred trigger positions them.
MARK = """
CREATE OR REPLACE FUNCTION dexgate_change_mark(transaction_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('dexgate.pending', true) IS DISTINCT FROM transaction_id::text THEN
        INSERT INTO dexgate_change_pending (txid) VALUES (transaction_id)
            ON CONFLICT DO NOTHING;
        PERFORM set_config('dexgate.pending', transaction_id::text, true);
    END IF;
END
$$
"""

# Updates, row by row: an update that changes none of the configured fields records nothing.
CAPTURE = """
CREATE OR REPLACE FUNCTION dexgate_change_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_source jsonb := to_jsonb(OLD);
    new_source jsonb := to_jsonb(NEW);
    old_row jsonb := '{}'::jsonb;
    new_row jsonb := '{}'::jsonb;
    transaction_id bigint;
    i integer := 2;
BEGIN
    WHILE i < TG_NARGS LOOP
        old_row := old_row || jsonb_build_object(TG_ARGV[i + 1], old_source -> TG_ARGV[i]);
        new_row := new_row || jsonb_build_object(TG_ARGV[i + 1], new_source -> TG_ARGV[i]);
        i := i + 2;
    END LOOP;
    IF old_row = new_row THEN
        RETURN NULL;
    END IF;
    transaction_id := pg_current_xact_id()::text::bigint;
    INSERT INTO dexgate_change_event
        (entity, operation, identifier, old_row, new_row, actor, occurred_at, txid)
    VALUES (
        TG_ARGV[0], 'update', jsonb_build_array(new_source -> TG_ARGV[1])::text,
        old_row::text, new_row::text,
        coalesce(nullif(current_setting('dexgate.actor', true), ''), 'database'),
        clock_timestamp(), transaction_id
    );
    PERFORM dexgate_change_mark(transaction_id);
    RETURN NULL;
END
$$
"""

# Inserts and deletes, once per statement from its transition table (dexgate_rows): one
# INSERT ... SELECT records every row of a batch.
CAPTURE_ROWS = """
CREATE OR REPLACE FUNCTION dexgate_change_capture_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_json text := '';
    chunk text := '';
    i integer := 2;
    transaction_id bigint := pg_current_xact_id()::text::bigint;
    recorded bigint;
BEGIN
    -- jsonb_build_object takes at most 100 arguments: 40 fields a call, joined with ||.
    WHILE i < TG_NARGS LOOP
        chunk := chunk || CASE WHEN chunk = '' THEN '' ELSE ', ' END
            || quote_literal(TG_ARGV[i + 1]) || ', r.' || quote_ident(TG_ARGV[i]);
        IF (i / 2) % 40 = 0 OR i + 2 >= TG_NARGS THEN
            row_json := row_json || CASE WHEN row_json = '' THEN '' ELSE ' || ' END
                || 'jsonb_build_object(' || chunk || ')';
            chunk := '';
        END IF;
        i := i + 2;
    END LOOP;
    EXECUTE format(
        'INSERT INTO dexgate_change_event (entity, operation, identifier, old_row, new_row, '
        'actor, occurred_at, txid) SELECT $1, $2, jsonb_build_array(r.%I)::text, %s, %s, $3, '
        'clock_timestamp(), $4 FROM dexgate_rows AS r',
        TG_ARGV[1],
        CASE TG_OP WHEN 'DELETE' THEN '(' || row_json || ')::text' ELSE 'NULL' END,
        CASE TG_OP WHEN 'INSERT' THEN '(' || row_json || ')::text' ELSE 'NULL' END
    ) USING TG_ARGV[0], CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'delete' END,
        coalesce(nullif(current_setting('dexgate.actor', true), ''), 'database'),
        transaction_id;
    GET DIAGNOSTICS recorded = ROW_COUNT;
    IF recorded > 0 THEN
        PERFORM dexgate_change_mark(transaction_id);
    END IF;
    RETURN NULL;
END
$$
"""

# Fired at commit (deferred), once per transaction that recorded events: gives them their
# positions under the counter's row lock, which is held until the commit is visible: the
# next transaction's positions are taken only after it, so positions are commit order.
POSITION = """
CREATE OR REPLACE FUNCTION dexgate_change_position() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pending bigint;
    base bigint;
BEGIN
    DELETE FROM dexgate_change_pending WHERE txid = NEW.txid;
    -- Events recorded after this (SET CONSTRAINTS ... IMMEDIATE ran it early) mark again.
    PERFORM set_config('dexgate.pending', '', true);
    SELECT count(*) INTO pending
        FROM dexgate_change_event WHERE txid = NEW.txid AND position IS NULL;
    IF pending > 0 THEN
        UPDATE dexgate_change_counter SET position = position + pending WHERE id = 1
            RETURNING position - pending INTO base;
        UPDATE dexgate_change_event AS e SET position = base + r.n
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n
                  FROM dexgate_change_event WHERE txid = NEW.txid AND position IS NULL) AS r
            WHERE e.id = r.id;
    END IF;
    RETURN NULL;
END
$$
"""

POSITION_TRIGGER = """
CREATE CONSTRAINT TRIGGER dexgate_change_position
    AFTER INSERT ON dexgate_change_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION dexgate_change_position()
"""


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "dexgate_entity_configuration",
        sa.Column("change_feed", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "dexgate_change_event",
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
        sqlite_autoincrement=True,
    )
    if postgresql:
        # Found by position once they have one (at commit), by transaction while they wait.
        op.create_index(
            "ix_dexgate_change_event_entity_position",
            "dexgate_change_event",
            ["entity", "position"],
            postgresql_where=sa.text("position IS NOT NULL"),
        )
        op.create_index(
            "ix_dexgate_change_event_pending",
            "dexgate_change_event",
            ["txid"],
            postgresql_where=sa.text("position IS NULL"),
        )
    else:
        op.create_index(
            "ix_dexgate_change_event_entity_id", "dexgate_change_event", ["entity", "id"]
        )
    op.create_table(
        "dexgate_change_counter",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO dexgate_change_counter (id, position) VALUES (1, 0)")
    op.create_table(
        "dexgate_change_actor",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("actor", sa.String(300), nullable=False),
    )
    op.create_table(
        "dexgate_change_pruned",
        sa.Column("entity", sa.String(255), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    if postgresql:
        op.create_table(
            "dexgate_change_pending",
            sa.Column("txid", sa.BigInteger, primary_key=True, autoincrement=False),
        )
        for statement in (MARK, CAPTURE, CAPTURE_ROWS, POSITION, POSITION_TRIGGER):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("dexgate_change_pending")  # and its trigger
        for function in (
            "dexgate_change_position()",
            "dexgate_change_capture()",
            "dexgate_change_capture_rows()",
            "dexgate_change_mark(bigint)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    op.drop_table("dexgate_change_pruned")
    op.drop_table("dexgate_change_actor")
    op.drop_table("dexgate_change_counter")
    op.drop_table("dexgate_change_event")
    with op.batch_alter_table("dexgate_entity_configuration") as batch:
        batch.drop_column("change_feed")
