"""Permission checks of the plan stage: every operation asks here before touching the database.

A read needs ``read`` on its entity and on every entity its includes reach; a create, update or
delete needs that operation on its entity and, for nested writes, on each child entity written;
an upsert needs both ``create`` and ``update``. REST and GraphQL call the same operations, so
this is the one place where entity permissions are enforced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from auth.permissions import Operation, Permissions
from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import PermissionDeniedError
from schema_builder.operations.ir import Include, WriteMode

if TYPE_CHECKING:
    from schema_builder.operations.plan_write import Item

WRITE_OPERATIONS: dict[WriteMode, tuple[Operation, ...]] = {
    "create": ("create",),
    "update": ("update",),
    "upsert": ("create", "update"),
}


def require(access: Permissions, alias: str, operations: Iterable[Operation]) -> None:
    for operation in operations:
        if not access.allows(alias, operation):
            raise PermissionDeniedError(alias, operation)


def require_read(
    access: Permissions, catalog: Catalog, entity: Entity, includes: Sequence[Include]
) -> None:
    require(access, entity.alias, ("read",))
    for include in includes:
        relation = entity.relations.get(include.name)
        if relation is not None:
            require_read(access, catalog, catalog.entities[relation.target], include.children)


def require_write(access: Permissions, alias: str, mode: WriteMode, items: Sequence[Item]) -> None:
    operations = WRITE_OPERATIONS[mode]
    require(access, alias, operations)
    seen: set[str] = {alias}
    pending = list(items)
    while pending:
        item = pending.pop()
        for _relation, children in item.children:
            for child in children:
                if child.entity.alias not in seen:
                    require(access, child.entity.alias, operations)
                    seen.add(child.entity.alias)
                pending.append(child)
