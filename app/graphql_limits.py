"""Bounds on GraphQL documents: size, tokens and selection depth."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)
from graphql.validation import ValidationRule

MAX_QUERY_LENGTH = 100_000
MAX_TOKENS = 20_000
MAX_DEPTH = 12


class DepthLimitRule(ValidationRule):
    """Refuses selections nested deeper than :data:`MAX_DEPTH` fields."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        depth = self._depth(node.selection_set, 0, set())
        if depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(
                    f"The query is {depth} levels deep; at most {MAX_DEPTH} are allowed.",
                    node,
                )
            )

    def _depth(self, selection_set: SelectionSetNode | None, level: int, seen: set[str]) -> int:
        if selection_set is None:
            return level
        deepest = level
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                deepest = max(deepest, self._depth(selection.selection_set, level + 1, seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self._depth(selection.selection_set, level, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in seen:
                    deepest = max(
                        deepest, self._depth(fragment.selection_set, level, seen | {name})
                    )
            if deepest > MAX_DEPTH:
                return deepest
        return deepest
