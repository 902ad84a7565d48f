"""JSON Schemas of field values, and the parameters of the REST operations, for OpenAPI.

A field's JSON type follows its dexgate type (decimals are strings, dates ISO 8601 strings,
``json`` any value); write schemas carry its validation rules, and describe the rules JSON
Schema cannot state (precision and scale, the url constraint, transformations).
"""

from __future__ import annotations

import json
from typing import Any

from schema_builder.catalog import Entity, Field
from schema_builder.operations.filters import MAX_IN_VALUES, OPERATORS, ORDERING
from schema_builder.operations.ir import MAX_OFFSET
from schema_builder.operations.values import DECIMAL_PATTERN

JSON = dict[str, Any]
TRANSACTIONAL_HEADER = "X-Is-Transactional"

_OPERATOR_MEANINGS = {
    "eq": "equal to",
    "ne": "not equal to",
    "gt": "greater than",
    "gte": "greater than or equal to",
    "lt": "less than",
    "lte": "less than or equal to",
    "in": f"one of a list (at most {MAX_IN_VALUES} values)",
    "like": "matching an SQL LIKE pattern (`%`, `_` wildcards; case-sensitive; strings only)",
    "isNull": "null (`true`) or not null (`false`)",
}
_JSON_TYPES = {"integer": "integer", "float": "number", "boolean": "boolean"}
_FORMATS = {"date": "date", "datetime": "date-time"}
_SAMPLES: dict[str, tuple[str, JSON]] = {
    "integer": ("1", {"in": [1, 2, 3]}),
    "float": ("1.5", {"gte": 1, "lt": 2.5}),
    "decimal": ("19.99", {"gte": "10.00", "lt": "20.00"}),
    "string": ("text", {"like": "A%"}),
    "boolean": ("true", {"isNull": False}),
    "date": ("2024-01-31", {"gte": "2024-01-01", "lt": "2025-01-01"}),
    "datetime": ("2024-01-31T12:00:00", {"gte": "2024-01-01T00:00:00"}),
}


def value_schema(f: Field) -> JSON:
    """The JSON type of a field's values, without its rules."""
    if f.type in _JSON_TYPES:
        return {"type": _JSON_TYPES[f.type]}
    if f.type == "decimal":
        return {"type": "string", "pattern": DECIMAL_PATTERN.pattern}
    if f.type in _FORMATS:
        return {"type": "string", "format": _FORMATS[f.type]}
    if f.type == "json":
        return {}
    return {"type": "string"}


def field_schema(f: Field, *, nullable: bool = False, rules: bool = False) -> JSON:
    """The JSON Schema of a field's values; with ``rules``, its validation rules too (those
    JSON Schema cannot state are described)."""
    schema = value_schema(f)
    notes: list[str] = []
    if f.definition.description:
        notes.append(f.definition.description)
    if rules:
        notes.extend(_apply_rules(f, schema))
    if nullable and "type" in schema:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"].append(None)
    if f.type == "json":
        notes.append("Any JSON value.")
    if notes:
        schema["description"] = " ".join(notes)
    return schema


def _apply_rules(f: Field, schema: JSON) -> list[str]:
    v = f.definition.validation
    notes: list[str] = []
    if f.type in ("integer", "float"):
        if v.min is not None:
            schema["minimum"] = v.min
        if v.max is not None:
            schema["maximum"] = v.max
    if f.type == "decimal":
        notes.append("A decimal number as a string (a JSON number is accepted too).")
        if v.precision is not None:
            notes.append(f"At most {v.precision} digits, {v.scale or 0} after the point.")
        if v.min is not None:
            notes.append(f"At least {v.min}.")
        if v.max is not None:
            notes.append(f"At most {v.max}.")
    if f.type == "string":
        max_length = _smallest(v.max_length, f.column_length)
        if v.min_length is not None:
            schema["minLength"] = v.min_length
        if max_length is not None:
            schema["maxLength"] = max_length
        if v.pattern is not None:
            schema["pattern"] = v.pattern
        if "url" in v.constraints:
            notes.append("A relative URL starting with `/` (`1316` otherwise).")
    if v.enum is not None:
        schema["enum"] = [str(e) if f.type == "decimal" else e for e in v.enum]
    changes = [t.name for t in f.definition.transformations if t.name != "default"]
    if changes:
        notes.append(f"Transformed before validation: {', '.join(changes)}.")
    return notes


def _smallest(*limits: int | None) -> int | None:
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None


def operators_for(f: Field) -> list[str]:
    """The operators the REST layer accepts for the field, in OPERATORS' order."""
    return [
        name
        for name in OPERATORS
        if not (f.type == "boolean" and name in ORDERING)
        and not (name == "like" and f.type != "string")
    ]


def filter_parameter(alias: str, f: Field) -> JSON:
    """``filter[alias.field]``: a value to equal, or a JSON object of operators."""
    plain, operators = _SAMPLES.get(f.type, _SAMPLES["string"])
    listed = ", ".join(f"`{op}`" for op in operators_for(f))
    return {
        "name": f"filter[{alias}.{f.name}]",
        "in": "query",
        "description": f"Rows whose `{f.name}` equals the value, or that match a JSON object of "
        f"operators, all of which must hold: {listed}.",
        "schema": {"type": "string"},
        "examples": {
            "value": {"summary": "equal to a value", "value": plain},
            "operators": {"summary": "JSON object of operators", "value": json.dumps(operators)},
        },
    }


def sort_parameter(entity: Entity) -> JSON:
    """``sort``: the fields, each ascending or (``-field``) descending."""
    keys = [f.name for f in entity.fields if f.type != "json"]
    return {
        "name": "sort",
        "in": "query",
        "description": "Sort keys, comma-separated; `-` before a field sorts descending. "
        "Rows are then ordered by the identifier.",
        "style": "form",
        "explode": False,
        "schema": {
            "type": "array",
            "items": {"type": "string", "enum": [*keys, *(f"-{k}" for k in keys)]},
        },
        "example": [keys[-1], f"-{keys[0]}"] if keys else [],
    }


def operator_table() -> str:
    """The operators of ``filter[...]`` as a Markdown table."""
    rows = "\n".join(f"| `{op}` | {_OPERATOR_MEANINGS.get(op, op)} |" for op in OPERATORS)
    return (
        "\n\nA `filter[<alias>.<field>]` value is compared for equality, unless it is a JSON "
        'object of operators such as `{"in": [1, 2]}` or `{"gte": 1, "lt": 10}`:\n\n'
        f"| operator | rows whose field is |\n|---|---|\n{rows}"
    )


def shared_parameters(max_page_size: int, default_page_size: int) -> JSON:
    """``components.parameters``: paging, ``count`` and the transactional header."""
    return {
        "pageOffset": {
            "name": "page[offset]",
            "in": "query",
            "description": "Rows to skip. Applied only together with `page[limit]`.",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        },
        "pageLimit": {
            "name": "page[limit]",
            "in": "query",
            "description": "Rows per page, at most the maximum page size (`DX103` above "
            "it). Applied only together with `page[offset]`; without both, the first "
            f"{default_page_size} rows are served.",
            "schema": {"type": "integer", "minimum": 0, "maximum": max_page_size},
        },
        "count": {
            "name": "count",
            "in": "query",
            "description": "`true` adds `meta.totalCount` and an `X-Total-Count` header: "
            "the number of rows matching the filters.",
            "schema": {"type": "boolean", "default": False},
        },
        "aggregate": {
            "name": "aggregate",
            "in": "query",
            "description": "Aggregates instead of rows (see `Aggregates`): "
            "`aggregate[count]=*` counts the rows, `aggregate[FUNCTION]=field,field` applies "
            "`count`, `countDistinct`, `sum`, `avg`, `min` or `max` to the fields. `filter[...]` "
            "selects the rows first; `sort` then orders groups by keys and aggregates "
            "(`-sum.price`); `page[limit]` and `page[offset]` page the groups, each applied "
            "alone. Without `groupBy[]`, one object answers for the whole filtered set.",
            "style": "deepObject",
            "explode": True,
            "schema": {
                "type": "object",
                "properties": {
                    name: {"type": "string"}
                    for name in ("count", "countDistinct", "sum", "avg", "min", "max")
                },
                "additionalProperties": False,
            },
            "example": {"count": "*", "sum": "price"},
        },
        "groupBy": {
            "name": "groupBy[]",
            "in": "query",
            "description": "Group keys for aggregates: a field, or `BUCKET(field)` of a date or "
            "timestamp field with BUCKET one of `year` (2026), `quarter` (`2026-Q1`), `month` "
            "(`2026-03`), `week` (ISO, `2026-W09`), `day` (`2026-03-01`), `hour` "
            "(`2026-03-01T14`), in UTC. Each group's object holds its keys under the "
            "expressions as written. More groups than the maximum page size without "
            "`page[limit]`: `DX153`.",
            "style": "form",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "string"}},
            "example": ["category_id", "month(created_at)"],
        },
        "having": {
            "name": "having",
            "in": "query",
            "description": "Conditions on the groups' aggregates, as `filter[...]` takes them: "
            '`having[sum.price]={"gt":100}`, `having[count]=3`.',
            "style": "deepObject",
            "explode": True,
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "transactional": {
            "name": TRANSACTIONAL_HEADER,
            "in": "header",
            "description": "`true` (the default): every item is saved or none is. "
            "`false`: the items that can be saved are, and the answer lists the others "
            "under `errors`.",
            "schema": {"type": "boolean", "default": True},
        },
    }
