"""What a mutation may select under ``items`` for a principal that cannot read the entity.

Such a principal gets back only the identifier and the fields it sent (see
schema_builder.operations.write_answer): selecting any other field of a written entity, one
not sent by every item, is refused with DX122 before anything is written, as reading the
entity would be. Relationships under ``items`` need read access anyway (checked with the
includes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo, get_named_type
from graphql.execution.collect_fields import collect_sub_fields

from auth.permissions import Permissions
from schema_builder.catalog import Entity
from schema_builder.errors import PermissionDeniedError


def require_answerable(
    info: GraphQLResolveInfo, access: Permissions, entity: Entity, items: Sequence[Any]
) -> None:
    """Raise DX122 when ``items`` selects a field ``access`` may not see of the written rows."""
    if access.allows(entity.alias, "read"):
        return
    sent: set[str] | None = None
    for item in items:
        keys = set(item) if isinstance(item, Mapping) else set()
        sent = keys if sent is None else sent & keys
    allowed = {entity.identifier.name, "__typename", *(sent or ())}
    result_type = get_named_type(info.return_type)
    assert isinstance(result_type, GraphQLObjectType)
    selected = collect_sub_fields(
        info.schema, info.fragments, info.variable_values, result_type, list(info.field_nodes)
    )
    item_type = get_named_type(result_type.fields["items"].type)
    assert isinstance(item_type, GraphQLObjectType)
    for nodes in (v for v in selected.values() if v[0].name.value == "items"):
        fields = collect_sub_fields(
            info.schema, info.fragments, info.variable_values, item_type, nodes
        )
        if any(f[0].name.value not in allowed for f in fields.values()):
            raise PermissionDeniedError(entity.alias, "read")
