"""The outer bounds of every request: how large its body may be, how long it may take, and
what it gets when the database fails it outside the operations.

:class:`RequestGuard` wraps the whole application, authentication included:

- a body larger than ``DEXGATE_MAX_BODY_SIZE`` is refused with 413 ``DX130``: at once when its
  ``Content-Length`` says so, before anything else (credentials included) is looked at;
  otherwise as soon as the bytes streamed in pass the limit, without reading the rest;
- a request that has not started its answer ``DEXGATE_REQUEST_TIMEOUT`` seconds after it
  arrived is answered 504 ``DX504`` then and there, and cancelled. Cancelling closes its
  database connection with its transaction uncommitted, so nothing it wrote is kept. The
  deadline is published to the database layer (``request_deadline``), where SQLite statements
  are interrupted at it. It no longer applies once the answer has started, so a slow client
  reading a large answer is not cut off;
- the database failing where no operation translates its errors (the credential lookup, the
  catalog's version check, the token endpoint) is answered 503 ``DX503`` (or 504) as inside
  the operations, instead of a 500.

Refusals take the shape of the API the path belongs to (see :func:`app.errors.refusal`).
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import refusal
from schema_builder.errors import BodyTooLargeError, DexgateError, RequestTimeoutError
from schema_builder.operations.db_errors import Deadline, infrastructure_error, request_deadline

logger = logging.getLogger("dexgate.guard")


class _BodyOverLimitError(Exception):
    """Raised into the application by ``receive`` once the body passes the limit.

    Not a DexgateError, so that no endpoint's handler shapes it: it comes back out to the
    guard, which answers in the shape of the path's API."""


class RequestGuard:
    """Limits the body to ``max_body_size`` bytes and the request to ``timeout`` seconds, and
    answers database failures that reach it with 503.

    At the deadline the 504 is sent at once, from a task of its own, and the request's task is
    cancelled: the answer does not wait for the cancelled work to wind down (closing a
    connection to a database that stopped answering waits a while), and whatever that work
    still tries to send is dropped."""

    def __init__(self, app: ASGIApp, *, max_body_size: int, timeout: float) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_size:
            await refusal(path, BodyTooLargeError(self.max_body_size))(scope, receive, send)
            return

        received = 0
        started = False
        reply: asyncio.Task[None] | None = None
        request_task = asyncio.current_task()
        assert request_task is not None

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_size:
                    raise _BodyOverLimitError
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if reply is not None:  # cut off: the guard has answered for it
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        def expire() -> None:
            nonlocal reply
            if started:  # the answer is under way: sending it has no deadline
                return
            failure = RequestTimeoutError(self.timeout)
            self._log(scope, failure, None)
            reply = asyncio.create_task(self._answer(path, failure, scope, receive, send))
            request_task.cancel()

        timer = asyncio.get_running_loop().call_later(self.timeout, expire)
        token = request_deadline.set(Deadline(time.monotonic() + self.timeout, self.timeout))
        try:
            try:
                await self.app(scope, limited_receive, watched_send)
            finally:
                timer.cancel()
        except asyncio.CancelledError:
            if reply is None:  # cancelled by the server (client gone, shutting down)
                raise
        except Exception as exc:
            if reply is not None:
                logger.warning("%s %s failed while cancelled", scope["method"], path, exc_info=exc)
            else:
                failure = self._failure(exc)
                if failure is None or started:
                    raise
                self._log(scope, failure, exc)
                await refusal(path, failure)(scope, receive, send)
        finally:
            request_deadline.reset(token)
        if reply is not None:
            request_task.uncancel()  # the cancellation was ours, and it is over
            await reply

    @staticmethod
    async def _answer(
        path: str, failure: DexgateError, scope: Scope, receive: Receive, send: Send
    ) -> None:
        await refusal(path, failure)(scope, receive, send)

    def _failure(self, exc: Exception) -> DexgateError | None:
        if isinstance(exc, _BodyOverLimitError):
            return BodyTooLargeError(self.max_body_size)
        return infrastructure_error(exc)

    def _log(self, scope: Scope, failure: DexgateError, exc: Exception | None) -> None:
        where = f"{scope['method']} {scope['path']}"
        if isinstance(failure, RequestTimeoutError):
            logger.warning(
                "%s: cancelled after %g s (DEXGATE_REQUEST_TIMEOUT)", where, self.timeout
            )
        elif failure.status >= 500:
            logger.error("%s on %s: %s", failure.code, where, failure.message, exc_info=exc)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
