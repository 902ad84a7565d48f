"""The entity editor's form: a configuration as rows of inputs, and submitted rows back.

:func:`form_of` lays a configuration out as one row per column of its table (configured
columns first, the table's other columns after them, not included) and one row per
relationship, plus an empty one to add a relationship. :func:`read_form` reads the submitted
rows back, keeping every value as typed so a refused form shows what the admin entered, and
:func:`to_configuration` turns them into an installer entry read by
:func:`~schema_builder.definition.parse_entry`, so the Back Office accepts exactly what
``dexgate entities apply`` accepts. Every problem, the form's own (a minimum that is not a
number) and the definition's, is keyed by the input it concerns (:func:`problem_key`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from app.admin.forms import FieldErrors, Form
from schema_builder.definition import (
    FIELD_TYPES,
    EntityConfiguration,
    FieldDefinition,
    RelationDefinition,
    RelationKind,
    parse_entry,
    relation_to_dict,
)
from schema_builder.errors import ConfigurationError, Problem
from schema_builder.reflection import prefill

MAX_ROWS = 1000
RELATION_KINDS = (("hasMany", "has many"), ("belongsTo", "belongs to"))
ENTITY_ERRORS = "entity"
_NUMBER_RULES = ("min", "max")
_COUNT_RULES = ("min_length", "max_length", "precision", "scale")
_RULE_KEYS = {
    "min": "min",
    "max": "max",
    "min_length": "minLength",
    "max_length": "maxLength",
    "precision": "precision",
    "scale": "scale",
}
_TRANSFORMS = ("trim", "lowercase", "uppercase")


@dataclass(slots=True)
class FieldRow:
    """One column of the table and, when included, its field; every value as typed."""

    column: str
    column_type: str = ""
    include: bool = False
    name: str = ""
    type: str = "string"
    creatable: bool = False
    editable: bool = False
    required: bool = False
    min: str = ""
    max: str = ""
    min_length: str = ""
    max_length: str = ""
    precision: str = ""
    scale: str = ""
    pattern: str = ""
    enum: str = ""
    url: bool = False
    trim: bool = False
    lowercase: bool = False
    uppercase: bool = False
    default: str = ""
    kept: dict[str, Any] = field(default_factory=dict)

    @property
    def has_rules(self) -> bool:
        texts = (self.min, self.max, self.min_length, self.max_length, self.precision)
        more = (self.scale, self.pattern, self.enum, self.default)
        flags = (self.url, self.trim, self.lowercase, self.uppercase)
        return any(texts) or any(more) or any(flags)


@dataclass(slots=True)
class RelationRow:
    name: str = ""
    kind: str = "hasMany"
    target: str = ""
    child_field: str = ""
    parent_field: str = ""
    editable: bool = False
    remove: bool = False

    @property
    def blank(self) -> bool:
        return not (self.name or self.target or self.child_field or self.parent_field)


@dataclass(slots=True)
class EntityForm:
    table: str
    alias: str
    identifier: str
    deletable: bool = False
    graphql_name: str = ""
    active: bool = False
    change_feed: bool = False
    fields: list[FieldRow] = field(default_factory=list)
    relations: list[RelationRow] = field(default_factory=list)


def form_of(config: EntityConfiguration, table: sa.Table | None) -> EntityForm:
    """The form showing ``config``, with rows for the table's columns it leaves out."""
    definition = config.definition
    rows = [_row_of(f, _column_type(table, f.field_name)) for f in definition.fields]
    if table is not None:
        configured = {f.field_name for f in definition.fields}
        for f in prefill(table).definition.fields:
            if f.field_name not in configured:
                row = _row_of(f, _column_type(table, f.field_name))
                row.include = False
                rows.append(row)
    return EntityForm(
        table=config.table_name,
        alias=config.alias,
        identifier=definition.identifier,
        deletable=definition.is_deletable,
        graphql_name=definition.graphql_name or "",
        active=config.is_active,
        change_feed=config.change_feed,
        fields=rows,
        relations=[*(_relation_row(r) for r in config.relations), RelationRow()],
    )


def column_types_of(table: sa.Table | None) -> dict[str, str]:
    """Each column's database type as shown beside its row (``NOT NULL`` when it is)."""
    return {} if table is None else {c.name: _column_type(table, c.name) for c in table.columns}


def _column_type(table: sa.Table | None, column: str) -> str:
    if table is None or column not in table.c:
        return ""
    c = table.c[column]
    try:
        described = str(c.type.compile())
    except sa.exc.CompileError:
        described = type(c.type).__name__.upper()
    return described + ("" if c.nullable else " NOT NULL")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _literal(value: object) -> str:
    """A rule value as an admin types it: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _row_of(f: FieldDefinition, column_type: str) -> FieldRow:
    v = f.validation
    names = {t.name for t in f.transformations}
    default = next((t.value for t in f.transformations if t.name == "default"), None)
    kept = {
        key: value
        for key, value in (
            ("description", f.description),
            ("examples", f.examples),
            ("enumValues", f.enum_values),
        )
        if value is not None
    }
    return FieldRow(
        column=f.field_name,
        column_type=column_type,
        include=True,
        name=f.visible_name,
        type=f.type,
        creatable=f.is_creatable,
        editable=f.is_editable,
        required=v.is_required,
        min=_text(v.min),
        max=_text(v.max),
        min_length=_text(v.min_length),
        max_length=_text(v.max_length),
        precision=_text(v.precision),
        scale=_text(v.scale),
        pattern=v.pattern or "",
        enum=", ".join(_literal(e) for e in v.enum) if v.enum is not None else "",
        url="url" in v.constraints,
        trim="trim" in names,
        lowercase="lowercase" in names,
        uppercase="uppercase" in names,
        default="" if default is None else _literal(default),
        kept=kept,
    )


def _relation_row(r: RelationDefinition) -> RelationRow:
    return RelationRow(r.name, r.kind, r.target, r.child_field, r.parent_field, r.is_editable)


def read_form(form: Form, table: str, alias: str, column_types: Mapping[str, str]) -> EntityForm:
    """The rows as submitted; ``kept`` values come back from the stored configuration."""
    rows: list[FieldRow] = []
    for i in range(_count(form, "field_count")):
        p = f"field-{i}-"
        column = form.text(p + "column")
        if not column:
            continue
        rows.append(
            FieldRow(
                column=column,
                column_type=column_types.get(column, ""),
                include=_on(form, p + "include"),
                name=form.text(p + "name").strip(),
                type=form.text(p + "type"),
                creatable=_on(form, p + "creatable"),
                editable=_on(form, p + "editable"),
                required=_on(form, p + "required"),
                min=form.text(p + "min").strip(),
                max=form.text(p + "max").strip(),
                min_length=form.text(p + "min_length").strip(),
                max_length=form.text(p + "max_length").strip(),
                precision=form.text(p + "precision").strip(),
                scale=form.text(p + "scale").strip(),
                pattern=form.text(p + "pattern"),
                enum=form.text(p + "enum").strip(),
                url=_on(form, p + "url"),
                trim=_on(form, p + "trim"),
                lowercase=_on(form, p + "lowercase"),
                uppercase=_on(form, p + "uppercase"),
                default=form.text(p + "default"),
            )
        )
    relations = []
    for i in range(_count(form, "relation_count")):
        p = f"relation-{i}-"
        relations.append(
            RelationRow(
                name=form.text(p + "name").strip(),
                kind=form.text(p + "kind"),
                target=form.text(p + "target"),
                child_field=form.text(p + "child_field").strip(),
                parent_field=form.text(p + "parent_field").strip(),
                editable=_on(form, p + "editable"),
                remove=_on(form, p + "remove"),
            )
        )
    return EntityForm(
        table=table,
        alias=alias,
        identifier=form.text("identifier"),
        deletable=_on(form, "deletable"),
        graphql_name=form.text("graphql_name").strip(),
        active=_on(form, "active"),
        change_feed=_on(form, "change_feed"),
        fields=rows,
        relations=relations,
    )


def _on(form: Form, name: str) -> bool:
    return form.text(name) != ""


def _count(form: Form, name: str) -> int:
    text = form.text(name)
    return min(int(text), MAX_ROWS) if text.isdigit() else 0


def keep_stored(rows: Iterable[FieldRow], stored: EntityConfiguration) -> None:
    """Give each row the stored (or pre-filled) field's properties the form does not show
    (description, examples, enumValues), so saving the form does not drop them."""
    by_column = {f.field_name: _row_of(f, "").kept for f in stored.definition.fields}
    for row in rows:
        row.kept = by_column.get(row.column, {})


def to_configuration(entity: EntityForm) -> tuple[EntityConfiguration | None, FieldErrors]:
    """The configuration the form describes, or the problems keyed by input name."""
    errors = FieldErrors()
    fields = [_field_entry(i, row, errors) for i, row in enumerate(entity.fields) if row.include]
    if not fields:
        errors["fields"] = "Include at least one column."
    relations = [(i, r) for i, r in enumerate(entity.relations) if not r.remove and not r.blank]
    for i, r in relations:
        if r.kind not in dict(RELATION_KINDS):
            errors[f"relation-{i}"] = "Choose whether it has many or belongs to."
    if errors:
        return None, errors
    definition: dict[str, Any] = {
        "identifier": entity.identifier,
        "isDeletable": entity.deletable,
        "fields": fields,
    }
    if entity.graphql_name:
        definition["graphqlName"] = entity.graphql_name
    entry = {
        "tableName": entity.table,
        "tableAlias": entity.alias,
        "isActive": entity.active,
        "changeFeed": entity.change_feed,
        "definition": definition,
        "childRelations": [_relation_entry(r) for _, r in relations if r.kind == "hasMany"],
        "parentRelations": [_relation_entry(r) for _, r in relations if r.kind == "belongsTo"],
    }
    try:
        return parse_entry(entry), errors
    except ConfigurationError as exc:
        add_problems(errors, entity, exc.problems)
        return None, errors


def _field_entry(index: int, row: FieldRow, errors: FieldErrors) -> dict[str, Any]:
    p = f"field-{index}-"
    if row.type not in FIELD_TYPES:
        errors[p + "type"] = f"Choose one of {', '.join(FIELD_TYPES)}."
    validation: dict[str, Any] = {"isRequired": row.required}
    for key in _NUMBER_RULES:
        text = getattr(row, key)
        if text:
            number = _number(text, integer=row.type == "integer")
            if number is None:
                integer = row.type == "integer"
                errors[p + key] = "Enter an integer." if integer else "Enter a number."
            else:
                validation[key] = number
    for key in _COUNT_RULES:
        text = getattr(row, key)
        if text:
            if not text.isdigit():
                errors[p + key] = "Enter a whole number, 0 or more."
            else:
                validation[_RULE_KEYS[key]] = int(text)
    if row.pattern:
        validation["pattern"] = row.pattern
    if row.enum:
        values = [_value(part.strip(), row.type) for part in row.enum.split(",")]
        if any(v is _INVALID for v in values) or any(v == "" for v in values):
            errors[p + "enum"] = f"List {row.type} values separated by commas."
        else:
            validation["enum"] = values
    if row.url:
        validation["constraints"] = [{"name": "url"}]
    transformations: list[Any] = [t for t in _TRANSFORMS if getattr(row, t)]
    if row.default:
        value = _value(row.default, row.type)
        if value is _INVALID:
            errors[p + "default"] = f"Enter a value of type {row.type}."
        else:
            transformations.append({"name": "default", "value": value})
    entry: dict[str, Any] = {
        "fieldName": row.column,
        "fieldVisibleName": row.name,
        "type": row.type,
        "isCreatable": row.creatable,
        "isEditable": row.editable,
        "validation": validation,
        **row.kept,
    }
    if transformations:
        entry["transformations"] = transformations
    return entry


def _relation_entry(r: RelationRow) -> dict[str, Any]:
    kind: RelationKind = "hasMany" if r.kind == "hasMany" else "belongsTo"
    relation = RelationDefinition(r.name, kind, r.target, r.child_field, r.parent_field)
    return relation_to_dict(replace(relation, is_editable=r.editable))


_INVALID = object()


def _number(text: str, *, integer: bool) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    if integer:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _value(text: str, kind: str) -> Any:
    """``text`` as a value of a field of type ``kind`` (as a client would send it)."""
    if kind == "integer":
        number = _number(text, integer=True)
        return _INVALID if number is None else number
    if kind == "float":
        number = _number(text, integer=False)
        return _INVALID if number is None else number
    if kind == "decimal":
        return text if _number(text, integer=False) is not None else _INVALID
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), _INVALID)
    if kind == "json":
        try:
            return json.loads(text)
        except ValueError:
            return _INVALID
    return text


def problem_key(problem: Problem, entity: EntityForm) -> str:
    """The name of the input (or the row) ``problem`` concerns; :data:`ENTITY_ERRORS` when it
    concerns the entity as a whole or another entity."""
    where = problem.field
    if problem.entity != entity.alias or where is None:
        return "alias" if "alias" in problem.message.lower() else ENTITY_ERRORS
    named = {"tableAlias": "alias", "identifier": "identifier", "graphqlName": "graphql_name"}
    if where in named:
        return named[where]
    included = [(i, row) for i, row in enumerate(entity.fields) if row.include]
    for position, (i, row) in enumerate(included):
        if where in (row.name, row.column, f"fields[{position}]"):
            return f"field-{i}"
    live = [(i, r) for i, r in enumerate(entity.relations) if not r.remove and not r.blank]
    for kind, key in (("hasMany", "childRelations"), ("belongsTo", "parentRelations")):
        of_kind = [(i, r) for i, r in live if r.kind == kind]
        for position, (i, r) in enumerate(of_kind):
            if where in (f"{key}[{position}]", f"relation {r.name}"):
                return f"relation-{i}"
    return ENTITY_ERRORS


def add_problems(errors: FieldErrors, entity: EntityForm, problems: Sequence[Problem]) -> None:
    """Record each problem under the input it concerns (several join in one message)."""
    for problem in problems:
        key = problem_key(problem, entity)
        text = problem.message if problem.fix is None else f"{problem.message} {problem.fix}"
        if key == ENTITY_ERRORS and problem.entity != entity.alias:
            text = f"{problem.entity}: {text}"
        errors[key] = f"{errors[key]} {text}" if key in errors else text


def with_blank_relation(entity: EntityForm) -> EntityForm:
    """``entity`` with an empty relationship row at the end (to add one)."""
    if entity.relations and entity.relations[-1].blank:
        return entity
    return replace(entity, relations=[*entity.relations, RelationRow()])
