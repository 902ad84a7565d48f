"""Errors become REST responses here and only here.

REST answers with Spryker's bare error array ``[{"status", "code", "message"}]``
(:func:`rest_errors`; GraphQL's form is :mod:`schema_builder.graphql.errors`). Anything that
is not a :class:`~schema_builder.errors.DexgateError` is logged with its traceback and answered
with a generic 500; no stack trace reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.responses import JSONResponse
from schema_builder.errors import (
    ApiError,
    DexgateError,
    InternalError,
    RequestError,
    RouteMethodNotAllowedError,
    RouteNotFoundError,
    ServiceUnavailableError,
)
from schema_builder.graphql.errors import errors_body

logger = logging.getLogger("dexgate.errors")

# Seconds a client is asked to wait before retrying when the database is unavailable.
RETRY_AFTER = "5"


class UnreadableFormError(RequestError):
    """A form body Starlette cannot parse (a multipart body without its boundary): the Back
    Office's forms and ``POST /token``."""

    code = "DX138"


def rest_errors(errors: Sequence[ApiError]) -> list[dict[str, object]]:
    """Spryker's error array: each error's status, code and message."""
    return [e.as_dict() for e in errors]


def error_headers(errors: list[DexgateError]) -> dict[str, str]:
    """``Allow`` for a method not allowed, ``Retry-After`` for an unavailable database."""
    headers: dict[str, str] = {}
    for error in errors:
        if isinstance(error, RouteMethodNotAllowedError):
            headers["Allow"] = ", ".join(error.allowed)
        if isinstance(error, ServiceUnavailableError):
            headers["Retry-After"] = RETRY_AFTER
    return headers


def error_response(errors: list[DexgateError], status: int | None = None) -> Response:
    """Spryker's error body; the status is the last error's unless given."""
    return JSONResponse(
        rest_errors(errors),
        status_code=status if status is not None else errors[-1].status,
        headers=error_headers(errors),
    )


def refusal(path: str, error: DexgateError) -> Response:
    """An error met around the endpoints (a body too large, a request out of time, the
    database away while credentials or the catalog were checked), in the shape of the API
    ``path`` belongs to: GraphQL's ``{"errors": [...]}`` with the code in ``extensions``,
    RFC 6749's ``{"error", "error_description"}`` for ``/token``, Spryker's array elsewhere."""
    if path == "/graphql" or path.startswith("/graphql/"):
        body: object = errors_body([error])
    elif path == "/token" or path.startswith("/token/"):
        kind = "temporarily_unavailable" if error.status >= 500 else "invalid_request"
        body = {"error": kind, "error_description": error.message}
    else:
        body = rest_errors([error])
    return JSONResponse(body, status_code=error.status, headers=error_headers([error]))


async def handle_dexgate_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DexgateError)
    if exc.status >= 500:
        logger.error("%s: %s", exc.code, exc.message, exc_info=exc.__cause__)
    return error_response([exc])


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response([RouteNotFoundError(request.url.path)])
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "").split(", ")
        return error_response([RouteMethodNotAllowedError(request.method, allowed)])
    return error_response([UnreadableFormError(exc.detail)])


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response([InternalError()])
