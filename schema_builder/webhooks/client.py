"""The HTTP/1.1 client webhook attempts are sent with: requests written as bytes, answers read
by httptools (llhttp's parser, the one uvicorn reads requests with) over asyncio streams,
connections kept alive in a pool per origin (scheme, address, port and TLS server name).

Why not httpx's ``AsyncClient`` (which sent them before): measured on the shared two-core
machine of the bench, POSTing a small JSON body to a local uvicorn receiver (load average
4 to 5 from other work at the time), 3,000 requests each:

=============  ====================  ===========================
at once        httpx 0.28 (req/s)    this client, h11 (req/s)
=============  ====================  ===========================
1              970                   3,800
8              346 (pool of 8)       9,574
32             167 (pool of 32)      7,903
=============  ====================  ===========================

Why not h11 (which this client used first): a profile of ``dexgate serve`` delivering 40,000
events to a local receiver on MariaDB (2,000 samples) found a quarter of the process's time
in h11: building and checking each request's headers, its state machine, reading the
answer. The headers here are dexgate's own, checked once below; httptools parses in C.

httpx got slower the more requests were in flight: a profile of ``dexgate serve`` delivering
showed 70 % of its time in httpcore's pool, which, for every request it hands out, walks every
connection asking whether it has expired (a ``select`` on each socket). A delivery worker
sending 2,000 events a second needs many requests in flight; this client hands a request an
idle connection from a list and checks only that one.

An attempt has one deadline, for all of it (connecting, TLS, sending, the answer): the
caller's ``asyncio.timeout``. A kept connection the receiver closed while idle fails before
any answer comes; the request is then sent once more on a new connection (a receiver that
closed it had not taken the request).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import time
from dataclasses import dataclass, field

import httptools

# an answer's body is read up to this much (the attempt keeps its first 500 characters);
# the connection of a longer one is not kept
LONGEST_BODY = 64 * 1024
# a kept connection idle longer than this is closed rather than used (receivers close
# theirs after a few seconds: uvicorn after 5, nginx after 75)
KEPT_IDLE = 4.0
READ_SIZE = 65536
# what no request line or header may hold: control characters (CR and LF would end it)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    address: str
    port: int
    server_name: str


class ProtocolError(Exception):
    """The receiver's answer was not HTTP/1.1 dexgate can read, or a request could not be
    written (a control character in a header)."""


class ReusedConnectionClosedError(Exception):
    """A kept connection closed by the receiver before it answered."""


def request_head(target: str, headers: list[tuple[str, str]], length: int) -> bytes:
    """The request line and headers of a POST of ``length`` bytes."""
    parts = "".join(f"{name}:{value}" for name, value in headers)
    if _UNSAFE.search(target + parts) or " " in target:
        raise ProtocolError("a request target or header holds a character HTTP does not allow")
    lines = [f"POST {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers)]
    lines.append(f"content-length: {length}\r\n\r\n")
    try:
        return "\r\n".join(lines).encode("ascii")
    except UnicodeEncodeError as exc:
        raise ProtocolError("a request target or header is not ASCII") from exc


class _Reading:
    """The parser's callbacks: the answer as it is read."""

    __slots__ = ("body", "complete", "headers", "keep_alive", "parser", "size")

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.size = 0
        self.complete = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        # known here, from the version and Connection header (no longer after the message)
        self.keep_alive = self.parser.should_keep_alive()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, data: bytes) -> None:
        if self.size < LONGEST_BODY:
            self.body.append(data[: LONGEST_BODY - self.size])
        self.size += len(data)

    def on_message_complete(self) -> None:
        self.complete = True


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0
    keep: bool = field(default=False)

    def usable(self) -> bool:
        return (
            not self.reader.at_eof()
            and not self.writer.is_closing()
            and time.monotonic() - self.idle_since < KEPT_IDLE
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def exchange(self, head: bytes, body: bytes, reused: bool) -> Answer:
        self.keep = False
        self.writer.write(head + body)
        await self.writer.drain()
        reading = _Reading()
        parser = reading.parser
        started = False
        while not reading.complete and reading.size <= LONGEST_BODY:
            data = await self.reader.read(READ_SIZE)
            if not data:
                if reused and not started:
                    raise ReusedConnectionClosedError
                break  # closed by the receiver: what came is the answer
            started = True
            try:
                parser.feed_data(data)
            except httptools.HttpParserUpgrade as exc:
                raise ProtocolError("the receiver switched protocols") from exc
            except httptools.HttpParserError as exc:
                raise ProtocolError(f"the answer is not HTTP/1.1: {exc}") from exc
        status = parser.get_status_code() if started else 0
        if not status:
            raise ProtocolError("the connection closed without an answer")
        self.keep = reading.complete and reading.keep_alive
        return Answer(status, reading.headers, b"".join(reading.body))

    def reusable(self) -> bool:
        if not self.keep:
            return False
        self.idle_since = time.monotonic()
        return True


class WebhookClient:
    """POSTs over kept-alive connections; at most ``keep`` idle ones kept per origin."""

    def __init__(self, keep: int = 64, tls: ssl.SSLContext | None = None) -> None:
        self.keep = keep
        self._tls = tls
        self._idle: dict[Origin, list[_Connection]] = {}

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
            with contextlib.suppress(ImportError):  # the CA bundle httpx trusted, if there
                import certifi

                self._tls.load_verify_locations(certifi.where())
        return self._tls

    async def _connect(self, origin: Origin) -> _Connection:
        tls = self._context() if origin.scheme == "https" else None
        reader, writer = await asyncio.open_connection(
            origin.address,
            origin.port,
            ssl=tls,
            server_hostname=origin.server_name if tls is not None else None,
            limit=READ_SIZE * 2,
        )
        return _Connection(reader, writer)

    def _take(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.usable():
                return connection
            connection.close()
        return None

    def _give_back(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) < self.keep:
            idle.append(connection)
        else:
            connection.close()

    async def post(
        self, origin: Origin, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Answer:
        """POST ``body`` to ``target`` (path and query) at ``origin``; ``headers`` hold
        ``Host``. Raises OSError, :class:`ProtocolError` or TimeoutError (from the caller's
        deadline)."""
        head = request_head(target, headers, len(body))
        kept = self._take(origin)
        if kept is not None:
            try:
                return await self._exchange(origin, kept, head, body, reused=True)
            except (ReusedConnectionClosedError, ConnectionResetError, BrokenPipeError):
                pass  # closed by the receiver while idle: once more, on a new connection
        connection = await self._connect(origin)
        return await self._exchange(origin, connection, head, body, reused=False)

    async def _exchange(
        self,
        origin: Origin,
        connection: _Connection,
        head: bytes,
        body: bytes,
        reused: bool,
    ) -> Answer:
        done = False
        try:
            answer = await connection.exchange(head, body, reused)
            done = True
        finally:
            if done and connection.reusable():
                self._give_back(origin, connection)
            else:
                connection.close()
        return answer

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
