"""The GraphQL endpoint at ``/graphql``: parse (cached), validate (cached per schema), execute
against the schema of the current catalog, and report errors with codes in ``extensions``.

Request errors (malformed body, syntax, validation, variables) answer 400; once execution
starts the answer is 200 with ``data`` and ``errors``. An unexpected exception is logged and
reported as a generic ``DX500`` error; its text never reaches the client.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    print_schema,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from app.errors import RETRY_AFTER
from app.gateway import Gateway
from app.graphql_limits import (
    MAX_TOKENS,
    GraphQLLimits,
    LimitExceeded,
    execution_exceeded,
    length_exceeded,
    shape_rule,
)
from app.graphql_suggestions import without_suggestions
from app.json_input import DuplicateKeyError, loads
from app.responses import JSONResponse, json_text_response
from app.settings import Settings
from auth.errors import AdminRequiredError
from auth.principal import Principal
from schema_builder.errors import DexgateError
from schema_builder.graphql_execution import SerialExecutionContext
from schema_builder.graphql_fast import execute_query
from schema_builder.graphql_json import execute_text, variables_key
from schema_builder.graphql_resolvers import GraphQLContext, ManyErrorsError, to_graphql_error

logger = logging.getLogger("dexgate.graphql")

SYNTAX = "DX110"
VALIDATION = "DX111"
VARIABLES = "DX112"
MALFORMED = "DX113"
INTERNAL = "DX500"


class GraphQLRequestError(Exception):
    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def _error_body(errors: list[dict[str, Any]], status: int) -> Response:
    return JSONResponse({"errors": errors}, status_code=status)


def _formatted(error: GraphQLError, code: str, status: int = 400) -> dict[str, Any]:
    out: dict[str, Any] = dict(error.formatted)
    out["extensions"] = {"code": code, "status": status, **(out.get("extensions") or {})}
    return out


class _DocumentCache:
    """Parsed documents by query text; validation results and the verdicts of the execution
    limits by schema and query text (the latter also by the variables the limits depend on).
    Entries hold the schema they were made with, so that an id is never taken for another's."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._valid: OrderedDict[
            Hashable, tuple[GraphQLSchema, GraphQLLimits, list[GraphQLError]]
        ] = OrderedDict()
        self._limits: OrderedDict[
            Hashable, tuple[GraphQLSchema, GraphQLLimits, LimitExceeded | None]
        ] = OrderedDict()

    def document(self, query: str) -> DocumentNode:
        document = self._documents.get(query)
        if document is None:
            try:
                document = parse(query, max_tokens=MAX_TOKENS)
            except RecursionError:
                raise GraphQLRequestError("The query is nested too deeply.", SYNTAX) from None
            self._documents[query] = document
            if len(self._documents) > self.size:
                self._documents.popitem(last=False)
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
        _remember(self._valid, key, (schema, limits, errors), self.size)
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
    ) -> LimitExceeded | None:
        """:func:`execution_exceeded`, judged once per the ``values`` it depends on (see
        :func:`variables_key`; None when they cannot be a key)."""
        if values is None:
            return execution_exceeded(schema, document, operation, variables, limits)
        key: Hashable = (id(schema), query, operation, id(limits), values)
        known = self._limits.get(key)
        if known is not None and known[0] is schema and known[1] is limits:
            return known[2]
        verdict = execution_exceeded(schema, document, operation, variables, limits)
        _remember(self._limits, key, (schema, limits, verdict), self.size)
        return verdict


def _remember(entries: OrderedDict[Hashable, Any], key: Hashable, value: Any, size: int) -> None:
    entries[key] = value
    entries.move_to_end(key)
    if len(entries) > size:
        entries.popitem(last=False)


_cache = _DocumentCache()


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
            raise GraphQLRequestError(f"`variables` names `{exc.key}` twice.", MALFORMED) from None
        except (ValueError, RecursionError):
            raise GraphQLRequestError("`variables` is not valid JSON.", MALFORMED) from None
        operation = params.get("operationName")
    else:
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        raw = await request.body()
        if media == "application/graphql":
            try:
                query, variables, operation = raw.decode("utf-8"), None, None
            except UnicodeDecodeError:
                raise GraphQLRequestError("The query is not valid UTF-8.", MALFORMED) from None
        elif media in ("application/json", "") or media.endswith("+json"):
            try:
                body = loads(raw)
            except DuplicateKeyError as exc:
                raise GraphQLRequestError(
                    f"The body is not valid JSON for GraphQL: it names `{exc.key}` twice in one "
                    "object.",
                    MALFORMED,
                ) from None
            except (ValueError, RecursionError):
                raise GraphQLRequestError("The body is not valid JSON.", MALFORMED) from None
            if not isinstance(body, dict):
                raise GraphQLRequestError(
                    'The body must be an object: {"query": "...", "variables": {...}}.', MALFORMED
                )
            query, variables, operation = (
                body.get("query"),
                body.get("variables"),
                body.get("operationName"),
            )
        else:
            raise GraphQLRequestError(
                f"Unsupported Content-Type `{media}`: send application/json.", MALFORMED, 415
            )
    if not isinstance(query, str) or not query.strip():
        raise GraphQLRequestError('No query: send {"query": "{ ... }"}.', MALFORMED)
    too_long = length_exceeded(query, limits)
    if too_long is not None:
        raise GraphQLRequestError(too_long.message, too_long.code, too_long.status)
    if variables is not None and not isinstance(variables, dict):
        raise GraphQLRequestError("`variables` must be an object.", MALFORMED)
    if operation is not None and not isinstance(operation, str):
        raise GraphQLRequestError("`operationName` must be a string.", MALFORMED)
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


def _located(error: GraphQLError, at: GraphQLError) -> dict[str, Any]:
    """``error`` reported where ``at`` happened."""
    out: dict[str, Any] = dict(error.formatted)
    out["locations"] = at.formatted.get("locations")
    out["path"] = at.path
    return out


def _errors_of(result: ExecutionResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for error in result.errors or ():
        original = error.original_error
        if isinstance(original, ManyErrorsError):
            for item in original.errors:
                out.append(_located(to_graphql_error(item), error))
            continue
        if isinstance(original, DexgateError):
            out.append(_located(to_graphql_error(original), error))
            continue
        if original is not None and not isinstance(original, GraphQLError):
            logger.error("Unhandled error in GraphQL resolver at %s", error.path, exc_info=original)
            out.append(
                {
                    "message": "Internal server error. The incident has been logged.",
                    "locations": error.formatted.get("locations"),
                    "path": error.path,
                    "extensions": {"code": INTERNAL, "status": 500},
                }
            )
            continue
        formatted: dict[str, Any] = dict(error.formatted)
        if "code" not in (formatted.get("extensions") or {}):
            code = VARIABLES if error.path is None else VALIDATION
            formatted["extensions"] = {"code": code, "status": 400}
        out.append(formatted)
    return out


_limits: tuple[Settings, GraphQLLimits] | None = None


def _limits_of(settings: Settings) -> GraphQLLimits:
    global _limits
    known = _limits
    if known is None or known[0] is not settings:
        known = _limits = (settings, GraphQLLimits.of(settings))
    return known[1]


async def graphql_endpoint(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    limits = _limits_of(gateway.settings)
    try:
        query, variables, operation = await _read_request(request, limits)
        catalog = await gateway.registry.current()
        schema, catalog = await gateway.schemas.serving(catalog)
        try:
            document = _cache.document(query)
        except GraphQLError as exc:
            return _error_body([_formatted(exc, SYNTAX)], 400)
        principal: Principal = request.state.principal
        introspection = principal.is_admin or gateway.settings.open_introspection
        errors = _cache.validation(schema, query, document, introspection, limits)
        if errors:
            if not introspection and any(_is_introspection_error(e) for e in errors):
                denied = AdminRequiredError(
                    "Introspection needs the admin role (or DEXGATE_OPEN_INTROSPECTION=true)."
                )
                return _error_body(
                    [
                        {
                            "message": denied.message,
                            "extensions": {"code": denied.code, "status": denied.status},
                        }
                    ],
                    403,
                )
            return _error_body([_formatted(e, VALIDATION) for e in errors], 400)
        if request.method == "GET" and _is_mutation(document, operation):
            return _error_body(
                [
                    {
                        "message": "Mutations need POST.",
                        "extensions": {"code": MALFORMED, "status": 405},
                    }
                ],
                405,
            )
        try:
            values: Hashable | None = variables_key(schema, document, operation, variables or {})
        except TypeError:  # values that cannot be a key
            values = None
        exceeded = _cache.exceeded(schema, query, document, operation, variables, limits, values)
        if exceeded is not None:
            raise GraphQLRequestError(exceeded.message, exceeded.code, exceeded.status)
    except GraphQLRequestError as exc:
        return _error_body(
            [{"message": exc.message, "extensions": {"code": exc.code, "status": exc.status}}],
            exc.status,
        )
    context = GraphQLContext(
        engine=gateway.engine,
        reader=gateway.reader,
        catalog=catalog,
        max_page_size=gateway.settings.max_page_size,
        default_page_size=gateway.settings.default_page_size,
        access=principal.permissions,
    )
    text = await execute_text(schema, document, variables, operation, context, values)
    if text is not None:
        return json_text_response(text)
    fast = await execute_query(schema, document, variables, operation, context)
    if fast is not None:
        return JSONResponse({"data": fast})
    outcome = execute(
        schema,
        document,
        variable_values=variables,
        operation_name=operation,
        context_value=context,
        execution_context_class=SerialExecutionContext,
    )
    result = await outcome if isinstance(outcome, Awaitable) else outcome
    body: dict[str, Any] = {}
    status = 200
    headers: dict[str, str] = {}
    if result.errors:
        if not introspection:  # a variable's value is checked here: "Did you mean" too
            result.errors = without_suggestions(result.errors)
        body["errors"] = _errors_of(result)
        if result.data is None and all(e.path is None for e in result.errors):
            status = 400
        # The database unavailable or out of time: the whole request failed for a reason of
        # the server's, which clients and load balancers should see in the status.
        failed = {e.get("extensions", {}).get("status") for e in body["errors"]} & {503, 504}
        if failed:
            status = max(failed)
            logger.error("GraphQL request answered %s: %s", status, body["errors"][0]["message"])
            if 503 in failed:
                headers["Retry-After"] = RETRY_AFTER
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
        return _error_body(
            [{"message": denied.message, "extensions": {"code": denied.code, "status": 403}}],
            403,
        )
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
