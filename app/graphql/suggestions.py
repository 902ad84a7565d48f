"""No "Did you mean ...?" for callers to whom introspection is closed.

graphql-core ends many validation messages with suggestions of names from the schema
(``Cannot query field 'countrie' on type 'Query'. Did you mean 'countries' or 'country'?``):
a way to read the schema, one guess at a time, for a caller who may not introspect it.
:func:`without_suggestions` gives such errors without the suggestion; admins, and everyone
when ``DEXGATE_OPEN_INTROSPECTION`` is on, keep them.
"""

from __future__ import annotations

import re

from graphql import GraphQLError

_SUGGESTION = re.compile(r" Did you mean .*\?$", re.DOTALL)


def without_suggestions(errors: list[GraphQLError]) -> list[GraphQLError]:
    """``errors``, each without the schema names graphql-core suggests at its end."""
    return [_stripped(error) for error in errors]


def _stripped(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        error.extensions,
    )
