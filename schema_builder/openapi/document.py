"""The OpenAPI 3.1 document of the REST API at ``/dynamic-entity``, generated from a catalog.

:func:`build_document` is a pure function of the catalog and :class:`OpenAPIOptions`: every
active entity the caller may read gets its paths and verbs (DELETE only when deletable), the
query parameters the REST layer reads, request bodies typed by the fields' rules, the success
bodies and every error code the operation can answer, in Spryker's error array shape.

Component schemas per entity, named after :mod:`schema_builder.graphql.names` (``Product`` for
``products``; a name taken twice gets a number):

| schema | what |
|---|---|
| ``Product`` | a row as read (with relationships when included) |
| ``ProductCreate`` | a POST item: creatable fields, required per ``isRequired`` |
| ``ProductUpdate`` | a PATCH item: editable fields and the identifier, nothing required |
| ``ProductUpsert`` | a PUT item: as PATCH, requiring ``isRequired`` and NOT NULL fields |
| ``ProductResponse``, ``ProductList``, ``ProductWriteResult`` | the bodies around them |

Nested rows of an editable hasMany relationship use the child's item schema, or, when the
column linking a child to its parent would be required, a copy without it named after the
relationship (``ProductStocksCreate`` for the ``stocks`` of a ``Product``).

Relationships to entities the caller may not read are left out, as those entities are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from schema_builder.catalog import Catalog, Entity, Field, Relation
from schema_builder.graphql.names import entity_names, pascal
from schema_builder.openapi import errors as openapi_errors
from schema_builder.openapi.change_feed import change_feed_path
from schema_builder.openapi.fields import (
    TRANSACTIONAL_HEADER,
    field_schema,
    filter_parameter,
    operator_table,
    shared_parameters,
    sort_parameter,
    value_schema,
)

JSON = dict[str, Any]
Mode = Literal["create", "update", "upsert"]
MODES: tuple[Mode, ...] = ("create", "update", "upsert")
_SUFFIXES: dict[Mode, str] = {"create": "Create", "update": "Update", "upsert": "Upsert"}
_ITEM_KINDS: dict[Mode, openapi_errors.OperationKind] = {
    "create": "create",
    "update": "update_one",
    "upsert": "upsert_one",
}
REF = "#/components/schemas/"
SHARED_SCHEMAS = ("Error", "Errors")
# Nested dotted include chains are listed this deep; deeper ones are accepted too.
INCLUDE_DEPTH = 2


@dataclass(frozen=True, slots=True)
class OpenAPIOptions:
    """What the document depends on besides the catalog.

    ``readable`` is the set of aliases the caller may read (``None``: every entity, as for an
    admin); ``max_page_size`` and ``default_page_size`` are the settings of the same names.
    """

    readable: frozenset[str] | None = None
    max_page_size: int = 1000
    default_page_size: int = 1000
    version: str = "0.1.0"
    title: str = "dexgate Data Exchange API"


@dataclass(frozen=True, slots=True)
class _Names:
    base: str
    plural: str

    def schema(self, suffix: str = "") -> str:
        return f"{self.base}{suffix}"

    def ref(self, suffix: str = "") -> JSON:
        return {"$ref": f"{REF}{self.base}{suffix}"}


_ENTITY_SUFFIXES = ("", "Create", "Update", "Upsert", "Response", "List", "WriteResult")


def build_document(catalog: Catalog, options: OpenAPIOptions | None = None) -> JSON:
    """The OpenAPI 3.1 document for ``catalog`` as a caller with ``options.readable`` sees it."""
    return _Builder(catalog, options or OpenAPIOptions()).document()


def render(document: Mapping[str, Any]) -> str:
    """The document as committed in ``docs/openapi.json``: indented, keys in build order."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class _Builder:
    def __init__(self, catalog: Catalog, options: OpenAPIOptions) -> None:
        self.catalog = catalog
        self.options = options
        self.entities = {
            alias: catalog.entities[alias]
            for alias in sorted(catalog.entities)
            if options.readable is None or alias in options.readable
        }
        self.schemas: JSON = {}
        self.taken: set[str] = set(SHARED_SCHEMAS)
        self.names = {alias: self._allocate(entity) for alias, entity in self.entities.items()}
        self.operation_ids: set[str] = set()
        self.errors: set[openapi_errors.ErrorClass] = set()
        # (parent alias, relationship, mode) → the schema of its nested items, when it differs
        self.variants: dict[tuple[str, str, Mode], str] = {}

    def _allocate(self, entity: Entity) -> _Names:
        derived = entity_names(entity.alias, entity.configuration.definition.graphql_name)
        plural = derived.create.removeprefix("create")
        base, number = derived.type, 1
        while any(f"{base}{suffix}" in self.taken for suffix in _ENTITY_SUFFIXES):
            number += 1
            base = f"{derived.type}{number}"
        self.taken.update(f"{base}{suffix}" for suffix in _ENTITY_SUFFIXES)
        return _Names(base, plural)

    def _unique(self, name: str, taken: set[str]) -> str:
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name}{number}"
        taken.add(candidate)
        return candidate

    def relations(self, entity: Entity) -> list[Relation]:
        """The entity's relationships to entities in the document."""
        return [r for r in entity.relations.values() if r.target in self.entities]

    # --- document ----------------------------------------------------------------------------

    def document(self) -> JSON:
        self.schemas.update(_shared_schemas())
        paths: JSON = {}
        for alias, entity in self.entities.items():
            self._entity_schemas(entity)
            paths[f"/dynamic-entity/{alias}"] = self._collection_path(entity)
            paths[f"/dynamic-entity/{alias}/{{id}}"] = self._item_path(entity)
            if entity.configuration.change_feed:
                paths[f"/change-feed/{alias}"] = change_feed_path(
                    entity,
                    self.names[alias].ref(),
                    self._operation_id(f"changesOf{self.names[alias].plural}"),
                    self._errors(entity, "change_feed"),
                )
        return {
            "openapi": "3.1.0",
            "info": {
                "title": self.options.title,
                "version": self.options.version,
                "description": _DESCRIPTION + operator_table(),
            },
            "security": [{name: []} for name in _SECURITY_SCHEMES],
            "tags": [{"name": alias} for alias in self.entities],
            "paths": paths,
            "components": {
                "schemas": self.schemas,
                "parameters": shared_parameters(
                    self.options.max_page_size, self.options.default_page_size
                ),
                "responses": openapi_errors.shared_responses(self.options.max_page_size),
                "examples": openapi_errors.examples(
                    {*self.errors, *openapi_errors.EVERY}, self.options.max_page_size
                ),
                "securitySchemes": _SECURITY_SCHEMES,
            },
        }

    def _operation_id(self, name: str) -> str:
        return self._unique(name, self.operation_ids)

    # --- schemas -----------------------------------------------------------------------------

    def _entity_schemas(self, entity: Entity) -> None:
        names = self.names[entity.alias]
        self.schemas[names.schema()] = self._row_schema(entity)
        for mode in MODES:
            self.schemas[names.schema(_SUFFIXES[mode])] = self._write_schema(entity, mode, None)
        self.schemas[names.schema("Response")] = _envelope(names.ref(), "The row.")
        page = _envelope({"type": "array", "items": names.ref()}, "The rows of the page.")
        page["properties"]["meta"] = {
            "type": "object",
            "description": "With `count=true`: the number of rows matching the filters.",
            "properties": {"totalCount": {"type": "integer", "minimum": 0}},
            "required": ["totalCount"],
        }
        self.schemas[names.schema("List")] = page
        result = _envelope({"type": "array", "items": names.ref()}, "The rows saved.")
        result["properties"]["errors"] = {
            "$ref": f"{REF}Errors",
            "description": f"With `{TRANSACTIONAL_HEADER}: false`: the items not saved.",
        }
        self.schemas[names.schema("WriteResult")] = result

    def _row_schema(self, entity: Entity) -> JSON:
        properties: JSON = {}
        for f in entity.fields:
            schema = field_schema(
                f, nullable=bool(f.column.nullable) and f is not entity.identifier
            )
            if not (f.definition.is_creatable or f.definition.is_editable):
                schema["readOnly"] = True
            properties[f.name] = schema
        for relation in self.relations(entity):
            target = self.names[relation.target].ref()
            many = relation.many
            properties[relation.name] = {
                **({"type": "array", "items": target} if many else target),
                "description": f"With `include={relation.name}`: the related "
                + ("rows" if many else "row")
                + " (absent when there are none).",
            }
        return {
            "type": "object",
            "properties": properties,
            "required": [f.name for f in entity.fields],
        }

    def _write_schema(self, entity: Entity, mode: Mode, link_column: str | None) -> JSON:
        """An item of a write body; ``link_column`` is set by the parent of a nested item."""
        identifier = entity.identifier
        properties: JSON = {}
        required: list[str] = []
        for f in entity.fields:
            writable = f.definition.is_creatable if mode == "create" else f.definition.is_editable
            keyed = mode != "create" and f is identifier
            if not (writable or keyed):
                continue
            v = f.definition.validation
            # An update or replace cannot set a NOT NULL column to null (DX107).
            not_null = mode != "create" and not f.column.nullable
            schema = field_schema(f, nullable=not (v.is_required or keyed or not_null), rules=True)
            default = next((t for t in f.definition.transformations if t.name == "default"), None)
            if mode == "create" and default is not None:
                schema["default"] = default.value
            elif not keyed and f.column_name != link_column and _required(f, mode):
                required.append(f.name)
            if keyed and not writable:
                schema["description"] = "The identifier of the row to write (not changed)."
            properties[f.name] = schema
        if mode != "create" and identifier.name != "identifier":
            key = field_schema(identifier)
            key["description"] = f"Another name for `{identifier.name}`."
            properties["identifier"] = key
        for relation in self.relations(entity):
            if relation.many and relation.is_editable:
                properties[relation.name] = self._nested(entity, relation, mode)
        item: JSON = {"type": "object", "properties": properties}
        if required:
            item["required"] = required
        item["additionalProperties"] = False
        return item

    def _nested(self, entity: Entity, relation: Relation, mode: Mode) -> JSON:
        """Children written with their parent: the child's item schema, without the column
        that links it to the parent when that one is required (the parent sets it)."""
        target = self.catalog.entities[relation.target]
        names = self.names[relation.target]
        suffix = _SUFFIXES[mode]
        item = names.ref(suffix)
        linked = target.by_column.get(relation.remote)
        if linked is not None and _required(linked, mode):
            key = (entity.alias, relation.name, mode)
            name = self.variants.get(key)
            if name is None:
                parent = self.names[entity.alias].base
                name = self._unique(f"{parent}{pascal([relation.name])}{suffix}", self.taken)
                self.variants[key] = name  # before building: relationships may form a cycle
                self.schemas[name] = self._write_schema(target, mode, relation.remote)
            item = {"$ref": f"{REF}{name}"}
        elif mode == "update":
            item = _keyed(item, target)
        return {
            "type": "array",
            "items": item,
            "description": f"`{relation.target}` rows written with this one, linked to it "
            f"through `{relation.remote}`.",
        }

    # --- parameters --------------------------------------------------------------------------

    def _filters(self, entity: Entity) -> list[JSON]:
        return [filter_parameter(entity.alias, f) for f in entity.fields if f.type != "json"]

    def _include(self, entity: Entity) -> JSON | None:
        chains = self._chains(entity, INCLUDE_DEPTH)
        if not chains:
            return None
        return {
            "name": "include",
            "in": "query",
            "description": "Relationships to nest in each row, comma-separated; a dotted "
            "chain includes the relationships of related rows (these are listed "
            f"{INCLUDE_DEPTH} levels deep; deeper chains are accepted too). Needs `read` on "
            "every entity included.",
            "style": "form",
            "explode": False,
            "schema": {"type": "array", "items": {"type": "string", "enum": chains}},
        }

    def _chains(self, entity: Entity, depth: int) -> list[str]:
        chains: list[str] = []
        for relation in self.relations(entity):
            chains.append(relation.name)
            if depth > 1:
                target = self.catalog.entities[relation.target]
                chains.extend(f"{relation.name}.{c}" for c in self._chains(target, depth - 1))
        return chains

    def _id_parameter(self, entity: Entity) -> JSON:
        return {
            "name": "id",
            "in": "path",
            "required": True,
            "description": f"The value of the identifier `{entity.identifier.name}`.",
            "schema": value_schema(entity.identifier),
        }

    # --- paths -------------------------------------------------------------------------------

    def _collection_path(self, entity: Entity) -> JSON:
        alias, names = entity.alias, self.names[entity.alias]
        include = self._include(entity)
        listing: JSON = {
            "tags": [alias],
            "summary": f"List {alias}",
            "operationId": self._operation_id(f"list{names.plural}"),
            "parameters": [
                _shared("pageOffset"),
                _shared("pageLimit"),
                *self._filters(entity),
                sort_parameter(entity),
                *([include] if include else []),
                _shared("count"),
                _shared("aggregate"),
                _shared("groupBy"),
                _shared("having"),
            ],
            "responses": {
                "200": {
                    "description": "The page of rows, ordered by `sort`, then by identifier; "
                    "with `aggregate[...]`, the aggregates.",
                    "headers": {
                        "X-Total-Count": {
                            "description": "With `count=true`: the number of matching rows.",
                            "schema": {"type": "integer"},
                        }
                    },
                    "content": _json_content(
                        {"anyOf": [names.ref("List"), {"$ref": f"{REF}Aggregates"}]}
                    ),
                },
                **self._errors(entity, "list"),
            },
        }
        path: JSON = {"get": listing}
        path["post"] = self._write_operation(entity, "create", "201", item=False)
        path["patch"] = self._write_operation(entity, "update", "200", item=False)
        path["put"] = self._write_operation(entity, "upsert", "200", item=False)
        if entity.is_deletable:
            path["delete"] = {
                "tags": [alias],
                "summary": f"Delete the {alias} matching the filters",
                "description": "At least one filter is needed (`DX104` otherwise). Rows that "
                "other rows refer to are reported (`1317`); the others are deleted.",
                "operationId": self._operation_id(f"delete{names.plural}"),
                "parameters": self._filters(entity),
                "responses": {
                    "204": {"description": "Deleted."},
                    **self._errors(entity, "delete"),
                },
            }
        return path

    def _item_path(self, entity: Entity) -> JSON:
        alias, names = entity.alias, self.names[entity.alias]
        include = self._include(entity)
        path: JSON = {
            "parameters": [self._id_parameter(entity)],
            "get": {
                "tags": [alias],
                "summary": f"One of {alias} by identifier",
                "operationId": self._operation_id(f"get{names.base}"),
                "parameters": [include] if include else [],
                "responses": {
                    "200": {
                        "description": "The row.",
                        "content": _json_content(names.ref("Response")),
                    },
                    **self._errors(entity, "get"),
                },
            },
            "patch": self._write_operation(entity, "update", "200", item=True),
            "put": self._write_operation(entity, "upsert", "200", item=True),
        }
        if entity.is_deletable:
            path["delete"] = {
                "tags": [alias],
                "summary": f"Delete one of {alias}",
                "operationId": self._operation_id(f"delete{names.base}"),
                "responses": {
                    "204": {"description": "Deleted."},
                    **self._errors(entity, "delete_one"),
                },
            }
        return path

    def _write_operation(self, entity: Entity, mode: Mode, status: str, *, item: bool) -> JSON:
        alias, names = entity.alias, self.names[entity.alias]
        suffix, verb = _SUFFIXES[mode], mode
        if item:
            data: JSON = names.ref(suffix)
            success: JSON = {"oneOf": [names.ref("Response"), names.ref("WriteResult")]}
            operation_id = f"{verb}{names.base}"
        else:
            items = _keyed(names.ref(suffix), entity) if mode == "update" else names.ref(suffix)
            data = {"type": "array", "minItems": 1, "items": items}
            success = names.ref("WriteResult")
            operation_id = f"{verb}{names.plural}"
        kind = _ITEM_KINDS[mode] if item else mode
        return {
            "tags": [alias],
            "summary": _WRITE_SUMMARIES[mode].format(
                alias=alias, one=" by identifier" if item else ""
            ),
            "description": f"{_WRITE_DESCRIPTIONS[mode]} {openapi_errors.WRITE_ERRORS_NOTE}",
            "operationId": self._operation_id(operation_id),
            "parameters": [_shared("transactional")],
            "requestBody": {
                "required": True,
                "content": _json_content(
                    {"type": "object", "required": ["data"], "properties": {"data": data}}
                ),
            },
            "responses": {
                status: {
                    "description": "The rows saved, with their generated values and nested "
                    "children; with `X-Is-Transactional: false`, also the items not saved.",
                    "content": _json_content(success),
                },
                **self._errors(entity, kind, partial=names.ref("WriteResult")),
            },
        }

    def _errors(
        self, entity: Entity, kind: openapi_errors.OperationKind, partial: JSON | None = None
    ) -> JSON:
        self.errors.update(openapi_errors.error_classes(self.catalog, entity, kind))
        return openapi_errors.responses(
            self.catalog, entity, kind, self.options.max_page_size, partial
        )


_WRITE_SUMMARIES = {
    "create": "Create {alias}{one}",
    "update": "Update {alias}{one}",
    "upsert": "Replace or create {alias}{one}",
}
_WRITE_DESCRIPTIONS = {
    "create": "Creatable fields only (`1304` otherwise); transformations (trim, case, "
    "defaults) apply before validation. Editable hasMany relationships take nested rows.",
    "update": "A partial update: only the fields sent change. Each item names its row by the "
    "identifier field or `identifier` (by the URL on `/{id}`).",
    "upsert": "Replaces the row named by the identifier (editable fields not sent become "
    "null), or inserts it when there is none or no identifier is sent.",
}


def _required(f: Field, mode: Mode) -> bool:
    """POST and PUT need the required fields; PUT also every field whose column refuses null,
    since replacing a row sets the editable fields not sent to null (DX107)."""
    if mode == "update":
        return False
    return f.definition.validation.is_required or (mode == "upsert" and not f.column.nullable)


def _keyed(item: JSON, entity: Entity) -> JSON:
    """An update item that must name its row: by the identifier field or ``identifier``."""
    name = entity.identifier.name
    keys = [{"required": [name]}] + ([{"required": ["identifier"]}] if name != "identifier" else [])
    return {"allOf": [item, {"anyOf": keys}]}


def _shared(name: str) -> JSON:
    return {"$ref": f"#/components/parameters/{name}"}


def _json_content(schema: JSON) -> JSON:
    return {"application/json": {"schema": schema}}


def _envelope(data: JSON, description: str) -> JSON:
    return {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {**data, "description": description}},
    }


def _shared_schemas() -> JSON:
    return {
        "Error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status."},
                "code": {"type": "string", "description": "A stable code (docs/errors.md)."},
                "message": {"type": "string"},
            },
        },
        "Errors": {"type": "array", "items": {"$ref": f"{REF}Error"}},
        "Aggregates": _envelope(
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "description": "A group: its keys under the `groupBy[]` expressions, "
                    '`"count": N` for `aggregate[count]=*`, and `"FUNCTION": {"field": '
                    "value}` for the others; sums and averages of decimal fields as "
                    "decimal strings.",
                    "additionalProperties": True,
                },
                "example": [
                    {
                        "category_id": 3,
                        "month(created_at)": "2026-03",
                        "count": 12,
                        "sum": {"price": "1234.50"},
                    }
                ],
            },
            "The groups (one object for the whole set without `groupBy[]`).",
        ),
    }


_SECURITY_SCHEMES: JSON = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from `POST /token` (see the `oauth2` scheme).",
    },
    "oauth2": {
        "type": "oauth2",
        "description": "Access tokens from `POST /token`: a Back Office user's password "
        "grant, or a registered client's client credentials.",
        "flows": {
            "password": {"tokenUrl": "/token", "refreshUrl": "/token", "scopes": {}},
            "clientCredentials": {"tokenUrl": "/token", "scopes": {}},
        },
    },
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    "apiKeyQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "The same key as a query parameter; prefer the header.",
    },
}

_DESCRIPTION = (
    "The Spryker-compatible Data Exchange API over the entities registered in dexgate, "
    "generated from the live configuration: it lists the entities the caller may read. "
    "Every request needs credentials (a bearer token or an API key); roles grant `read`, "
    "`create`, `update` and `delete` per entity (403 `DX122` otherwise). Errors are "
    'answered as an array of `{"status", "code", "message"}`.'
)
