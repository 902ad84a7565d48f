"""The catalog: the validated, immutable view of the active entity configurations.

A catalog is built once per configuration version from the stored configurations and the
reflected tables, and then shared read-only by every request until the next version replaces it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from schema_builder.definition import EntityConfiguration, FieldDefinition, FieldType
from schema_builder.errors import ConfigurationNotFoundError, Problem

_INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True, slots=True, eq=False)
class Field:
    """A configured field bound to its column, with the limits the column itself imposes."""

    name: str
    column: sa.Column[Any]
    definition: FieldDefinition
    int_range: tuple[int, int]
    column_length: int | None
    column_precision: int | None
    column_scale: int | None

    @property
    def type(self) -> FieldType:
        return self.definition.type

    @property
    def column_name(self) -> str:
        return self.definition.field_name


@dataclass(frozen=True, slots=True, eq=False)
class Relation:
    """A relationship as the owning entity sees it.

    ``local`` is the owner's column and ``remote`` the target's column used to match rows;
    ``many`` is true for hasMany (children listed under the owner).
    """

    name: str
    kind: str
    owner: str
    target: str
    local: str
    remote: str
    is_editable: bool

    @property
    def many(self) -> bool:
        return self.kind == "hasMany"


@dataclass(frozen=True, slots=True, eq=False)
class Entity:
    alias: str
    table: sa.Table
    configuration: EntityConfiguration
    fields: tuple[Field, ...]
    identifier: Field
    relations: Mapping[str, Relation]
    by_name: Mapping[str, Field] = field(default_factory=dict)
    by_column: Mapping[str, Field] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    converters: tuple[tuple[str, Callable[[Any], Any]], ...] = ()

    def shape(self, row: Any) -> dict[str, Any]:
        """A selected row as the API shows it: visible names, values converted for JSON."""
        out = dict(zip(self.names, row, strict=False))
        for name, convert in self.converters:
            value = out[name]
            if value is not None:
                out[name] = convert(value)
        return out

    @property
    def is_deletable(self) -> bool:
        return self.configuration.definition.is_deletable

    @property
    def table_name(self) -> str:
        return self.configuration.table_name

    def field_for_filter(self, name: str) -> Field | None:
        """The field a filter or sort key names; ``identifier`` names the identifier field."""
        if name == "identifier":
            return self.identifier
        return self.by_name.get(name)


@dataclass(frozen=True, slots=True, eq=False)
class Catalog:
    version: int
    entities: Mapping[str, Entity]
    configurations: tuple[EntityConfiguration, ...] = ()
    problems: tuple[Problem, ...] = ()

    def entity(self, alias: str) -> Entity:
        """The active entity registered under ``alias``; raises 007 Not found otherwise."""
        try:
            return self.entities[alias]
        except KeyError:
            raise ConfigurationNotFoundError() from None


def _decimal_out(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value))
    return str(value)


def _iso_out(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _bool_out(value: Any) -> Any:
    return None if value is None else bool(value)


def _json_out(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


_OUTPUT: dict[str, Callable[[Any], Any] | None] = {
    "integer": None,
    "string": None,
    "decimal": _decimal_out,
    "boolean": _bool_out,
    "float": None,
    "date": _iso_out,
    "datetime": _iso_out,
    "json": _json_out,
}


def output_converter(kind: str) -> Callable[[Any], Any]:
    """What the row path applies to a (non-null) value of a field of type ``kind`` before it
    is written as JSON (the identity where it applies nothing)."""
    convert = _OUTPUT[kind]
    return convert if convert is not None else _identity


def _identity(value: Any) -> Any:
    return value


# MariaDB's and MySQL's integer types beyond the standard ones, by their bits.
_MYSQL_BITS = {"TINYINT": 8, "MEDIUMINT": 24}


def integer_range(column_type: sa.types.TypeEngine[Any]) -> tuple[int, int]:
    """The values an integer column can hold (MariaDB's ``UNSIGNED`` and its 8- and 24-bit
    types included); 64-bit for a type not known here."""
    kind: type = type(column_type)
    return _integer_range(kind, bool(getattr(column_type, "unsigned", False)))


@functools.cache
def _integer_range(column_type: type, unsigned: bool) -> tuple[int, int]:
    """By the type's class, which decides it (a catalog asks once per integer column)."""
    name = column_type.__name__.upper()
    if name in _MYSQL_BITS:
        bits = _MYSQL_BITS[name]
    elif issubclass(column_type, sa.SmallInteger):
        bits = 16
    elif issubclass(column_type, sa.BigInteger):
        bits = 64
    elif issubclass(column_type, sa.Integer) and name in ("INTEGER", "INT", "SERIAL"):
        bits = 32
    else:
        bits = 64
    if unsigned:
        return (0, 2**bits - 1)
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _bind_field(definition: FieldDefinition, column: sa.Column[Any], sqlite: bool) -> Field:
    ctype = column.type
    length = precision = scale = None
    if isinstance(ctype, sa.String):
        length = getattr(ctype, "length", None)
    elif isinstance(ctype, sa.Numeric):
        precision = getattr(ctype, "precision", None)
        scale = getattr(ctype, "scale", None)
    # SQLite stores any integer in 64 bits whatever the declared type.
    int_range = _INT_RANGES["bigint"] if sqlite else integer_range(ctype)
    return Field(
        name=definition.visible_name,
        column=column,
        definition=definition,
        int_range=int_range,
        column_length=length if isinstance(length, int) else None,
        column_precision=precision if isinstance(precision, int) else None,
        column_scale=scale if isinstance(scale, int) else None,
    )


def build_entity(config: EntityConfiguration, table: sa.Table, *, sqlite: bool = False) -> Entity:
    """Bind a configuration to its reflected table (columns are assumed checked)."""
    fields = tuple(_bind_field(f, table.c[f.field_name], sqlite) for f in config.definition.fields)
    by_column = {f.column_name: f for f in fields}
    by_name = {f.name: f for f in fields}
    identifier = by_column[config.definition.identifier]
    converters = tuple(
        (f.name, convert) for f in fields if (convert := _OUTPUT[f.type]) is not None
    )
    return Entity(
        alias=config.alias,
        table=table,
        configuration=config,
        fields=fields,
        identifier=identifier,
        relations={},
        by_name=by_name,
        by_column=by_column,
        names=tuple(f.name for f in fields),
        converters=converters,
    )


def build_catalog(
    version: int,
    configurations: Iterable[EntityConfiguration],
    tables: Mapping[str, sa.Table],
    *,
    sqlite: bool = False,
) -> Catalog:
    """Build the catalog of active entities.

    An entity whose table or columns are gone is left out and reported in ``problems``; a
    relationship to an entity that is not active is left out silently (it is simply not
    available), exactly as an inactive entity is not found.
    """
    configurations = tuple(configurations)
    problems: list[Problem] = []
    entities: dict[str, Entity] = {}
    for config in configurations:
        if not config.is_active:
            continue
        table = tables.get(config.table_name)
        if table is None:
            problems.append(Problem(config.alias, f"Table `{config.table_name}` does not exist."))
            continue
        missing = [f.field_name for f in config.definition.fields if f.field_name not in table.c]
        if missing:
            problems.append(
                Problem(config.alias, f"Columns missing from the table: {', '.join(missing)}.")
            )
            continue
        entities[config.alias] = build_entity(config, table, sqlite=sqlite)
    linked: dict[str, Entity] = {}
    for alias, entity in entities.items():
        relations: dict[str, Relation] = {}
        for rel in entity.configuration.relations:
            target = entities.get(rel.target)
            if target is None:
                continue
            if rel.kind == "hasMany":
                local, remote = rel.parent_field, rel.child_field
            else:
                local, remote = rel.child_field, rel.parent_field
            if local not in entity.table.c or remote not in target.table.c:
                problems.append(
                    Problem(alias, f"Relation `{rel.name}` maps columns that do not exist.")
                )
                continue
            relations[rel.name] = Relation(
                rel.name, rel.kind, alias, rel.target, local, remote, rel.is_editable
            )
        linked[alias] = _with_relations(entity, relations)
    return Catalog(version, linked, configurations, tuple(problems))


def _with_relations(entity: Entity, relations: Mapping[str, Relation]) -> Entity:
    return Entity(
        alias=entity.alias,
        table=entity.table,
        configuration=entity.configuration,
        fields=entity.fields,
        identifier=entity.identifier,
        relations=relations,
        by_name=entity.by_name,
        by_column=entity.by_column,
        names=entity.names,
        converters=entity.converters,
    )
