"""graphql-core's executor, with root fields started one at a time.

graphql-core 3.2 calls the resolver of every mutation field up front and awaits them in turn:
the coroutines are created at once, run in order. When one fails and nulls the result, the
coroutines of the fields after it are dropped without ever running — correctly, nothing of
theirs is written — but each is reported as "coroutine ... was never awaited". Here each field
is started only once the one before it has finished.

A query's root fields run one after another too, as the plan executor
(schema_builder.graphql.answer) runs them: graphql-core would start them all at once and, when
a non-null one fails, stop waiting for the others while they still hold connections.
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionContext, FieldNode, GraphQLObjectType
from graphql.pyutils import AwaitableOrValue, Path, Undefined


class SerialExecutionContext(ExecutionContext):
    """Pass as ``execution_context_class`` to :func:`graphql.execute`."""

    def execute_fields_serially(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        fields: dict[str, list[FieldNode]],
    ) -> AwaitableOrValue[dict[str, Any]]:
        async def one_after_another() -> dict[str, Any]:
            results: dict[str, Any] = {}
            for response_name, field_nodes in fields.items():
                field_path = Path(path, response_name, parent_type.name)
                result = self.execute_field(parent_type, source_value, field_nodes, field_path)
                if result is Undefined:
                    continue
                results[response_name] = await result if self.is_awaitable(result) else result
            return results

        return one_after_another()

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        fields: dict[str, list[FieldNode]],
    ) -> AwaitableOrValue[dict[str, Any]]:
        if path is None:  # the root
            return self.execute_fields_serially(parent_type, source_value, path, fields)
        return super().execute_fields(parent_type, source_value, path, fields)
