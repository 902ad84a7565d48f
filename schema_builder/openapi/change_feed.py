"""The OpenAPI path of an entity's change feed, ``GET /change-feed/{alias}`` (listed for the
entities whose change feed is on; see docs/change-feed.md)."""

from __future__ import annotations

from typing import Any

from schema_builder.catalog import Entity
from schema_builder.changefeed.feed import DEFAULT_LIMIT, MAX_LIMIT

JSON = dict[str, Any]


def change_feed_path(entity: Entity, row: JSON, operation_id: str, errors: JSON) -> JSON:
    """The path item: ``row`` is the schema of the entity's rows, ``errors`` its responses."""
    alias = entity.alias
    nullable_row = {"oneOf": [row, {"type": "null"}]}
    event = {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "description": "The event's own identifier."},
            "entity": {"type": "string", "const": alias},
            "operation": {"type": "string", "enum": ["create", "update", "delete"]},
            "identifier": {"description": f"The row's `{entity.identifier.name}`."},
            "old": {**nullable_row, "description": "The row before (null for create)."},
            "new": {**nullable_row, "description": "The row after (null for delete)."},
            "actor": {
                "type": "string",
                "description": "Who changed it through dexgate (`apikey:NAME`, `user:NAME`, "
                "`client:NAME`, `cli:USER`), or `database` for a change made outside dexgate.",
            },
            "occurredAt": {"type": "string", "format": "date-time"},
            "position": {
                "type": "integer",
                "description": "Orders the events; pass the last one as `after`.",
            },
        },
        "required": [
            "id",
            "entity",
            "operation",
            "identifier",
            "old",
            "new",
            "actor",
            "occurredAt",
            "position",
        ],
    }
    return {
        "get": {
            "tags": [alias],
            "summary": f"Changes of {alias} after a cursor",
            "description": "Every insert, update and delete of the rows, made through dexgate "
            "or by any other program, in position order; the fields are the entity's fields "
            "under their names. Behind the `read` grant.",
            "operationId": operation_id,
            "parameters": [
                {
                    "name": "after",
                    "in": "query",
                    "description": "The cursor: events after this position (from the oldest "
                    "kept when absent).",
                    "schema": {"type": "integer", "minimum": 0},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "description": f"At most this many events (larger values are cut to "
                    f"{MAX_LIMIT}).",
                    "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
                },
                {
                    "name": "wait",
                    "in": "query",
                    "description": "Seconds to wait for an event when there is none yet (long "
                    "poll; cut to 25 and under the request timeout).",
                    "schema": {"type": "number", "minimum": 0, "default": 0},
                },
            ],
            "responses": {
                "200": {
                    "description": "The events after the cursor, and the cursor to ask with "
                    "next (the last event's position, or `after` when there is none).",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "data": {"type": "array", "items": event},
                                    "cursor": {"type": "string", "pattern": "^[0-9]+$"},
                                },
                                "required": ["data", "cursor"],
                            }
                        }
                    },
                },
                **errors,
            },
        }
    }
