"""uvicorn's httptools protocol with the request head bounded: ``dexgate serve``'s HTTP/1.1.

httptools bounds the request line but not the headers: a client sending a 100 MiB header got
its request served after the server had buffered all of it (and copied it more than once). This
protocol counts the bytes of each request's head (request line and headers) as they arrive,
before the parser buffers them, and the headers as the parser reports them. Past
``max_header_size`` bytes or ``max_headers`` headers it answers 431 ``DX135`` at once and
closes the connection (what still comes within a moment is read and discarded, so that the
client gets the answer rather than a reset), so a connection never holds more than the
limit plus one read of the socket.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, cast

import httptools
import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from schema_builder.errors import HeadersTooLargeError

_END_OF_HEAD = b"\r\n\r\n"
# How long a refused connection is still read (and what comes discarded) before it is closed.
LINGER_SECONDS = 2.0


class _TooManyHeadersError(httptools.HttpParserError):
    """Raised from the parser's header callback to stop it; the 431 is already sent."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` refusing heads over ``max_header_size`` bytes or
    ``max_headers`` headers with 431."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        max_header_size: int,
        max_headers: int,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_header_size = max_header_size
        self.max_headers = max_headers
        self._in_head = True  # the next bytes belong to a request's line and headers
        self._head_bytes = 0
        self._tail = b""  # the head's last bytes, for an end of head split between reads
        self._header_count = 0
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head and not self._head_fits(data):
            self._refuse()
            return
        super().data_received(data)

    def _head_fits(self, data: bytes) -> bool:
        """Count ``data`` up to the end of the head, if it is in it; False past the limit."""
        window = self._tail + data
        end = window.find(_END_OF_HEAD)
        self._head_bytes += len(data) if end == -1 else end + len(_END_OF_HEAD) - len(self._tail)
        self._tail = window[-(len(_END_OF_HEAD) - 1) :]
        return self._head_bytes <= self.max_header_size

    def on_message_begin(self) -> None:
        self._header_count = 0
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.max_headers:
            self._refuse()
            raise _TooManyHeadersError()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        self._tail = b""
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # the parser stopped because the 431 was sent
            super().send_400_response(msg)

    def _refuse(self) -> None:
        self._refused = True
        body = orjson.dumps(
            [HeadersTooLargeError(self.max_header_size, self.max_headers).as_dict()]
        )
        head = [STATUS_LINE[431]]
        head += [
            name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
        ]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        # Closing a socket with unread bytes resets the connection, and the client may lose
        # the answer with it: end the sending side, discard what still comes, close shortly.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def factory(max_header_size: int, max_headers: int) -> type[asyncio.Protocol]:
    """What uvicorn's ``http`` option takes: the protocol with these bounds (a partial, which
    uvicorn calls as it would the class, and which pickles for its worker processes)."""
    bound = functools.partial(
        BoundedHttpToolsProtocol, max_header_size=max_header_size, max_headers=max_headers
    )
    return cast("type[asyncio.Protocol]", bound)
