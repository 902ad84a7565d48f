"""The collaborators one running application shares: settings, engines, registries, auth."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from app.graphql.service import GraphQLService
from app.rate_limit import RateLimiter
from app.settings import Settings
from auth.authenticator import Authenticator
from auth.oauth import TokenService
from schema_builder.changefeed.feed import ChangeFeed
from schema_builder.graphql.registry import SchemaRegistry
from schema_builder.operations.aggregates.operation import Aggregator
from schema_builder.operations.reads.reader import Reader
from schema_builder.registry import CatalogRegistry


@dataclass(frozen=True, slots=True)
class Gateway:
    settings: Settings
    engine: AsyncEngine
    registry: CatalogRegistry
    reader: AsyncEngine
    schemas: SchemaRegistry
    authenticator: Authenticator
    tokens: TokenService
    limiter: RateLimiter
    reads: Reader
    graphql: GraphQLService
    aggregates: Aggregator
    feed: ChangeFeed
