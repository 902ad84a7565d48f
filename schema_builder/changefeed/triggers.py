"""The triggers that capture an entity's changes, one set per entity whose change feed is on.

Each trigger inserts one row into ``dexgate_change_event`` in the writing transaction (a
rolled-back write leaves nothing): the entity alias, the operation, the identifier, the row
before and after under the entity's visible names (configured fields only) and the actor.
An update that changes none of the configured fields records nothing.

- PostgreSQL: inserts and deletes are recorded once per statement, from its transition table
  (``dexgate_change_capture_rows``: one ``INSERT ... SELECT`` for a whole batch), updates row
  by row (``dexgate_change_capture``); both functions are migration 0004's and take the alias,
  the identifier column and the column / visible name pairs as arguments.
- SQLite and MariaDB: three row triggers whose bodies name the columns themselves (neither
  has trigger arguments; SQLite's triggers may only use SQL that any program writing to the
  file has, never a function of dexgate's).

A trigger's name is ``dexgate_cf_`` and a hash of its statement, so :func:`sync_triggers`
compares names to know what to create and what to drop: a change of fields or visible names
gives new names. New triggers are created before the old ones are dropped: MariaDB commits
each of these statements on its own, and between the two a change is recorded twice (the feed
is at least once) rather than not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from schema_builder.definition import EntityConfiguration

PREFIX = "dexgate_cf_"
# Field / value pairs in one call of SQLite's JSON functions (at most 127 arguments).
SQLITE_PAIRS = 63


@dataclass(frozen=True, slots=True)
class Trigger:
    name: str
    table: str
    create: str


def captured(configurations: Iterable[EntityConfiguration]) -> list[EntityConfiguration]:
    """The configurations whose changes are recorded: active, with the change feed on."""
    return [c for c in configurations if c.is_active and c.change_feed]


def triggers_for(config: EntityConfiguration, dialect: Dialect) -> list[Trigger]:
    """The triggers that record ``config``'s changes on ``dialect``."""
    quote = dialect.identifier_preparer.quote
    table = quote(config.table_name)
    fields = [(f.field_name, f.visible_name) for f in config.definition.fields]
    identifier = config.definition.identifier
    alias = _literal(config.alias)
    if dialect.name == "postgresql":
        arguments = ", ".join(
            _literal(v) for v in (config.alias, identifier, *(x for f in fields for x in f))
        )
        head = "CREATE TRIGGER {name} AFTER "
        return [
            _named(
                config.table_name,
                f"{head}INSERT ON {table} REFERENCING NEW TABLE AS dexgate_rows FOR EACH "
                f"STATEMENT EXECUTE FUNCTION dexgate_change_capture_rows({arguments})",
            ),
            _named(
                config.table_name,
                f"{head}DELETE ON {table} REFERENCING OLD TABLE AS dexgate_rows FOR EACH "
                f"STATEMENT EXECUTE FUNCTION dexgate_change_capture_rows({arguments})",
            ),
            _named(
                config.table_name,
                # No WHEN (OLD.* IS DISTINCT FROM NEW.*): a column type without equality
                # (json, xml, point) would make every update fail; the function compares the
                # configured fields as jsonb.
                f"{head}UPDATE ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION dexgate_change_capture({arguments})",
            ),
        ]
    mariadb = dialect.name in ("mysql", "mariadb")

    def row(side: str) -> str:
        if mariadb:
            return "JSON_OBJECT(" + ", ".join(_pairs(fields, side, quote)) + ")"
        # SQLite's functions take at most 127 arguments: the first fields in json_object,
        # the others added in order by json_insert, 63 at a time.
        head, rest = fields[:SQLITE_PAIRS], fields[SQLITE_PAIRS:]
        built = "json_object(" + ", ".join(_pairs(head, side, quote)) + ")"
        for start in range(0, len(rest), SQLITE_PAIRS):
            added = [
                (column, "$." + _json_key(visible))
                for column, visible in rest[start : start + SQLITE_PAIRS]
            ]
            built = f"json_insert({built}, " + ", ".join(_pairs(added, side, quote)) + ")"
        return built

    if mariadb:
        actor = "COALESCE(@dexgate_actor, 'database')"
        now = "UTC_TIMESTAMP(6)"
    else:
        actor = "coalesce((SELECT actor FROM dexgate_change_actor WHERE id = 1), 'database')"
        # SQLAlchemy's text for SQLite: microseconds in six digits, 'now' is UTC. One
        # strftime ('%f' is seconds with milliseconds): the clock is read for every row.
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"
    array = "JSON_ARRAY" if mariadb else "json_array"

    def insert(operation: str, side: str, old: str, new: str) -> str:
        return (
            "INSERT INTO dexgate_change_event "  # noqa: S608 - checked names, quoted
            "(entity, operation, identifier, old_row, new_row, actor, occurred_at) VALUES "
            f"({alias}, '{operation}', {array}({side}.{quote(identifier)}), {old}, {new}, "
            f"{actor}, {now})"
        )

    creates = insert("create", "NEW", "NULL", row("NEW"))
    updates = insert("update", "NEW", row("OLD"), row("NEW"))
    deletes = insert("delete", "OLD", row("OLD"), "NULL")
    if mariadb:
        changed = " AND ".join(
            f"BINARY OLD.{quote(c)} <=> BINARY NEW.{quote(c)}" for c, _ in fields
        )
        head = "CREATE TRIGGER {name} AFTER {event} ON " + table + " FOR EACH ROW "
        statements = [
            head.replace("{event}", "INSERT") + creates,
            head.replace("{event}", "UPDATE") + f"IF NOT ({changed}) THEN {updates}; END IF",
            head.replace("{event}", "DELETE") + deletes,
        ]
    else:
        changed = " OR ".join(f"OLD.{quote(c)} IS NOT NEW.{quote(c)}" for c, _ in fields)
        head = "CREATE TRIGGER {name} AFTER {event} ON " + table
        statements = [
            head.replace("{event}", "INSERT") + f" BEGIN {creates}; END",
            head.replace("{event}", "UPDATE") + f" WHEN {changed} BEGIN {updates}; END",
            head.replace("{event}", "DELETE") + f" BEGIN {deletes}; END",
        ]
    return [_named(config.table_name, statement) for statement in statements]


def _pairs(fields: Sequence[tuple[str, str]], side: str, quote: Callable[[str], str]) -> list[str]:
    """``'name', NEW.column`` for each (column, name) pair."""
    return [f"{_literal(name)}, {side}.{quote(column)}" for column, name in fields]


def _json_key(name: str) -> str:
    """``name`` as a key of a SQLite JSON path: visible names are GraphQL names (letters,
    digits, underscores), quoted all the same."""
    return '"' + name + '"'


def _named(table: str, template: str) -> Trigger:
    digest = hashlib.sha256(f"{table}\n{template}".encode()).hexdigest()[:20]
    name = PREFIX + digest
    return Trigger(name, table, template.replace("{name}", name, 1))


def _literal(value: str) -> str:
    """A SQL string literal; the values are checked names, quotes doubled all the same."""
    return "'" + value.replace("'", "''") + "'"


async def installed(connection: AsyncConnection) -> dict[str, str]:
    """dexgate's capture triggers in the database: name → table."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        query = (
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND t.tgname LIKE 'dexgate\\_cf\\_%'"
        )
    elif dialect in ("mysql", "mariadb"):
        query = (
            "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS "
            "WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'dexgate\\_cf\\_%'"
        )
    else:
        query = (
            "SELECT name, tbl_name FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE 'dexgate\\_cf\\_%' ESCAPE '\\'"
        )
    rows = (await connection.execute(sa.text(query))).all()
    return {str(name): str(table) for name, table in rows}


async def sync_triggers(
    connection: AsyncConnection, configurations: Sequence[EntityConfiguration]
) -> tuple[list[str], list[str]]:
    """Make the database's capture triggers those of ``configurations`` whose change feed is
    on: create the missing ones, then drop the others. Returns (created, dropped) names."""
    dialect = connection.dialect
    wanted = {t.name: t for c in captured(configurations) for t in triggers_for(c, dialect)}
    present = await installed(connection)
    created = [name for name in wanted if name not in present]
    dropped = [name for name in present if name not in wanted]
    for name in created:
        await connection.exec_driver_sql(_escaped(wanted[name].create, dialect))
    quote = dialect.identifier_preparer.quote
    for name in dropped:
        if dialect.name == "postgresql":
            statement = f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(present[name])}"
        else:
            statement = f"DROP TRIGGER IF EXISTS {quote(name)}"
        await connection.exec_driver_sql(statement)
    return created, dropped


def _escaped(statement: str, dialect: Dialect) -> str:
    """``statement`` as the driver takes it: its ``%`` doubled for drivers with ``format``
    parameters (exec_driver_sql passes an empty parameter list)."""
    if dialect.paramstyle in ("format", "pyformat"):
        return statement.replace("%", "%%")
    return statement
