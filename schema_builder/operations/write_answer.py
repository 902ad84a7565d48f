"""What a write answers about the rows it saved, to a principal that may not read them.

A principal allowed to write an entity but not to read it gets back, for each saved row, only
the identifier and the fields it sent itself: a write must not be a way to read a row (an
update that changes nothing would otherwise answer the whole stored row). Children written
under an item are answered the same way, by the read access to their own entity. A principal
that may read the entity gets the whole saved row, as before.
"""

from __future__ import annotations

from typing import Any

from auth.permissions import Permissions
from schema_builder.operations.plan_write import Item


def answered(items: list[Item], access: Permissions) -> list[dict[str, Any]]:
    """The saved rows of ``items`` as ``access`` may see them (items not saved are left out)."""
    readable: dict[str, bool] = {}
    return [_answer(item, access, readable) for item in items if item.saved is not None]


def _answer(item: Item, access: Permissions, readable: dict[str, bool]) -> dict[str, Any]:
    saved = item.saved
    assert saved is not None
    alias = item.entity.alias
    if alias not in readable:
        readable[alias] = access.allows(alias, "read")
    if readable[alias]:
        shown = saved
    else:
        kept = item.sent | {item.entity.identifier.name}
        shown = {name: value for name, value in saved.items() if name in kept}
    for relation, children in item.children:
        if relation.name in saved:
            written = [c for c in children if c.saved is not None]
            if shown is saved:
                shown = dict(saved)
            shown[relation.name] = [_answer(c, access, readable) for c in written]
    return shown
