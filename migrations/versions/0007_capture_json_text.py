"""PostgreSQL records inserted and deleted rows as json text, not through jsonb.

Migration 0006's ``dexgate_change_capture_rows`` built each row with ``jsonb_build_object``
and cast it to text: PostgreSQL built the binary jsonb value, sorted its keys, then wrote it
out again, for every row of a batch. ``json_build_object`` writes the text at once, with the
keys in the order of the configured fields, as SQLite's ``json_object`` and MariaDB's
``JSON_OBJECT`` record them. The values are the same JSON (the change feed reads them back and
shows them in the entity's field order either way). Measured on a 1,000-row ``INSERT``
with 7 configured fields, in the writing backend's CPU time: the capture cost 9 ms instead
of 11.5 ms (the insert alone: 10 to 11 ms).

Updates stay row by row (``dexgate_change_capture``): they compare the configured fields
before and after as jsonb.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# As 0006's, with json_build_object / json_build_array in the statement it writes.
CAPTURE_ROWS = """
CREATE OR REPLACE FUNCTION dexgate_change_capture_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_json text;
    parts text[] := '{}';
    chunk text := '';
    i integer := 2;
    seq0 integer;
    recorded integer;
BEGIN
    SELECT count(*) INTO recorded FROM dexgate_rows;
    IF recorded = 0 THEN
        RETURN NULL;
    END IF;
    -- json_build_object takes at most 100 arguments: 40 fields a call. Several calls' objects
    -- are joined as text, each one without its braces, inside one pair.
    WHILE i < TG_NARGS LOOP
        chunk := chunk || CASE WHEN chunk = '' THEN '' ELSE ', ' END
            || quote_literal(TG_ARGV[i + 1]) || ', r.' || quote_ident(TG_ARGV[i]);
        IF (i / 2) % 40 = 0 OR i + 2 >= TG_NARGS THEN
            parts := parts || ('json_build_object(' || chunk || ')::text');
            chunk := '';
        END IF;
        i := i + 2;
    END LOOP;
    IF cardinality(parts) = 0 THEN
        row_json := quote_literal('{}');
    ELSIF cardinality(parts) = 1 THEN
        row_json := parts[1];
    ELSE
        SELECT quote_literal('{') || ' || '
            || string_agg('left(substr(' || part || ', 2), -1)', ' || '','' || ')
            || ' || ' || quote_literal('}')
            INTO row_json FROM unnest(parts) AS part;
    END IF;
    seq0 := coalesce(nullif(current_setting('dexgate.seq', true), '')::integer, 0);
    -- Counted before the commit row is opened (see dexgate_change_capture).
    PERFORM set_config('dexgate.seq', (seq0 + recorded)::text, true);
    EXECUTE format(
        'INSERT INTO dexgate_change_event (entity, operation, identifier, old_row, new_row, '
        'actor, occurred_at, commit_id, seq) SELECT $1, $2, json_build_array(r.%I)::text, '
        '%s, %s, $3, clock_timestamp(), $4, $5 + row_number() OVER () FROM dexgate_rows AS r',
        TG_ARGV[1],
        CASE TG_OP WHEN 'DELETE' THEN row_json ELSE 'NULL' END,
        CASE TG_OP WHEN 'INSERT' THEN row_json ELSE 'NULL' END
    ) USING TG_ARGV[0], CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE 'delete' END,
        coalesce(nullif(current_setting('dexgate.actor', true), ''), 'database'),
        dexgate_change_open(seq0, TG_ARGV[0]), seq0;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CAPTURE_ROWS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        previous = importlib.import_module("migrations.versions.0006_change_commits")
        op.execute(previous.CAPTURE_ROWS)
