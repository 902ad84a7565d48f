"""PostgreSQL's change feed positions its events per transaction, not per event.

Until now the commit of a transaction with events updated every one of its events to give it
its position (migration 0004's ``dexgate_change_position``): each event was written twice, and
the feed cost a write of 1,000 rows as much again as the rows themselves. Now an event is
written once, with the transaction's commit row (``dexgate_change_commit``) and its ordinal in
the transaction (``seq``); at commit the deferred trigger gives the commit row its range of
positions under the counter's row lock, as before (positions are still commit order, and every
snapshot that sees a position sees every lower one). An event's position is the commit row's
``base`` plus its ordinal after the row's ``first_seq``: readers join the two
(schema_builder/changefeed/positions.py).

The ordinal counts up in the transaction-local setting ``dexgate.seq``; the open commit row is
``dexgate.commit``. Both are undone with a rolled-back savepoint, as are the events and the
commit row written in it. ``SET CONSTRAINTS ALL IMMEDIATE`` gives the events so far their
positions early; events after it open another commit row.

Events already positioned keep their positions (one commit row each). SQLite and MariaDB are
unchanged: their ids are the positions; the new columns stay empty there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The transaction's open commit row for an entity (opened by the entity's first event in the
# transaction, and again by its first event after SET CONSTRAINTS ... IMMEDIATE gave the
# earlier ones their positions); the setting's name carries a digest of the alias.
OPEN = """
CREATE OR REPLACE FUNCTION dexgate_change_open(seq0 integer, alias text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    setting text := 'dexgate.commit_' || md5(alias);
    opened text := current_setting(setting, true);
    commit_id bigint;
BEGIN
    IF opened IS NOT NULL AND opened <> '' THEN
        RETURN opened::bigint;
    END IF;
    INSERT INTO dexgate_change_commit (entity, first_seq) VALUES (alias, seq0)
        RETURNING id INTO commit_id;
    PERFORM set_config(setting, commit_id::text, true);
    RETURN commit_id;
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
    seq0 integer;
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
    seq0 := coalesce(nullif(current_setting('dexgate.seq', true), '')::integer, 0);
    -- Counted before the commit row is opened: under SET CONSTRAINTS ALL IMMEDIATE it is
    -- positioned as soon as it is inserted.
    PERFORM set_config('dexgate.seq', (seq0 + 1)::text, true);
    INSERT INTO dexgate_change_event
        (entity, operation, identifier, old_row, new_row, actor, occurred_at, commit_id, seq)
    VALUES (
        TG_ARGV[0], 'update', jsonb_build_array(new_source -> TG_ARGV[1])::text,
        old_row::text, new_row::text,
        coalesce(nullif(current_setting('dexgate.actor', true), ''), 'database'),
        clock_timestamp(), dexgate_change_open(seq0, TG_ARGV[0]), seq0 + 1
    );
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
    seq0 integer;
    recorded integer;
BEGIN
    SELECT count(*) INTO recorded FROM dexgate_rows;
    IF recorded = 0 THEN
        RETURN NULL;
    END IF;
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
    seq0 := coalesce(nullif(current_setting('dexgate.seq', true), '')::integer, 0);
    -- Counted before the commit row is opened (see dexgate_change_capture).
    PERFORM set_config('dexgate.seq', (seq0 + recorded)::text, true);
    EXECUTE format(
        'INSERT INTO dexgate_change_event (entity, operation, identifier, old_row, new_row, '
        'actor, occurred_at, commit_id, seq) SELECT $1, $2, jsonb_build_array(r.%I)::text, '
        '%s, %s, $3, clock_timestamp(), $4, $5 + row_number() OVER () FROM dexgate_rows AS r',
        TG_ARGV[1],
        CASE TG_OP WHEN 'DELETE' THEN '(' || row_json || ')::text' ELSE 'NULL' END,
        CASE TG_OP WHEN 'INSERT' THEN '(' || row_json || ')::text' ELSE 'NULL' END
    ) USING TG_ARGV[0], CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'delete' END,
        coalesce(nullif(current_setting('dexgate.actor', true), ''), 'database'),
        dexgate_change_open(seq0, TG_ARGV[0]), seq0;
    RETURN NULL;
END
$$
"""

# Fired at commit (deferred), once per commit row: gives its events their positions, a range
# taken from the counter under its row lock, which is held until the commit is visible: the
# next transaction's range is taken only after it, so positions are commit order. The range
# runs up to the row's last event (the ordinals of other entities' events in between are
# holes), so ``last_position`` is the position of the entity's last event.
POSITION = """
CREATE OR REPLACE FUNCTION dexgate_change_commit_position() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last integer;
    recorded integer;
    given bigint;
BEGIN
    -- Events recorded after this (SET CONSTRAINTS ... IMMEDIATE ran it early) open another.
    PERFORM set_config('dexgate.commit_' || md5(NEW.entity), '', true);
    -- The row's last event; under IMMEDIATE, run as the row is opened, the event about to be
    -- recorded, whose ordinal is counted already.
    SELECT max(seq) INTO last FROM dexgate_change_event WHERE commit_id = NEW.id;
    last := coalesce(last, nullif(current_setting('dexgate.seq', true), '')::integer, 0);
    recorded := last - NEW.first_seq;
    IF recorded <= 0 THEN
        DELETE FROM dexgate_change_commit WHERE id = NEW.id;
        RETURN NULL;
    END IF;
    UPDATE dexgate_change_counter SET position = position + recorded WHERE id = 1
        RETURNING position - recorded INTO given;
    UPDATE dexgate_change_commit
        SET base = given, last_seq = last, last_position = given + recorded
        WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""

POSITION_TRIGGER = """
CREATE CONSTRAINT TRIGGER dexgate_change_commit_position
    AFTER INSERT ON dexgate_change_commit
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION dexgate_change_commit_position()
"""


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # Transactions still positioning their events the old way finish first.
        op.execute("LOCK TABLE dexgate_change_pending IN ACCESS EXCLUSIVE MODE")
    with op.batch_alter_table("dexgate_change_event") as batch:
        batch.add_column(sa.Column("commit_id", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("seq", sa.Integer, nullable=True))
    # On every database, as the table definitions have it; used on PostgreSQL only.
    op.create_table(
        "dexgate_change_commit",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(255), nullable=False),
        sa.Column("first_seq", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=True),
        sa.Column("base", sa.BigInteger, nullable=True),
        sa.Column("last_position", sa.BigInteger, nullable=True),
    )
    if not postgresql:
        return
    # A reader walks an entity's commit rows in position order, then each one's events.
    op.create_index(
        "ix_dexgate_change_commit_entity_position",
        "dexgate_change_commit",
        ["entity", "last_position"],
        postgresql_where=sa.text("last_position IS NOT NULL"),
    )
    # The events positioned already: one commit row each, with the event's id as its id.
    op.execute(
        "INSERT INTO dexgate_change_commit (id, entity, first_seq, last_seq, base, last_position) "
        "SELECT id, entity, 0, 1, position - 1, position FROM dexgate_change_event "
        "WHERE position IS NOT NULL"
    )
    op.execute("UPDATE dexgate_change_event SET commit_id = id, seq = 1 WHERE position IS NOT NULL")
    op.execute(
        "SELECT setval(pg_get_serial_sequence('dexgate_change_commit', 'id'), "
        "coalesce((SELECT max(id) FROM dexgate_change_commit), 0) + 1, false)"
    )
    op.create_index("ix_dexgate_change_event_commit", "dexgate_change_event", ["commit_id", "seq"])
    op.drop_index("ix_dexgate_change_event_entity_position", "dexgate_change_event")
    op.drop_index("ix_dexgate_change_event_pending", "dexgate_change_event")
    op.drop_table("dexgate_change_pending")  # and its trigger
    op.execute("DROP FUNCTION IF EXISTS dexgate_change_position() CASCADE")
    op.execute("DROP FUNCTION IF EXISTS dexgate_change_mark(bigint) CASCADE")
    for statement in (OPEN, CAPTURE, CAPTURE_ROWS, POSITION, POSITION_TRIGGER):
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # Migration 0004's functions, as they were.
        old = importlib.import_module("migrations.versions.0004_change_feed")
        op.execute("LOCK TABLE dexgate_change_commit IN ACCESS EXCLUSIVE MODE")
        op.execute(
            "UPDATE dexgate_change_event AS e SET position = c.base + (e.seq - c.first_seq) "
            "FROM dexgate_change_commit AS c "
            "WHERE e.commit_id = c.id AND c.last_position IS NOT NULL"
        )
        op.create_table(
            "dexgate_change_pending",
            sa.Column("txid", sa.BigInteger, primary_key=True, autoincrement=False),
        )
        op.execute("DROP TRIGGER dexgate_change_commit_position ON dexgate_change_commit")
        op.execute("DROP FUNCTION IF EXISTS dexgate_change_commit_position() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS dexgate_change_open(integer, text) CASCADE")
        for statement in (old.MARK, old.CAPTURE, old.CAPTURE_ROWS, old.POSITION):
            op.execute(statement)
        op.execute(old.POSITION_TRIGGER)
        op.drop_index("ix_dexgate_change_event_commit", "dexgate_change_event")
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
    op.drop_table("dexgate_change_commit")
    with op.batch_alter_table("dexgate_change_event") as batch:
        batch.drop_column("seq")
        batch.drop_column("commit_id")
