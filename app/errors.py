"""Errors become responses here and only here.

REST answers with Spryker's bare error array ``[{"status", "code", "message"}]``. Anything that
is not a :class:`~schema_builder.errors.DexgateError` is logged with its traceback and answered
with a generic 500; no stack trace reaches a client.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.responses import JSONResponse
from schema_builder.errors import (
    DexgateError,
    InternalError,
    RouteMethodNotAllowedError,
    RouteNotFoundError,
    ServiceUnavailableError,
)

logger = logging.getLogger("dexgate.errors")

# Seconds a client is asked to wait before retrying when the database is unavailable.
RETRY_AFTER = "5"


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
        [e.as_dict() for e in errors],
        status_code=status if status is not None else errors[-1].status,
        headers=error_headers(errors),
    )


def refusal(path: str, error: DexgateError) -> Response:
    """An error met around the endpoints (a body too large, a request out of time, the
    database away while credentials or the catalog were checked), in the shape of the API
    ``path`` belongs to: GraphQL's ``{"errors": [...]}`` with the code in ``extensions``,
    RFC 6749's ``{"error", "error_description"}`` for ``/token``, Spryker's array elsewhere."""
    if path == "/graphql" or path.startswith("/graphql/"):
        body: object = {
            "errors": [
                {
                    "message": error.message,
                    "extensions": {"code": error.code, "status": error.status},
                }
            ]
        }
    elif path == "/token" or path.startswith("/token/"):
        kind = "temporarily_unavailable" if error.status >= 500 else "invalid_request"
        body = {"error": kind, "error_description": error.message}
    else:
        body = [error.as_dict()]
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
    return JSONResponse(
        [{"status": exc.status_code, "code": f"DX{exc.status_code}", "message": exc.detail}],
        status_code=exc.status_code,
    )


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response([InternalError()])
