"""Who is calling: a Back Office user, an OAuth client or an API key, with its permissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from auth.permissions import Operation, Permissions

PrincipalKind = Literal["user", "client", "apikey"]


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: int
    name: str
    roles: tuple[str, ...]
    permissions: Permissions

    @property
    def is_admin(self) -> bool:
        return self.permissions.admin

    def allows(self, alias: str, operation: Operation) -> bool:
        return self.permissions.allows(alias, operation)

    @property
    def label(self) -> str:
        """How logs and audit records name the principal (never a secret)."""
        return f"{self.kind}:{self.name}"
