"""Bounds on GraphQL requests, each a setting (``DEXGATE_GRAPHQL_MAX_...``, see app.settings).

- Before parsing: the query's length (413 ``DX113``) and, in the parser, its tokens.
- While validating, cached with the validation of the query text: how deep the selections go
  (``DX136``), how many aliases (``DX132``) and field selections (``DX133``) there are,
  fragments counted each time they are spread, so that a small document cannot expand into a
  huge one. The walk stops once the selections pass their limit.
- Before executing, with the request's variables: the items the mutations write, together
  (413 ``DX131``, ``DEXGATE_MAX_WRITE_ITEMS`` as over REST), and the estimated cost
  (``DX134``): the values the query can produce, rows times fields. A list field's ``limit``
  (the page size when absent, at most the maximum page size) or a mutation's number of items
  multiplies everything selected inside it, through every nested list; a count or a
  belongsTo object does not multiply.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValueNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.validation import ValidationRule

from app.graphql.request_errors import (
    QueryTooCostlyError,
    QueryTooDeepError,
    QueryTooLongError,
    TooManyAliasesError,
    TooManyFieldsError,
)
from app.settings import Settings
from schema_builder.errors import DexgateError, TooManyItemsError

MAX_TOKENS = 20_000


@dataclass(frozen=True, slots=True)
class GraphQLLimits:
    max_query_length: int = 100_000
    max_depth: int = 12
    max_aliases: int = 30
    max_fields: int = 1000
    max_cost: int = 10_000_000
    max_items: int = 1000
    default_page_size: int = 1000
    max_page_size: int = 1000

    @classmethod
    def of(cls, settings: Settings) -> GraphQLLimits:
        return cls(
            max_query_length=settings.graphql_max_query_length,
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_fields=settings.graphql_max_fields,
            max_cost=settings.graphql_max_cost,
            max_items=settings.max_write_items,
            default_page_size=settings.default_page_size,
            max_page_size=settings.max_page_size,
        )


def length_exceeded(query: str, limits: GraphQLLimits) -> QueryTooLongError | None:
    if len(query) <= limits.max_query_length:
        return None
    return QueryTooLongError(len(query), limits.max_query_length)


# --- validation: depth, aliases and field selections ---------------------------------------------


@functools.cache
def shape_rule(limits: GraphQLLimits) -> type[ValidationRule]:
    """The validation rule that refuses operations over ``limits``' depth, aliases or field
    selections, one error (with its code in ``extensions``) per limit passed."""

    class ShapeLimitRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            shape = _Shape(limits, self.context.get_fragment)
            shape.walk(node.selection_set, 0, frozenset(), introspection=False)
            for error in shape.exceeded():
                self.report_error(
                    GraphQLError(error.message, node, extensions={"code": error.code})
                )

    return ShapeLimitRule


class _Shape:
    """An operation's depth, aliases and field selections, fragments expanded where spread.

    Inside ``__schema`` and ``__type``, ``ofType`` adds no depth: it unwraps list and non-null
    types, a dead end after a few, and the introspection query GraphiQL and other clients send
    nests it seven times."""

    def __init__(
        self, limits: GraphQLLimits, fragment: Callable[[str], FragmentDefinitionNode | None]
    ) -> None:
        self.limits = limits
        self.fragment = fragment
        self.depth = 0
        self.aliases = 0
        self.fields = 0

    def walk(
        self,
        selection_set: SelectionSetNode,
        level: int,
        seen: frozenset[str],
        *,
        introspection: bool,
    ) -> None:
        for selection in selection_set.selections:
            if self.fields > self.limits.max_fields:
                return
            if isinstance(selection, FieldNode):
                self.fields += 1
                if selection.alias is not None:
                    self.aliases += 1
                name = selection.name.value
                step = 0 if introspection and name == "ofType" else 1
                self.depth = max(self.depth, level + step)
                if selection.selection_set is not None:
                    inside = introspection or name in ("__schema", "__type")
                    self.walk(selection.selection_set, level + step, seen, introspection=inside)
            elif isinstance(selection, InlineFragmentNode):
                self.walk(selection.selection_set, level, seen, introspection=introspection)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragment(name)
                if fragment is not None and name not in seen:
                    self.walk(
                        fragment.selection_set, level, seen | {name}, introspection=introspection
                    )

    def exceeded(self) -> list[DexgateError]:
        limits = self.limits
        if self.fields > limits.max_fields:  # the walk stopped: the other counts are partial
            return [TooManyFieldsError(limits.max_fields)]
        found: list[DexgateError] = []
        if self.depth > limits.max_depth:
            found.append(QueryTooDeepError(self.depth, limits.max_depth))
        if self.aliases > limits.max_aliases:
            found.append(TooManyAliasesError(self.aliases, limits.max_aliases))
        return found


# --- before execution: items written and estimated cost -------------------------------------------


def execution_exceeded(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: GraphQLLimits,
) -> DexgateError | None:
    """Whether the operation to run writes too many items or costs too much, judged with the
    request's variables; None when it may run (or when execution will report it invalid)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    estimate = _Cost(schema, document, operation, variables or {}, limits)
    cost = estimate.selections(operation.selection_set, root, 1, 1)
    if estimate.items > limits.max_items:
        return TooManyItemsError(estimate.items, limits.max_items)
    if cost > limits.max_cost:
        return QueryTooCostlyError(cost, limits.max_cost, limits.default_page_size)
    return None


class _Cost:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        limits: GraphQLLimits,
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.variables = dict(variables)
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = _literal(definition.default_value)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.items = 0

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, rows: int, page: int
    ) -> int:
        """The values ``selection_set`` produces on ``rows`` objects of type ``parent``;
        ``page`` (the parent field's limit or items) multiplies the lists directly inside."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, rows, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else None
                total += self.selections(selection.selection_set, kind or parent, rows, page)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    kind = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(fragment.selection_set, kind or parent, rows, page)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType, rows: int, page: int) -> int:
        definition = _definition(parent, node.name.value)
        if definition is None:  # __typename, or a field validation has refused
            return rows
        own_page = self._page(node, definition, parent)
        kind = definition.type
        if isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        if isinstance(kind, GraphQLList):
            rows, own_page = rows * page * own_page, 1
        if node.selection_set is None:
            return rows
        inner = get_named_type(definition.type)
        return self.selections(node.selection_set, inner, rows, own_page)

    def _page(self, node: FieldNode, definition: GraphQLField, parent: GraphQLNamedType) -> int:
        if "limit" in definition.args:
            limit = self._argument(node, "limit")
            if not isinstance(limit, int) or isinstance(limit, bool):
                return self.limits.default_page_size
            return min(max(limit, 0), self.limits.max_page_size)
        if "items" in definition.args and parent is self.schema.mutation_type:
            items = self._argument(node, "items")
            written = len(items) if isinstance(items, list) else int(isinstance(items, dict))
            self.items += written
            return written
        return 1

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments:
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, VariableNode):
                    return self.variables.get(value.name.value)
                return _literal(value)
        return None


def _literal(value: ValueNode) -> Any:
    """What counts of a literal: an integer, a list (its length) or an object (one item)."""
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, ListValueNode):
        return list(value.values)
    if isinstance(value, ObjectValueNode):
        return {}
    return None


def _definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    if isinstance(parent, GraphQLObjectType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None
