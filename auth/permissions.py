"""Roles grant operations per entity alias; a principal's permissions are the union of its roles.

A grant is written ``ALIAS:OPERATIONS``: ``products:read,create``, ``categories:*``, ``*:read``.
The built-in role ``admin`` grants every operation on every entity and, alone, the management of
configuration, users, clients and keys, GraphiQL and introspection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

Operation = Literal["read", "create", "update", "delete"]
OPERATIONS: tuple[Operation, ...] = get_args(Operation)
ADMIN_ROLE = "admin"
ANY = "*"


class GrantSyntaxError(ValueError):
    """A grant that cannot be read; the message says how to write it."""


def parse_grant(spec: str) -> tuple[str, frozenset[Operation]]:
    """``"products:read,create"`` → ``("products", {"read", "create"})``."""
    alias, sep, ops = spec.strip().partition(":")
    alias = alias.strip()
    if not sep or not alias or not ops.strip():
        raise GrantSyntaxError(
            f"Cannot read grant {spec!r}: write ALIAS:OPERATIONS, e.g. products:read,create or "
            "'categories:*'."
        )
    operations: set[Operation] = set()
    for raw in ops.split(","):
        name = raw.strip()
        if name == ANY:
            operations.update(OPERATIONS)
        elif name in OPERATIONS:
            operations.add(name)
        else:
            raise GrantSyntaxError(
                f"Unknown operation {name!r} in grant {spec!r}; use {', '.join(OPERATIONS)} or *."
            )
    return alias, frozenset(operations)


def format_grants(grants: Mapping[str, frozenset[Operation]]) -> list[str]:
    """Grants as ``ALIAS:OPERATIONS`` strings, in a stable order."""
    out = []
    for alias in sorted(grants):
        ops = grants[alias]
        text = ANY if set(ops) == set(OPERATIONS) else ",".join(o for o in OPERATIONS if o in ops)
        out.append(f"{alias}:{text}")
    return out


@dataclass(frozen=True, slots=True)
class Permissions:
    """What a principal may do. ``grants`` maps an alias (or ``*``) to operations; ``actor``
    names the principal in the audit log (see auth.audit)."""

    grants: Mapping[str, frozenset[Operation]] = field(default_factory=dict)
    admin: bool = False
    actor: str = "system"

    def allows(self, alias: str, operation: Operation) -> bool:
        if self.admin:
            return True
        specific = self.grants.get(alias)
        if specific is not None and operation in specific:
            return True
        anything = self.grants.get(ANY)
        return anything is not None and operation in anything

    def readable(self, aliases: Iterable[str]) -> list[str]:
        return [a for a in aliases if self.allows(a, "read")]

    @classmethod
    def union(
        cls,
        grants: Iterable[tuple[str, str, str]],
        *,
        roles: Iterable[str] = (),
        actor: str = "system",
    ) -> Permissions:
        """From ``(role, alias, operation)`` rows and the principal's role names."""
        merged: dict[str, set[Operation]] = {}
        for _role, alias, operation in grants:
            if operation in OPERATIONS:
                merged.setdefault(alias, set()).add(operation)
        return cls(
            {alias: frozenset(ops) for alias, ops in merged.items()},
            admin=ADMIN_ROLE in set(roles),
            actor=actor,
        )


FULL_ACCESS = Permissions(admin=True)
