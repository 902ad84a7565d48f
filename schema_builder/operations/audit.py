"""Audit records of data writes, appended in the write's own transaction (see auth.audit)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from auth.audit import record
from schema_builder.operations.plan_write import Item


def saved_keys(items: Iterable[Item]) -> dict[str, list[Any]]:
    """The identifiers of the saved items and their saved children, by entity alias."""
    keys: dict[str, list[Any]] = {}
    pending = list(items)
    while pending:
        item = pending.pop(0)
        if item.saved is not None:
            keys.setdefault(item.entity.alias, []).append(
                item.saved.get(item.entity.identifier.name)
            )
        for _relation, children in item.children:
            pending.extend(children)
    return keys


async def record_saved(
    connection: AsyncConnection, actor: str, action: str, items: Iterable[Item]
) -> None:
    """One record per entity written (the request's entity first, then nested ones)."""
    for alias, keys in saved_keys(items).items():
        await record(connection, actor, action, entity=alias, identifiers=keys)


async def record_deleted(
    connection: AsyncConnection, actor: str, alias: str, keys: list[Any]
) -> None:
    if keys:
        await record(connection, actor, "delete", entity=alias, identifiers=keys)
