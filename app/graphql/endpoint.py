"""The GraphQL endpoint at ``/graphql``: parse (cached), validate (cached per schema), execute
against the schema of the current catalog, and report errors with codes in ``extensions``.

Request errors (malformed body, syntax, validation, variables) answer 400; once execution
starts the answer is 200 with ``data`` and ``errors``. An unexpected exception is logged and
reported as a generic ``DX500`` error; its text never reaches the client.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Hashable
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    print_schema,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from app.errors import RETRY_AFTER
from app.gateway import Gateway
from app.graphql.limits import GraphQLLimits, length_exceeded
from app.graphql.request_errors import (
    GraphQLMediaTypeError,
    GraphQLRequestError,
    GraphQLSyntaxError,
    GraphQLValidationError,
    GraphQLVariablesError,
    MalformedGraphQLError,
    MutationOverGetError,
)
from app.graphql.suggestions import without_suggestions
from app.json_input import DuplicateKeyError, loads
from app.responses import JSONResponse, json_text_response
from auth.errors import AdminRequiredError
from auth.principal import Principal
from schema_builder.errors import ApiError
from schema_builder.graphql.answer import answer, answer_body
from schema_builder.graphql.errors import errors_body, execution_errors, reported
from schema_builder.graphql.execution import SerialExecutionContext
from schema_builder.graphql.selection import GraphQLContext

logger = logging.getLogger("dexgate.graphql")


def _error_body(errors: list[dict[str, Any]], status: int) -> Response:
    return JSONResponse({"errors": errors}, status_code=status)


def _refused(error: ApiError) -> Response:
    return JSONResponse(errors_body([error]), status_code=error.status)


async def _read_request(
    request: Request, limits: GraphQLLimits
) -> tuple[str, dict[str, Any] | None, str | None]:
    if request.method == "GET":
        params = request.query_params
        query = params.get("query")
        raw_variables = params.get("variables")
        try:
            variables = loads(raw_variables) if raw_variables else None
        except DuplicateKeyError as exc:
            raise MalformedGraphQLError(f"`variables` names `{exc.key}` twice.") from None
        except (ValueError, RecursionError):
            raise MalformedGraphQLError("`variables` is not valid JSON.") from None
        operation = params.get("operationName")
    else:
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        raw = await request.body()
        if media == "application/graphql":
            try:
                query, variables, operation = raw.decode("utf-8"), None, None
            except UnicodeDecodeError:
                raise MalformedGraphQLError("The query is not valid UTF-8.") from None
        elif media in ("application/json", "") or media.endswith("+json"):
            try:
                body = loads(raw)
            except DuplicateKeyError as exc:
                raise MalformedGraphQLError(
                    f"The body is not valid JSON for GraphQL: it names `{exc.key}` twice in one "
                    "object."
                ) from None
            except (ValueError, RecursionError):
                raise MalformedGraphQLError("The body is not valid JSON.") from None
            if not isinstance(body, dict):
                raise MalformedGraphQLError(
                    'The body must be an object: {"query": "...", "variables": {...}}.'
                )
            query, variables, operation = (
                body.get("query"),
                body.get("variables"),
                body.get("operationName"),
            )
        else:
            raise GraphQLMediaTypeError(media)
    if not isinstance(query, str) or not query.strip():
        raise MalformedGraphQLError('No query: send {"query": "{ ... }"}.')
    too_long = length_exceeded(query, limits)
    if too_long is not None:
        raise too_long
    if variables is not None and not isinstance(variables, dict):
        raise MalformedGraphQLError("`variables` must be an object.")
    if operation is not None and not isinstance(operation, str):
        raise MalformedGraphQLError("`operationName` must be a string.")
    return query, variables, operation


def _is_introspection_error(error: GraphQLError) -> bool:
    return error.message.startswith("GraphQL introspection has been disabled")


def _is_mutation(document: DocumentNode, operation: str | None) -> bool:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation is None or (definition.name and definition.name.value == operation)
        ):
            return definition.operation == OperationType.MUTATION
    return False


def _errors_of(result: ExecutionResult) -> list[dict[str, Any]]:
    return execution_errors(result, GraphQLValidationError, GraphQLVariablesError)


def _failed_status(errors: list[dict[str, Any]]) -> tuple[int, dict[str, str]]:
    """200, unless the database was unavailable or out of time: the whole request failed for
    a reason of the server's, which clients and load balancers should see in the status."""
    failed = {e.get("extensions", {}).get("status") for e in errors} & {503, 504}
    if not failed:
        return 200, {}
    status = max(failed)
    logger.error("GraphQL request answered %s: %s", status, errors[0]["message"])
    return status, {"Retry-After": RETRY_AFTER} if 503 in failed else {}


async def graphql_endpoint(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    service = gateway.graphql
    limits = service.limits
    cache = service.documents
    try:
        query, variables, operation = await _read_request(request, limits)
        catalog = await gateway.registry.current()
        schema, catalog = await gateway.schemas.serving(catalog)
        try:
            document = cache.document(query)
        except GraphQLError as exc:
            return _error_body([reported(exc, GraphQLSyntaxError)], GraphQLSyntaxError.status)
        principal: Principal = request.state.principal
        introspection = principal.is_admin or gateway.settings.open_introspection
        errors = cache.validation(schema, query, document, introspection, limits)
        if errors:
            if not introspection and any(_is_introspection_error(e) for e in errors):
                denied = AdminRequiredError(
                    "Introspection needs the admin role (or DEXGATE_OPEN_INTROSPECTION=true)."
                )
                return _refused(denied)
            return _error_body(
                [reported(e, GraphQLValidationError) for e in errors],
                GraphQLValidationError.status,
            )
        if request.method == "GET" and _is_mutation(document, operation):
            return _refused(MutationOverGetError())
        entry = service.queries.of(schema, document, operation)
        try:
            values: Hashable | None = entry.key(variables or {})
        except TypeError:  # values that cannot be a key
            values = None
        exceeded = cache.exceeded(schema, query, document, operation, variables, limits, values)
        if exceeded is not None:
            return _refused(exceeded)
    except GraphQLRequestError as exc:
        return _refused(exc)
    context = GraphQLContext(
        engine=gateway.engine,
        reads=gateway.reads,
        catalog=catalog,
        max_page_size=gateway.settings.max_page_size,
        default_page_size=gateway.settings.default_page_size,
        access=principal.permissions,
        aggregates=gateway.aggregates,
    )
    if service.plans and entry.operation is not None:
        answered = await answer(entry, variables, context, values)
        if not isinstance(answered, list):
            status, headers = _failed_status(answered.errors)
            return json_text_response(answer_body(answered), status, headers)
        return _result_response(ExecutionResult(None, answered), introspection)
    outcome = execute(
        schema,
        document,
        variable_values=variables,
        operation_name=operation,
        context_value=context,
        execution_context_class=SerialExecutionContext,
    )
    result = await outcome if isinstance(outcome, Awaitable) else outcome
    return _result_response(result, introspection)


def _result_response(result: ExecutionResult, introspection: bool) -> Response:
    body: dict[str, Any] = {}
    status = 200
    headers: dict[str, str] = {}
    if result.errors:
        if not introspection:  # a variable's value is checked here: "Did you mean" too
            result.errors = without_suggestions(result.errors)
        body["errors"] = _errors_of(result)
        if result.data is None and all(e.path is None for e in result.errors):
            status = 400
        failed, headers = _failed_status(body["errors"])
        if failed != 200:
            status = failed
    if result.data is not None or status == 200:
        body["data"] = result.data
    return JSONResponse(body, status_code=status, headers=headers)


async def schema_file(request: Request) -> Response:
    """The live schema as SDL, for tools that want a file: admins only, like introspection
    (or everyone authenticated with DEXGATE_OPEN_INTROSPECTION)."""
    gateway: Gateway = request.app.state.gateway
    principal: Principal = request.state.principal
    if not (principal.is_admin or gateway.settings.open_introspection):
        denied = AdminRequiredError(
            "The schema file needs the admin role (or DEXGATE_OPEN_INTROSPECTION=true)."
        )
        return _refused(denied)
    catalog = await gateway.registry.current()
    schema, _catalog = await gateway.schemas.serving(catalog)
    return PlainTextResponse(
        print_schema(schema) + "\n",
        media_type="application/graphql",
        headers={"Content-Disposition": 'inline; filename="schema.graphql"'},
    )


routes = [
    Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
    Route("/graphql/schema.graphql", schema_file, methods=["GET"]),
]
