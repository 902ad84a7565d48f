"""Errors in GraphQL's wire form, written here and only here.

Every GraphQL error carries its code and HTTP status in ``extensions``. The endpoint (request
refusals, graphql-core's execution errors), the plan executor (:mod:`.answer`) and the resolvers
(:mod:`.resolvers`) all format through this module, so that a field refused by either executor
reads the same, byte for byte.

    - :func:`request_error`: a request refused before it runs, ``{"message", "extensions"}``;
    - :func:`reported`: an error graphql-core found (syntax, validation, variables) answered as
      the given class, its locations kept;
    - :func:`field_error` / :func:`internal_error`: a field refused, or failed unexpectedly,
      where it is in the document and in the answer;
    - :func:`to_graphql_error` / :class:`ManyErrorsError`: an operation's errors raised inside
      graphql-core's execution, and :func:`execution_errors` turning them back into the wire form.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import ExecutionResult, GraphQLError, Node

from schema_builder.errors import ApiError, DexgateError, InternalError

logger = logging.getLogger("dexgate.graphql")

Formatted = dict[str, Any]
Locations = Sequence[Mapping[str, object]] | None


class ManyErrorsError(Exception):
    """Several operation errors for one field; each is reported as a GraphQL error."""

    def __init__(self, errors: Sequence[DexgateError]) -> None:
        super().__init__(errors[-1].message if errors else "")
        self.errors = list(errors)


def extensions(error: ApiError | type[ApiError]) -> dict[str, Any]:
    return {"code": error.code, "status": error.status}


def request_error(error: ApiError) -> Formatted:
    """A request refused as a whole (before it runs, or by the authentication)."""
    return {"message": error.message, "extensions": extensions(error)}


def errors_body(errors: Sequence[ApiError]) -> dict[str, Any]:
    return {"errors": [request_error(e) for e in errors]}


def reported(error: GraphQLError, kind: type[DexgateError]) -> Formatted:
    """An error graphql-core reported, answered with ``kind``'s code and status (unless the
    error names its own code, as the limits checked while validating do)."""
    out: Formatted = dict(error.formatted)
    out["extensions"] = {**extensions(kind), **(out.get("extensions") or {})}
    return out


def locations(nodes: Sequence[Node]) -> list[dict[str, int]] | None:
    located = GraphQLError("", list(nodes))
    if located.locations is None:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in located.locations]


def field_error(error: ApiError, at: Locations, path: Sequence[str | int] | None) -> Formatted:
    """A refused field's error as graphql-core reports it: the message and code, where the
    field is in the document and in the answer."""
    return {
        "message": error.message,
        "extensions": extensions(error),
        "locations": at,
        "path": None if path is None else list(path),
    }


def internal_error(at: Locations, path: Sequence[str | int] | None) -> Formatted:
    """A field that failed unexpectedly (logged by the caller): nothing of it reaches the
    client."""
    error = InternalError()
    return {
        "message": error.message,
        "locations": at,
        "path": None if path is None else list(path),
        "extensions": extensions(error),
    }


def to_graphql_error(error: DexgateError) -> GraphQLError:
    """An operation's error raised inside graphql-core's execution."""
    return GraphQLError(error.message, extensions=extensions(error))


def execution_errors(
    result: ExecutionResult, invalid: type[DexgateError], variables: type[DexgateError]
) -> list[Formatted]:
    """The errors of graphql-core's execution: the operations' with their codes, at the place
    graphql-core found them; anything unexpected logged and reported as ``DX500``; the rest of
    graphql-core's own (a variable refused, a value invalid) as ``variables`` when outside any
    field, ``invalid`` otherwise."""
    out: list[Formatted] = []
    for error in result.errors or ():
        original = error.original_error
        at: Locations = error.formatted.get("locations")
        if isinstance(original, ManyErrorsError):
            out.extend(field_error(item, at, error.path) for item in original.errors)
            continue
        if isinstance(original, DexgateError):
            out.append(field_error(original, at, error.path))
            continue
        if original is not None and not isinstance(original, GraphQLError):
            logger.error("Unhandled error in GraphQL resolver at %s", error.path, exc_info=original)
            out.append(internal_error(at, error.path))
            continue
        formatted: Formatted = dict(error.formatted)
        if "code" not in (formatted.get("extensions") or {}):
            formatted["extensions"] = extensions(variables if error.path is None else invalid)
        out.append(formatted)
    return out
