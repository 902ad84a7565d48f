"""The collaborators one running application shares: settings, engine and entity registry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from schema_builder.graphql_registry import SchemaRegistry
from schema_builder.registry import CatalogRegistry


@dataclass(frozen=True, slots=True)
class Gateway:
    settings: Settings
    engine: AsyncEngine
    registry: CatalogRegistry
    reader: AsyncEngine
    schemas: SchemaRegistry
