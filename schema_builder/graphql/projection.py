"""A value graphql-core's resolvers would give, written as graphql-core writes it for a
selection: the selected fields under their response keys, in selection order, ``__typename``
as the type's name. The plan executor writes aggregate answers with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import FieldNode, GraphQLObjectType, get_named_type

from schema_builder.graphql.selection import Selection

# Each selected field: its response key, its name (``__typename`` as the type's name after a
# colon), and what is selected under it.
Projection = tuple[tuple[str, str, "Projection | None"], ...]
TYPENAME = "__typename:"


def projection(
    selection: Selection, object_type: GraphQLObjectType, nodes: Sequence[FieldNode]
) -> Projection:
    """What ``nodes`` select of ``object_type``, under their response keys."""
    out: list[tuple[str, str, Projection | None]] = []
    for key, sub in selection.selected(object_type, nodes).items():
        name = sub[0].name.value
        if name == "__typename":
            out.append((key, TYPENAME + object_type.name, None))
            continue
        inner = get_named_type(object_type.fields[name].type)
        nested = projection(selection, inner, sub) if isinstance(inner, GraphQLObjectType) else None
        out.append((key, name, nested))
    return tuple(out)


def project(value: Any, shape: Projection) -> Any:
    """A value graphql-core's resolvers would give, as graphql-core writes it for ``shape``:
    the selected fields under their response keys, in selection order."""
    if value is None:
        return None
    if isinstance(value, list):
        return [project(item, shape) for item in value]
    out: dict[str, Any] = {}
    for key, name, nested in shape:
        if name.startswith(TYPENAME):
            out[key] = name[len(TYPENAME) :]
        else:
            item = value.get(name)
            out[key] = item if nested is None else project(item, nested)
    return out
