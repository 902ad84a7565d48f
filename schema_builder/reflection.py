"""What the live database says about a table: reflection, type fit and pre-filled definitions."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from schema_builder.definition import (
    EntityConfiguration,
    EntityDefinition,
    FieldDefinition,
    FieldType,
    Validation,
)
from schema_builder.mysql_types import column_reader, is_mysql, json_columns
from schema_builder.tables import OWN_TABLE_PREFIX


def reflect_tables(connection: sa.Connection, names: Iterable[str]) -> dict[str, sa.Table]:
    """Reflect the named tables that exist (in one batch where the dialect allows it); on
    MariaDB and MySQL with the column types of :mod:`schema_builder.mysql_types`."""
    existing = set(sa.inspect(connection).get_table_names())
    wanted = sorted({n for n in names if n in existing})
    metadata = sa.MetaData()
    if wanted:
        if is_mysql(connection.dialect):
            reader = column_reader(json_columns(connection, wanted))
            sa.event.listen(metadata, "column_reflect", reader)
        metadata.reflect(connection, only=wanted)
    return {name: metadata.tables[name] for name in wanted}


def list_tables(connection: sa.Connection) -> list[str]:
    return sorted(sa.inspect(connection).get_table_names())


def is_denied(table_name: str, denied: Sequence[str]) -> bool:
    """dexgate's own tables and any table matching a deny pattern can never be exposed."""
    if table_name.startswith(OWN_TABLE_PREFIX):
        return True
    return any(fnmatch.fnmatchcase(table_name, pattern) for pattern in denied)


def natural_type(column_type: sa.types.TypeEngine[Any]) -> FieldType:
    """The field type a column maps to when a definition is pre-filled."""
    if isinstance(column_type, sa.Boolean):
        return "boolean"
    if isinstance(column_type, sa.Integer):
        return "integer"
    if isinstance(column_type, sa.Float):
        return "float"
    if isinstance(column_type, sa.Numeric):
        return "decimal"
    if isinstance(column_type, sa.DateTime):
        return "datetime"
    if isinstance(column_type, sa.Date):
        return "date"
    if isinstance(column_type, sa.JSON):
        return "json"
    return "string"


_FITS: dict[FieldType, tuple[FieldType, ...]] = {
    "integer": ("integer",),
    "decimal": ("decimal", "integer", "float"),
    "float": ("float", "decimal", "integer"),
    "boolean": ("boolean",),
    "string": ("string", "date", "datetime", "json"),
    "date": ("date", "datetime", "string"),
    "datetime": ("datetime", "string"),
    "json": ("json", "string"),
}


def type_fits(field_type: FieldType, column_type: sa.types.TypeEngine[Any]) -> bool:
    """Whether values of ``field_type`` can be stored in and read from the column."""
    return natural_type(column_type) in _FITS[field_type]


def is_key(table: sa.Table, column: str) -> bool:
    """Whether the column alone identifies a row: the primary key or a unique column."""
    pk = [c.name for c in table.primary_key.columns]
    if pk == [column]:
        return True
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and [c.name for c in constraint.columns] == [
            column
        ]:
            return True
    return any(
        index.unique and [c.name for c in index.columns] == [column] for index in table.indexes
    )


_PREFIXES = ("spy_", "pyz_")


def suggest_alias(table_name: str) -> str:
    """Spryker's rule: drop the spy_/pyz_ prefix, `_` becomes `-`, pluralise the last word."""
    name = table_name
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", name).replace("_", "-")
    head, _, last = name.rpartition("-")
    plural = _pluralise(last)
    return f"{head}-{plural}" if head else plural


def _pluralise(word: str) -> str:
    lower = word.lower()
    if not lower or (lower.endswith("s") and not lower.endswith("ss")):
        return word
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def prefill(
    table: sa.Table, alias: str | None = None, *, active: bool = False
) -> EntityConfiguration:
    """A configuration for every column of ``table``, typed and validated from its schema.

    Generated primary keys are read-only; other columns are creatable and editable.
    Nullability becomes ``isRequired`` (except for generated or defaulted columns), string
    lengths become ``maxLength`` and the values of an enumerated type (MariaDB's ``ENUM``, a
    PostgreSQL enum) become ``enum``.
    """
    pk = [c.name for c in table.primary_key.columns]
    identifier = (
        pk[0]
        if len(pk) == 1
        else next((c.name for c in table.columns if is_key(table, c.name)), table.columns[0].name)
    )
    fields = []
    for column in table.columns:
        kind = natural_type(column.type)
        generated = (
            column.name in pk and kind == "integer" and column.autoincrement in (True, "auto")
        )
        has_default = column.server_default is not None or column.default is not None
        required = not column.nullable and not generated and not has_default
        enum = tuple(column.type.enums) if isinstance(column.type, sa.Enum) else None
        length = getattr(column.type, "length", None) if kind == "string" and not enum else None
        precision = getattr(column.type, "precision", None) if kind == "decimal" else None
        scale = getattr(column.type, "scale", None) if kind == "decimal" else None
        fields.append(
            FieldDefinition(
                field_name=column.name,
                visible_name=_visible_name(column.name),
                type=kind,
                is_creatable=not generated,
                is_editable=not generated and column.name != identifier,
                validation=Validation(
                    is_required=required,
                    max_length=length if isinstance(length, int) else None,
                    precision=precision if isinstance(precision, int) else None,
                    scale=scale if isinstance(scale, int) and isinstance(precision, int) else None,
                    enum=enum or None,
                ),
                description="The primary key of this table." if column.name in pk else None,
            )
        )
    return EntityConfiguration(
        table_name=table.name,
        alias=alias or suggest_alias(table.name),
        is_active=active,
        definition=EntityDefinition(identifier=identifier, fields=tuple(fields)),
    )


def _visible_name(column: str) -> str:
    name = re.sub(r"[^0-9A-Za-z_]", "_", column)
    return f"_{name}" if name[:1].isdigit() else name
