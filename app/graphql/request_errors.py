"""Refusals of a GraphQL request before it executes, each with its status and code.

    RequestError                        (schema_builder.errors)
    └── GraphQLRequestError
        ├── GraphQLSyntaxError            DX110  not GraphQL (or nested past the parser)
        ├── GraphQLValidationError        DX111  does not validate against the schema
        ├── GraphQLVariablesError         DX112  a variable missing or of the wrong type
        ├── MalformedGraphQLError         DX113  no query, a body that is not JSON, a batch...
        │   ├── MutationOverGetError        405  a mutation sent with GET
        │   ├── QueryTooLongError           413  over DEXGATE_GRAPHQL_MAX_QUERY_LENGTH
        │   └── GraphQLMediaTypeError       415  a body that is neither JSON nor GraphQL
        ├── TooManyAliasesError           DX132  over DEXGATE_GRAPHQL_MAX_ALIASES
        ├── TooManyFieldsError            DX133  over DEXGATE_GRAPHQL_MAX_FIELDS
        ├── QueryTooCostlyError           DX134  over DEXGATE_GRAPHQL_MAX_COST
        └── QueryTooDeepError             DX136  over DEXGATE_GRAPHQL_MAX_DEPTH

Syntax, validation and variable errors are found by graphql-core, which reports them as its own
``GraphQLError`` (with locations); their classes give the code and status they are answered with
(:func:`schema_builder.graphql.errors.request_error`). The limits found while validating are
reported inside graphql-core's validation with their own class's code.
"""

from __future__ import annotations

from schema_builder.errors import RequestError


class GraphQLRequestError(RequestError):
    """A GraphQL request refused before it runs."""


class GraphQLSyntaxError(GraphQLRequestError):
    code = "DX110"


class GraphQLValidationError(GraphQLRequestError):
    code = "DX111"


class GraphQLVariablesError(GraphQLRequestError):
    code = "DX112"


class MalformedGraphQLError(GraphQLRequestError):
    code = "DX113"


class MutationOverGetError(MalformedGraphQLError):
    status = 405

    def __init__(self) -> None:
        super().__init__("Mutations need POST.")


class QueryTooLongError(MalformedGraphQLError):
    status = 413

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"The query is {length} characters long; at most {limit} are allowed "
            "(DEXGATE_GRAPHQL_MAX_QUERY_LENGTH)."
        )


class GraphQLMediaTypeError(MalformedGraphQLError):
    status = 415

    def __init__(self, media: str) -> None:
        super().__init__(f"Unsupported Content-Type `{media}`: send application/json.")


class TooManyAliasesError(GraphQLRequestError):
    code = "DX132"

    def __init__(self, aliases: int, limit: int) -> None:
        super().__init__(
            f"The query has {aliases} aliases; at most {limit} are allowed "
            "(DEXGATE_GRAPHQL_MAX_ALIASES)."
        )


class TooManyFieldsError(GraphQLRequestError):
    code = "DX133"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The query selects more than {limit} fields (fragments count each time they are "
            f"spread); at most {limit} are allowed (DEXGATE_GRAPHQL_MAX_FIELDS)."
        )


class QueryTooCostlyError(GraphQLRequestError):
    code = "DX134"

    def __init__(self, cost: int, limit: int, default_page_size: int) -> None:
        super().__init__(
            f"The query's estimated cost is {cost} (rows times fields); at most {limit} is "
            "allowed (DEXGATE_GRAPHQL_MAX_COST). Ask for fewer rows with `limit` (a list "
            f"without `limit` counts as {default_page_size} rows)."
        )


class QueryTooDeepError(GraphQLRequestError):
    code = "DX136"

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(
            f"The query is {depth} levels deep; at most {limit} are allowed "
            "(DEXGATE_GRAPHQL_MAX_DEPTH)."
        )
