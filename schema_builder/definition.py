"""The entity definition format: Spryker's installer format plus dexgate's optional additions.

An installer entry looks like::

    {"tableName": "country", "tableAlias": "countries", "isActive": true,
     "changeFeed": false,
     "definition": {"identifier": "id_country", "isDeletable": false, "fields": [...]},
     "childRelations": [...], "parentRelations": [...]}

``parse_entry`` turns one entry into an immutable :class:`EntityConfiguration` and reports every
problem it finds that can be seen without a database (types, flags, rule consistency, names).
Checks against the live database and across entries live in :mod:`schema_builder.checks`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from schema_builder.errors import ConfigurationError, Problem

FieldType = Literal["integer", "string", "decimal", "boolean", "float", "date", "datetime", "json"]
FIELD_TYPES: tuple[FieldType, ...] = (
    "integer",
    "string",
    "decimal",
    "boolean",
    "float",
    "date",
    "datetime",
    "json",
)
TRANSFORMATIONS = ("trim", "lowercase", "uppercase", "default")
CONSTRAINTS = ("url",)
# \Z, not $: $ also matches before a final newline, and "name\n" is no GraphQL name.
ALIAS_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+\Z")
GRAPHQL_NAME_PATTERN = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*\Z")
RelationKind = Literal["hasMany", "belongsTo"]


@dataclass(frozen=True, slots=True)
class Validation:
    """Validation rules of one field; ``None`` means the rule is not set."""

    is_required: bool = False
    min: int | float | None = None
    max: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    constraints: tuple[str, ...] = ()
    pattern: str | None = None
    enum: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True)
class Transformation:
    name: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class FieldDefinition:
    field_name: str
    visible_name: str
    type: FieldType
    is_creatable: bool
    is_editable: bool
    validation: Validation = field(default_factory=Validation)
    transformations: tuple[Transformation, ...] = ()
    description: str | None = None
    examples: str | None = None
    enum_values: str | None = None
    is_enabled: bool = True


@dataclass(frozen=True, slots=True)
class EntityDefinition:
    identifier: str
    fields: tuple[FieldDefinition, ...]
    is_deletable: bool = False
    graphql_name: str | None = None


@dataclass(frozen=True, slots=True)
class RelationDefinition:
    """A named relationship owned by one entity.

    ``hasMany`` (Spryker's child relation): the owner is the parent and ``target`` the child.
    ``belongsTo`` (dexgate's addition): the owner is the child and ``target`` the parent.
    Either way ``child_field`` is a column of the child and ``parent_field`` one of the parent.
    """

    name: str
    kind: RelationKind
    target: str
    child_field: str
    parent_field: str
    is_editable: bool = False


@dataclass(frozen=True, slots=True)
class EntityConfiguration:
    table_name: str
    alias: str
    is_active: bool
    definition: EntityDefinition
    relations: tuple[RelationDefinition, ...] = ()
    # dexgate's addition: record every change of the table's rows (docs/change-feed.md).
    change_feed: bool = False


_VALIDATION_KEYS = {
    "isRequired",
    "min",
    "max",
    "minLength",
    "maxLength",
    "precision",
    "scale",
    "constraints",
    "pattern",
    "enum",
}


class _Reader:
    """Collects problems while reading one entry, so every problem is reported at once."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.problems: list[Problem] = []

    def problem(self, message: str, field: str | None = None, fix: str | None = None) -> None:
        self.problems.append(Problem(self.entity, message, field, fix))

    def string(self, data: Mapping[str, Any], key: str, where: str | None = None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            self.problem(f"`{key}` must be a non-empty string.", where)
            return ""
        return value

    def flag(self, data: Mapping[str, Any], key: str, where: str | None, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"`{key}` must be true or false.", where)
            return default
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str) -> int | float | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(f"`validation.{key}` must be a number.", where)
            return None
        return value

    def count(self, data: Mapping[str, Any], key: str, where: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(f"`validation.{key}` must be a non-negative integer.", where)
            return None
        return value


def parse_entry(entry: Any) -> EntityConfiguration:
    """Read one installer entry; raise :class:`ConfigurationError` listing every problem."""
    if not isinstance(entry, Mapping):
        raise ConfigurationError([Problem("<entry>", "Each entry must be a JSON object.")])
    name = entry.get("tableAlias") or entry.get("tableName") or "<entry>"
    reader = _Reader(str(name))
    table = reader.string(entry, "tableName")
    alias = reader.string(entry, "tableAlias")
    if alias and not ALIAS_PATTERN.match(alias):
        reader.problem(
            f"Alias `{alias}` is invalid.",
            "tableAlias",
            fix="Use only letters, digits, `_` and `-` (^[a-zA-Z0-9_-]+$).",
        )
    is_active = reader.flag(entry, "isActive", None, False)
    change_feed = reader.flag(entry, "changeFeed", None, False)
    definition = _read_definition(reader, entry.get("definition"))
    relations = [
        *_read_relations(reader, entry.get("childRelations"), "hasMany"),
        *_read_relations(reader, entry.get("parentRelations"), "belongsTo"),
    ]
    if reader.problems:
        raise ConfigurationError(reader.problems)
    return EntityConfiguration(
        table, alias, is_active, definition, tuple(relations), change_feed=change_feed
    )


def _read_definition(reader: _Reader, data: Any) -> EntityDefinition:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            reader.problem("`definition` is not valid JSON.")
            return EntityDefinition("", ())
    if not isinstance(data, Mapping):
        reader.problem("`definition` must be an object with `identifier` and `fields`.")
        return EntityDefinition("", ())
    identifier = reader.string(data, "identifier")
    is_deletable = reader.flag(data, "isDeletable", None, False)
    graphql_name = data.get("graphqlName")
    if graphql_name is not None and (
        not isinstance(graphql_name, str) or not GRAPHQL_NAME_PATTERN.match(graphql_name)
    ):
        reader.problem(
            f"`graphqlName` {graphql_name!r} is not a valid GraphQL name.",
            fix="Use letters, digits and `_`, not starting with a digit.",
        )
        graphql_name = None
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        reader.problem("`definition.fields` must be a non-empty list.")
        raw_fields = []
    parsed = [f for f in (_read_field(reader, raw, i) for i, raw in enumerate(raw_fields)) if f]
    fields = [f for f in parsed if f.is_enabled]
    seen_columns: set[str] = set()
    seen_names: set[str] = set()
    for f in fields:
        if f.field_name in seen_columns:
            reader.problem(f"Column `{f.field_name}` is configured twice.", f.visible_name)
        if f.visible_name in seen_names:
            reader.problem(
                f"Visible name `{f.visible_name}` is used twice.",
                f.visible_name,
                fix="Give each field its own `fieldVisibleName`.",
            )
        if f.visible_name == "identifier" and f.field_name != identifier:
            reader.problem(
                "`identifier` is reserved as a visible name for the identifier field.",
                f.visible_name,
            )
        seen_columns.add(f.field_name)
        seen_names.add(f.visible_name)
    if identifier and parsed and identifier not in seen_columns:
        reader.problem(
            f"Identifier `{identifier}` is not one of the fields.",
            "identifier",
            fix="Set `identifier` to the `fieldName` of a configured field.",
        )
    return EntityDefinition(
        identifier,
        tuple(fields),
        is_deletable,
        graphql_name if isinstance(graphql_name, str) else None,
    )


def _read_field(reader: _Reader, raw: Any, index: int) -> FieldDefinition | None:
    if not isinstance(raw, Mapping):
        reader.problem(f"fields[{index}] must be an object.")
        return None
    where = str(raw.get("fieldVisibleName") or raw.get("fieldName") or f"fields[{index}]")
    for key in ("type", "fieldName", "fieldVisibleName", "isCreatable", "isEditable"):
        if key not in raw:
            reader.problem(f"`{key}` is required.", where, fix=f"Add `{key}` to the field.")
    column = reader.string(raw, "fieldName", where) if "fieldName" in raw else ""
    visible = reader.string(raw, "fieldVisibleName", where) if "fieldVisibleName" in raw else ""
    if visible and not GRAPHQL_NAME_PATTERN.match(visible):
        reader.problem(
            f"Visible name `{visible}` cannot be used as an API key.",
            where,
            fix="Use letters, digits and `_`, not starting with a digit.",
        )
    raw_kind = raw.get("type")
    kind: FieldType = "string"
    for candidate in FIELD_TYPES:
        if raw_kind == candidate:
            kind = candidate
    if raw_kind not in FIELD_TYPES and "type" in raw:
        reader.problem(
            f"Type {raw_kind!r} is not supported.",
            where,
            fix=f"Use one of {', '.join(FIELD_TYPES)}.",
        )
    creatable = reader.flag(raw, "isCreatable", where, False)
    editable = reader.flag(raw, "isEditable", where, False)
    validation = _read_validation(reader, raw.get("validation"), kind, where)
    transformations = _read_transformations(reader, raw.get("transformations"), where)
    examples = raw.get("examples")
    if isinstance(examples, list):
        examples = ", ".join(str(e) for e in examples)
    return FieldDefinition(
        field_name=column,
        visible_name=visible,
        type=kind,
        is_creatable=creatable,
        is_editable=editable,
        validation=validation,
        transformations=transformations,
        description=raw.get("description") if isinstance(raw.get("description"), str) else None,
        examples=examples if isinstance(examples, str) else None,
        enum_values=raw.get("enumValues") if isinstance(raw.get("enumValues"), str) else None,
        is_enabled=reader.flag(raw, "isEnabled", where, True),
    )


def _read_validation(reader: _Reader, raw: Any, kind: FieldType, where: str) -> Validation:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        reader.problem("`validation` must be an object.", where)
        return Validation()
    for key in raw:
        if key not in _VALIDATION_KEYS:
            reader.problem(
                f"Unknown validation rule `{key}`.",
                where,
                fix=f"Use one of {', '.join(sorted(_VALIDATION_KEYS))}.",
            )
    if kind in ("boolean", "decimal", "integer", "string") and "isRequired" not in raw:
        reader.problem(
            f"`validation.isRequired` must be set for {kind} fields.",
            where,
            fix='Add "validation": {"isRequired": false} (or true).',
        )
    minimum, maximum = reader.number(raw, "min", where), reader.number(raw, "max", where)
    min_length = reader.count(raw, "minLength", where)
    max_length = reader.count(raw, "maxLength", where)
    precision, scale = reader.count(raw, "precision", where), reader.count(raw, "scale", where)
    if minimum is not None and maximum is not None and not minimum < maximum:
        reader.problem(
            "`min` must be less than `max`.", where, fix="Lower `min`, raise `max`, or drop one."
        )
    if min_length is not None and max_length is not None and not min_length < max_length:
        reader.problem(
            "`minLength` must be less than `maxLength`.",
            where,
            fix="Lower `minLength`, raise `maxLength`, or drop one.",
        )
    if precision is not None and scale is not None and not scale < precision:
        reader.problem(
            "`scale` must be less than `precision`.",
            where,
            fix="Lower `scale` or raise `precision` (total digits, including the scale).",
        )
    if precision == 0:
        reader.problem("`precision` must be at least 1.", where)
    constraints: list[str] = []
    raw_constraints = raw.get("constraints", [])
    if not isinstance(raw_constraints, list):
        raw_constraints = [raw_constraints]
    for item in raw_constraints:
        name = item.get("name") if isinstance(item, Mapping) else item
        if name not in CONSTRAINTS:
            reader.problem(f"Unknown constraint {name!r}.", where, fix='Use {"name": "url"}.')
        else:
            constraints.append(name)
    pattern = raw.get("pattern")
    if pattern is not None:
        if not isinstance(pattern, str):
            reader.problem("`validation.pattern` must be a string.", where)
            pattern = None
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                reader.problem(
                    f"`validation.pattern` is not a valid regular expression: {exc}.",
                    where,
                    fix="Correct the expression (Python `re` syntax) or remove `pattern`.",
                )
                pattern = None
    enum = raw.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        reader.problem("`validation.enum` must be a non-empty list of allowed values.", where)
        enum = None
    is_required = raw.get("isRequired", False)
    if not isinstance(is_required, bool):
        reader.problem("`validation.isRequired` must be true or false.", where)
        is_required = False
    return Validation(
        is_required=is_required,
        min=minimum,
        max=maximum,
        min_length=min_length,
        max_length=max_length,
        precision=precision,
        scale=scale,
        constraints=tuple(constraints),
        pattern=pattern,
        enum=tuple(enum) if enum is not None else None,
    )


def _read_transformations(reader: _Reader, raw: Any, where: str) -> tuple[Transformation, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        reader.problem("`transformations` must be a list.", where)
        return ()
    result: list[Transformation] = []
    for item in raw:
        name = item.get("name") if isinstance(item, Mapping) else item
        if name not in TRANSFORMATIONS:
            reader.problem(
                f"Unknown transformation {name!r}.",
                where,
                fix=f"Use one of {', '.join(TRANSFORMATIONS)}.",
            )
            continue
        if name == "default":
            if not isinstance(item, Mapping) or "value" not in item:
                reader.problem(
                    "The `default` transformation needs a value: "
                    '{"name": "default", "value": ...}.',
                    where,
                )
                continue
            result.append(Transformation("default", item["value"]))
        else:
            result.append(Transformation(str(name)))
    return tuple(result)


def _read_relations(reader: _Reader, raw: Any, kind: RelationKind) -> list[RelationDefinition]:
    if raw is None:
        return []
    key = "childRelations" if kind == "hasMany" else "parentRelations"
    target_key = (
        "childDynamicEntityConfiguration"
        if kind == "hasMany"
        else "parentDynamicEntityConfiguration"
    )
    if not isinstance(raw, list):
        reader.problem(f"`{key}` must be a list.")
        return []
    result: list[RelationDefinition] = []
    for index, item in enumerate(raw):
        where = f"{key}[{index}]"
        if not isinstance(item, Mapping):
            reader.problem("A relation must be an object.", where)
            continue
        name = reader.string(item, "name", where)
        if name and not GRAPHQL_NAME_PATTERN.match(name):
            reader.problem(
                f"Relation name `{name}` cannot be used as an API key.",
                where,
                fix="Use letters, digits and `_`, not starting with a digit.",
            )
        target = item.get(target_key)
        target_alias = target.get("tableAlias") if isinstance(target, Mapping) else None
        if not isinstance(target_alias, str) or not target_alias:
            reader.problem(f"`{target_key}.tableAlias` is required.", where)
            target_alias = ""
        mappings = item.get("relationFieldMappings")
        if not isinstance(mappings, list) or not mappings or not isinstance(mappings[0], Mapping):
            reader.problem(
                "`relationFieldMappings` must list at least one "
                "{childFieldName, parentFieldName} pair.",
                where,
                fix='Add "relationFieldMappings": '
                '[{"childFieldName": ..., "parentFieldName": ...}].',
            )
            continue
        if len(mappings) > 1:
            reader.problem(
                "Only one field mapping per relation is supported.",
                where,
                fix="Keep the first mapping.",
            )
        child_field = reader.string(mappings[0], "childFieldName", where)
        parent_field = reader.string(mappings[0], "parentFieldName", where)
        editable = reader.flag(item, "isEditable", where, False)
        result.append(
            RelationDefinition(name, kind, target_alias, child_field, parent_field, editable)
        )
    return result


def parse_entries(data: Any) -> list[EntityConfiguration]:
    """Read an installer file's content (a JSON array of entries), reporting every problem."""
    if not isinstance(data, list):
        raise ConfigurationError([Problem("<file>", "The file must hold a JSON array of entries.")])
    problems: list[Problem] = []
    result: list[EntityConfiguration] = []
    for entry in data:
        try:
            result.append(parse_entry(entry))
        except ConfigurationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigurationError(problems)
    return result


def definition_to_dict(definition: EntityDefinition) -> dict[str, Any]:
    """The definition as stored and exported: Spryker's keys, dexgate's additions when set."""
    data: dict[str, Any] = {"identifier": definition.identifier}
    if definition.is_deletable:
        data["isDeletable"] = True
    if definition.graphql_name:
        data["graphqlName"] = definition.graphql_name
    data["fields"] = [_field_to_dict(f) for f in definition.fields]
    return data


def _field_to_dict(f: FieldDefinition) -> dict[str, Any]:
    v = f.validation
    validation: dict[str, Any] = {"isRequired": v.is_required}
    for key, value in (
        ("min", v.min),
        ("max", v.max),
        ("minLength", v.min_length),
        ("maxLength", v.max_length),
        ("precision", v.precision),
        ("scale", v.scale),
        ("pattern", v.pattern),
    ):
        if value is not None:
            validation[key] = value
    if v.enum is not None:
        validation["enum"] = list(v.enum)
    if v.constraints:
        validation["constraints"] = [{"name": c} for c in v.constraints]
    data: dict[str, Any] = {
        "fieldName": f.field_name,
        "fieldVisibleName": f.visible_name,
        "type": f.type,
        "isCreatable": f.is_creatable,
        "isEditable": f.is_editable,
        "validation": validation,
    }
    if f.transformations:
        data["transformations"] = [
            {"name": t.name, "value": t.value} if t.name == "default" else t.name
            for t in f.transformations
        ]
    for key, value in (
        ("description", f.description),
        ("examples", f.examples),
        ("enumValues", f.enum_values),
    ):
        if value is not None:
            data[key] = value
    return data


def relation_to_dict(relation: RelationDefinition) -> dict[str, Any]:
    target_key = (
        "childDynamicEntityConfiguration"
        if relation.kind == "hasMany"
        else "parentDynamicEntityConfiguration"
    )
    return {
        "name": relation.name,
        "isEditable": relation.is_editable,
        target_key: {"tableAlias": relation.target},
        "relationFieldMappings": [
            {"childFieldName": relation.child_field, "parentFieldName": relation.parent_field}
        ],
    }


def entry_to_dict(config: EntityConfiguration) -> dict[str, Any]:
    """One installer entry, the inverse of :func:`parse_entry` (``changeFeed`` only when on,
    so that an entry without dexgate's additions reads as Spryker's)."""
    entry: dict[str, Any] = {
        "tableName": config.table_name,
        "tableAlias": config.alias,
        "isActive": config.is_active,
    }
    if config.change_feed:
        entry["changeFeed"] = True
    entry["definition"] = definition_to_dict(config.definition)
    entry["childRelations"] = [relation_to_dict(r) for r in config.relations if r.kind == "hasMany"]
    entry["parentRelations"] = [
        relation_to_dict(r) for r in config.relations if r.kind == "belongsTo"
    ]
    return entry


def field_by_column(definition: EntityDefinition, column: str) -> FieldDefinition | None:
    return next((f for f in definition.fields if f.field_name == column), None)
