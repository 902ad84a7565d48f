"""Entity definitions in the installer's format (what ``dexgate entities apply`` reads), for
tests that register a table of their own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain_entry(
    table: str,
    alias: str,
    identifier: str,
    fields: Mapping[str, str],
    *,
    deletable: bool | None = None,
) -> dict[str, Any]:
    """An active entity whose ``fields`` (name: type) are all creatable, editable and
    optional, each visible under its own name; ``deletable`` is left out when None."""
    definition: dict[str, Any] = {"identifier": identifier}
    if deletable is not None:
        definition["isDeletable"] = deletable
    definition["fields"] = [
        {
            "fieldName": name,
            "fieldVisibleName": name,
            "type": kind,
            "isCreatable": True,
            "isEditable": True,
            "validation": {"isRequired": False},
        }
        for name, kind in fields.items()
    ]
    return {"tableName": table, "tableAlias": alias, "isActive": True, "definition": definition}
