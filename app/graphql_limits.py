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
    """Refuses selections nested deeper than :data:`MAX_DEPTH` fields.

    Inside ``__schema`` and ``__type``, ``ofType`` is not counted: it unwraps list and non-null
    types, one type per level and a dead end after a few, so it costs nothing; and the standard
    introspection query that GraphiQL and other clients send nests it seven times.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        depth = self._depth(node.selection_set, 0, set(), introspection=False)
        if depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(
                    f"The query is {depth} levels deep; at most {MAX_DEPTH} are allowed.",
                    node,
                )
            )

    def _depth(
        self,
        selection_set: SelectionSetNode | None,
        level: int,
        seen: set[str],
        *,
        introspection: bool,
    ) -> int:
        if selection_set is None:
            return level
        deepest = level
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                inside = introspection or name in ("__schema", "__type")
                step = 0 if introspection and name == "ofType" else 1
                deepest = max(
                    deepest,
                    self._depth(selection.selection_set, level + step, seen, introspection=inside),
                )
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(
                    deepest,
                    self._depth(selection.selection_set, level, seen, introspection=introspection),
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in seen:
                    deepest = max(
                        deepest,
                        self._depth(
                            fragment.selection_set,
                            level,
                            seen | {name},
                            introspection=introspection,
                        ),
                    )
            if deepest > MAX_DEPTH:
                return deepest
        return deepest
