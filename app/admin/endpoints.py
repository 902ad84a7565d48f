"""How Back Office endpoints run: pages and actions, and their errors as friendly pages.

Every state-changing endpoint is an :func:`action`: its form is read and its CSRF token checked
before the handler sees it, so no handler can forget the check. Errors become pages here and
only here: a wrong CSRF token is a 403 page, a missing thing a 404 page, anything unexpected is
logged and shown as a 500 page without its details.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.admin.forms import CsrfError, Form, read_form
from app.admin.templating import render
from app.gateway import Gateway
from auth.audit import SYSTEM
from auth.store import NotFoundError
from schema_builder.errors import DexgateError
from schema_builder.operations.db_errors import infrastructure_error

logger = logging.getLogger("dexgate.admin")

Page = Callable[[Request], Awaitable[Response]]
Action = Callable[[Request, Form], Awaitable[Response]]


class PageNotFoundError(Exception):
    """What the page shows does not exist; the message says what."""


def error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, CsrfError):
        return render(
            request,
            "error.html",
            403,
            title="Form expired",
            message="This form was not sent from a page of your session (it may be older "
            "than your last login). Reload the page and try again.",
        )
    if isinstance(exc, PageNotFoundError | NotFoundError):
        return render(request, "error.html", 404, title="Not found", message=str(exc))
    outage = exc if isinstance(exc, DexgateError) else infrastructure_error(exc)
    if outage is not None and outage.status in (503, 504):
        logger.warning(
            "Back Office: the database failed %s %s: %s",
            request.method,
            request.url.path,
            outage.message,
        )
        response = render(
            request,
            "error.html",
            outage.status,
            title="Database unavailable",
            message="The database did not answer, so the request could not be completed; "
            "try again in a moment.",
        )
        response.headers["Retry-After"] = "5"
        return response
    logger.error("Back Office error on %s %s", request.method, request.url.path, exc_info=exc)
    return render(
        request,
        "error.html",
        500,
        title="Something went wrong",
        message="The request could not be completed. The incident has been logged.",
    )


def safely(endpoint: Page) -> Page:
    """``endpoint`` with its errors shown as pages."""

    @functools.wraps(endpoint)
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as exc:
            return error_page(request, exc)

    return run


def page(path: str, endpoint: Page) -> Route:
    """A GET route that shows a page."""
    return Route(path, safely(endpoint), methods=["GET"])


def action(path: str, endpoint: Action) -> Route:
    """A POST route whose form carries the session's CSRF token."""

    async def run(request: Request) -> Response:
        return await endpoint(request, await read_form(request))

    run.__name__ = endpoint.__name__
    return Route(path, safely(run), methods=["POST"])


def actor_of(request: Request) -> str:
    """How the audit log names the admin making a change."""
    principal = getattr(request.state, "principal", None)
    return principal.label if principal is not None else SYSTEM


async def not_found(request: Request) -> Response:
    raise PageNotFoundError(f"There is no Back Office page at {request.url.path}.")


def revocation_note(gateway: Gateway) -> str:
    """How long other processes may still accept a revoked credential (see docs/auth.md)."""
    seconds = gateway.settings.auth_cache_seconds
    if seconds <= 0:
        return ""
    return f" Other dexgate processes follow within {seconds:g} s."
