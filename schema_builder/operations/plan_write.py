"""Planning a write: every item checked against the entity's rules before any SQL runs.

The checks follow Spryker's order per item: editable relation (1314) and known relation (1313),
known fields (1311), required fields (1307), types and rules (1305/1306/1316), immutable fields
(1304). Every error of every item is collected, with Spryker's error paths
(``countries[1].tax-rates[0]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema_builder.catalog import Catalog, Entity, Relation
from schema_builder.errors import (
    DexgateError,
    EntityNotFoundError,
    ImmutableFieldError,
    InvalidDataFormatError,
    InvalidFieldValueError,
    MissingIdentifierError,
    RelationNotEditableError,
    RelationNotFoundError,
    RequiredFieldMissingError,
    UnknownFieldError,
)
from schema_builder.operations.ir import WriteMode
from schema_builder.operations.values import check_value, filter_value

_MISSING = object()


@dataclass(eq=False)
class Item:
    """One row to write, with its children. ``key`` is the identifier value when one was sent;
    ``sent`` names the entity's fields the client sent for it."""

    entity: Entity
    path: str
    index: int
    values: dict[str, Any]
    key: Any = None
    has_key: bool = False
    link_column: str | None = None
    children: list[tuple[Relation, list[Item]]] = field(default_factory=list)
    saved: dict[str, Any] | None = None
    saved_row: Any = None
    sent: frozenset[str] = frozenset()


@dataclass(eq=False)
class Plan:
    items: list[Item]
    errors: dict[int, list[DexgateError]]

    @property
    def all_errors(self) -> list[DexgateError]:
        return [e for index in sorted(self.errors) for e in self.errors[index]]


def plan_write(
    catalog: Catalog, entity: Entity, raw_items: Any, mode: WriteMode, url_id: Any = None
) -> Plan:
    """Check every item; raise 1301 when the body is not a list of objects."""
    if not isinstance(raw_items, list) or not raw_items:
        raise InvalidDataFormatError()
    if any(not isinstance(raw, dict) for raw in raw_items):
        raise InvalidDataFormatError()
    items: list[Item] = []
    errors: dict[int, list[DexgateError]] = {}
    for index, raw in enumerate(raw_items):
        path = f"{entity.alias}[{index}]"
        item, item_errors = _plan_item(catalog, entity, raw, path, index, mode, None, url_id)
        items.append(item)
        if item_errors:
            errors[index] = item_errors
    return Plan(items, errors)


def _plan_item(
    catalog: Catalog,
    entity: Entity,
    raw: dict[str, Any],
    path: str,
    index: int,
    mode: WriteMode,
    link_column: str | None,
    url_id: Any,
) -> tuple[Item, list[DexgateError]]:
    errors: list[DexgateError] = []
    scalars: dict[str, Any] = {}
    relation_items: list[tuple[Relation, list[Any]]] = []
    for key, value in raw.items():
        field_ = entity.by_name.get(key)
        if isinstance(value, list) and not (field_ is not None and field_.type == "json"):
            relation = entity.relations.get(key)
            if relation is None:
                errors.append(RelationNotFoundError(key))
            elif not relation.is_editable or not relation.many:
                errors.append(RelationNotEditableError(key))
            else:
                relation_items.append((relation, value))
            continue
        scalars[key] = value
    for key in scalars:
        if key != "identifier" and key not in entity.by_name:
            errors.append(UnknownFieldError(path, key))

    identifier = entity.identifier
    key_value: Any = _MISSING
    key_from_body_name = False
    if mode != "create":
        if url_id is not None:
            key_value = url_id
        elif scalars.get("identifier") is not None:
            key_value = scalars["identifier"]
        elif scalars.get(identifier.name) is not None:
            key_value = scalars[identifier.name]
            key_from_body_name = True
    has_key = key_value is not _MISSING
    typed_key: Any = None
    if has_key:
        try:
            typed_key = filter_value(identifier, key_value, entity.alias)
        except DexgateError:
            if mode == "update":
                errors.append(EntityNotFoundError(path))
            else:
                errors.append(
                    InvalidFieldValueError(path, identifier.name, "a valid identifier value")
                )
    elif mode == "update":
        errors.append(MissingIdentifierError(path))

    present = {k: v for k, v in scalars.items() if k in entity.by_name}
    for f in entity.fields:
        for transformation in f.definition.transformations:
            value = present.get(f.name, _MISSING)
            if transformation.name == "default":
                if mode == "create" and value is _MISSING:
                    present[f.name] = transformation.value
            elif isinstance(value, str):
                present[f.name] = _transform(transformation.name, value)

    if mode in ("create", "upsert"):
        for f in entity.fields:
            if (
                f.definition.validation.is_required
                and present.get(f.name) is None
                and f.column_name != link_column
                and not (f is identifier and has_key)
            ):
                errors.append(RequiredFieldMissingError(path, f.name))

    values: dict[str, Any] = {}
    for name, value in present.items():
        f = entity.by_name[name]
        if value is None:
            if mode != "create":
                values[f.column_name] = None
            continue
        typed, problems = check_value(f, value, path)
        errors.extend(problems)
        if not problems:
            values[f.column_name] = typed

    for name, value in present.items():
        f = entity.by_name[name]
        if mode == "create":
            if value is not None and not f.definition.is_creatable:
                errors.append(ImmutableFieldError(path, name))
            continue
        if f is identifier and has_key:
            same = key_from_body_name or values.get(f.column_name, _MISSING) == typed_key
            if same:
                values.pop(f.column_name, None)
                continue
        if not f.definition.is_editable:
            errors.append(ImmutableFieldError(path, name))

    item = Item(entity, path, index, values, typed_key, has_key, link_column)
    item.sent = frozenset(k for k in scalars if k in entity.by_name)
    for relation, raw_children in relation_items:
        target = catalog.entities[relation.target]
        children: list[Item] = []
        for child_index, raw_child in enumerate(raw_children):
            child_path = f"{path}.{target.alias}[{child_index}]"
            if not isinstance(raw_child, dict):
                errors.append(InvalidDataFormatError())
                continue
            child, child_errors = _plan_item(
                catalog, target, raw_child, child_path, child_index, mode, relation.remote, None
            )
            errors.extend(child_errors)
            children.append(child)
        item.children.append((relation, children))
    return item, errors


def _transform(name: str, value: str) -> str:
    if name == "trim":
        return value.strip()
    if name == "lowercase":
        return value.lower()
    if name == "uppercase":
        return value.upper()
    return value
