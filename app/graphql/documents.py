"""Parsed documents, validation results and execution-limit verdicts, kept per application.

Parsed documents by query text; validation results and the verdicts of the execution limits by
schema and query text (the latter also by the variables the limits depend on). Entries hold the
schema they were made with, so that an id is never taken for another's.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from cachetools import LRUCache
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, specified_rules, validate
from graphql.validation import NoSchemaIntrospectionCustomRule

from app.graphql.limits import (
    MAX_TOKENS,
    GraphQLLimits,
    execution_exceeded,
    shape_rule,
)
from app.graphql.request_errors import GraphQLSyntaxError
from app.graphql.suggestions import without_suggestions
from schema_builder.errors import DexgateError


class Documents:
    def __init__(self, size: int = 256) -> None:
        self._documents: LRUCache[str, DocumentNode] = LRUCache(maxsize=size)
        self._valid: LRUCache[Hashable, tuple[GraphQLSchema, GraphQLLimits, list[GraphQLError]]] = (
            LRUCache(maxsize=size)
        )
        self._limits: LRUCache[
            Hashable, tuple[GraphQLSchema, GraphQLLimits, DexgateError | None]
        ] = LRUCache(maxsize=size)

    def document(self, query: str) -> DocumentNode:
        """The parsed document; raises GraphQLError for a syntax error."""
        document = self._documents.get(query)
        if document is None:
            try:
                document = parse(query, max_tokens=MAX_TOKENS)
            except RecursionError:
                raise GraphQLSyntaxError("The query is nested too deeply.") from None
            self._documents[query] = document
        return document

    def validation(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        introspection: bool,
        limits: GraphQLLimits,
    ) -> list[GraphQLError]:
        key = (id(schema), query, introspection, id(limits))
        known = self._valid.get(key)
        if known is not None and known[0] is schema and known[1] is limits:
            return known[2]
        rules = [*specified_rules, shape_rule(limits)]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        errors = validate(schema, document, rules)
        if not introspection:
            errors = without_suggestions(errors)
        self._valid[key] = (schema, limits, errors)
        return errors

    def exceeded(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        operation: str | None,
        variables: dict[str, Any] | None,
        limits: GraphQLLimits,
        values: Hashable | None,
    ) -> DexgateError | None:
        """:func:`execution_exceeded`, judged once per the ``values`` it depends on (None
        when they cannot be a key)."""
        if values is None:
            return execution_exceeded(schema, document, operation, variables, limits)
        key: Hashable = (id(schema), query, operation, id(limits), values)
        known = self._limits.get(key)
        if known is not None and known[0] is schema and known[1] is limits:
            return known[2]
        verdict = execution_exceeded(schema, document, operation, variables, limits)
        self._limits[key] = (schema, limits, verdict)
        return verdict
