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


def error_response(errors: list[DexgateError], status: int | None = None) -> Response:
    """Spryker's error body; the status is the last error's unless given."""
    headers: dict[str, str] = {}
    for error in errors:
        if isinstance(error, RouteMethodNotAllowedError):
            headers["Allow"] = ", ".join(error.allowed)
        if isinstance(error, ServiceUnavailableError):
            headers["Retry-After"] = "5"
    return JSONResponse(
        [e.as_dict() for e in errors],
        status_code=status if status is not None else errors[-1].status,
        headers=headers,
    )


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
