"""What the GraphQL endpoint keeps for one application: its limits, its documents and plans."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.graphql.documents import Documents
from app.graphql.limits import GraphQLLimits
from app.settings import Settings
from schema_builder.graphql.answer import QueryPlans


@dataclass(frozen=True, slots=True)
class GraphQLService:
    """``plans`` off has graphql-core execute every operation (the executor tests compare
    both ways of answering with it)."""

    limits: GraphQLLimits
    documents: Documents = field(default_factory=Documents)
    queries: QueryPlans = field(default_factory=QueryPlans)
    plans: bool = True

    @classmethod
    def of(cls, settings: Settings) -> GraphQLService:
        return cls(GraphQLLimits.of(settings))
