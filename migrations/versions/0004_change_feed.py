"""The change feed: a flag per entity, the event table, and PostgreSQL's capture functions.

The triggers on entity tables are not created here: dexgate installs and removes them when an
entity's change feed is switched on or off (schema_builder/changefeed/triggers.py). On
PostgreSQL they all call one function, ``dexgate_change_capture``, and a deferred constraint
trigger on the event table gives each committing transaction's events their positions
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

# Trigger arguments: the entity alias, the identifier column, then column / visible name
# pairs of the configured fields. The row under visible names, only configured fields; an
# update that changes none of them records nothing.
CAPTURE = """
CREATE OR REPLACE FUNCTION dexgate_change_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_source jsonb;
    new_source jsonb;
    old_row jsonb;
    new_row jsonb;
    i integer;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_source := to_jsonb(OLD);
        old_row := '{}'::jsonb;
        i := 2;
        WHILE i < TG_NARGS LOOP
            old_row := old_row || jsonb_build_object(TG_ARGV[i + 1], old_source -> TG_ARGV[i]);
            i := i + 2;
        END LOOP;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_source := to_jsonb(NEW);
        new_row := '{}'::jsonb;
        i := 2;
        WHILE i < TG_NARGS LOOP
            new_row := new_row || jsonb_build_object(TG_ARGV[i + 1], new_source -> TG_ARGV[i]);
            i := i + 2;
        END LOOP;
    END IF;
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;
    END IF;
    INSERT INTO dexgate_change_event
        (entity, operation, identifier, old_row, new_row, actor, occurred_at, txid)
    VALUES (
        TG_ARGV[0],
        CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        jsonb_build_array(coalesce(new_source, old_source) -> TG_ARGV[1])::text,
        old_row::text,
        new_row::text,
        coalesce(nullif(current_setting('dexgate.actor', true), ''), 'database'),
        clock_timestamp(),
        pg_current_xact_id()::text::bigint
    );
    RETURN NULL;
END
$$
"""

# Fired at commit (deferred) for each event row; the first call of a transaction positions all
# of its events under the counter's row lock, which is held until the commit is visible: the
# next transaction's positions are taken only after it, so positions are commit order.
POSITION = """
CREATE OR REPLACE FUNCTION dexgate_change_position() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    done bigint;
    pending bigint;
    last_id bigint;
    base bigint;
BEGIN
    done := coalesce(nullif(current_setting('dexgate.positioned', true), '')::bigint, 0);
    IF NEW.id <= done THEN
        RETURN NULL;
    END IF;
    SELECT count(*), max(id) INTO pending, last_id
        FROM dexgate_change_event WHERE txid = NEW.txid AND position IS NULL;
    IF pending > 0 THEN
        UPDATE dexgate_change_counter SET position = position + pending WHERE id = 1
            RETURNING position - pending INTO base;
        UPDATE dexgate_change_event AS e SET position = base + r.n
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n
                  FROM dexgate_change_event WHERE txid = NEW.txid AND position IS NULL) AS r
            WHERE e.id = r.id;
        PERFORM set_config('dexgate.positioned', last_id::text, true);
    END IF;
    RETURN NULL;
END
$$
"""

POSITION_TRIGGER = """
CREATE CONSTRAINT TRIGGER dexgate_change_position
    AFTER INSERT ON dexgate_change_event
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION dexgate_change_position()
"""


def upgrade() -> None:
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
    op.create_index(
        "ix_dexgate_change_event_entity_position", "dexgate_change_event", ["entity", "position"]
    )
    op.create_index("ix_dexgate_change_event_entity_id", "dexgate_change_event", ["entity", "id"])
    op.create_index("ix_dexgate_change_event_occurred_at", "dexgate_change_event", ["occurred_at"])
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
    if op.get_bind().dialect.name == "postgresql":
        # Only the events still waiting for their position, found at commit.
        op.execute(
            "CREATE INDEX ix_dexgate_change_event_pending ON dexgate_change_event (txid) "
            "WHERE position IS NULL"
        )
        op.execute(CAPTURE)
        op.execute(POSITION)
        op.execute(POSITION_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dexgate_change_position ON dexgate_change_event")
        op.execute("DROP FUNCTION IF EXISTS dexgate_change_position()")
        op.execute("DROP FUNCTION IF EXISTS dexgate_change_capture() CASCADE")
    op.drop_table("dexgate_change_pruned")
    op.drop_table("dexgate_change_actor")
    op.drop_table("dexgate_change_counter")
    op.drop_table("dexgate_change_event")
    with op.batch_alter_table("dexgate_entity_configuration") as batch:
        batch.drop_column("change_feed")
