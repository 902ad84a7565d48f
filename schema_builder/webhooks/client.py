"""The HTTP/1.1 client webhook attempts are sent with: h11 over asyncio streams, connections
kept alive in a pool per origin (scheme, address, port and TLS server name).

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
import ssl
import time
from dataclasses import dataclass, field

import h11

# an answer's body is read up to this much (the attempt keeps its first 500 characters);
# the connection of a longer one is not kept
LONGEST_BODY = 64 * 1024
# a kept connection idle longer than this is closed rather than used (receivers close
# theirs after a few seconds: uvicorn after 5, nginx after 75)
KEPT_IDLE = 4.0
READ_SIZE = 65536


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


class ReusedConnectionClosedError(Exception):
    """A kept connection closed by the receiver before it answered."""


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    protocol: h11.Connection = field(default_factory=lambda: h11.Connection(h11.CLIENT))
    idle_since: float = 0.0

    def usable(self) -> bool:
        return (
            not self.reader.at_eof()
            and not self.writer.is_closing()
            and time.monotonic() - self.idle_since < KEPT_IDLE
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def exchange(self, request: h11.Request, body: bytes, reused: bool) -> Answer:
        protocol = self.protocol
        self.writer.write(
            protocol.send(request)
            + protocol.send(h11.Data(data=body))
            + protocol.send(h11.EndOfMessage())
        )
        await self.writer.drain()
        answer: h11.Response | None = None
        chunks: list[bytes] = []
        size = 0
        while True:
            event = protocol.next_event()
            if event is h11.NEED_DATA:
                data = await self.reader.read(READ_SIZE)
                if not data and reused and answer is None:
                    raise ReusedConnectionClosedError
                protocol.receive_data(data)
                continue
            if isinstance(event, h11.Response):
                answer = event
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > LONGEST_BODY:
                    break
                chunks.append(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed) or event is h11.PAUSED:
                break
        if answer is None:
            raise h11.RemoteProtocolError("the connection closed without an answer")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in answer.headers}
        return Answer(answer.status_code, headers, b"".join(chunks))

    def reusable(self) -> bool:
        protocol = self.protocol
        if protocol.our_state is not h11.DONE or protocol.their_state is not h11.DONE:
            return False
        protocol.start_next_cycle()
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
        ``Host``. Raises OSError, h11.ProtocolError or TimeoutError (from the caller's
        deadline)."""
        request = h11.Request(
            method="POST",
            target=target,
            headers=[*headers, ("content-length", str(len(body)))],
        )
        kept = self._take(origin)
        if kept is not None:
            try:
                return await self._exchange(origin, kept, request, body, reused=True)
            except (ReusedConnectionClosedError, ConnectionResetError, BrokenPipeError):
                pass  # closed by the receiver while idle: once more, on a new connection
        connection = await self._connect(origin)
        return await self._exchange(origin, connection, request, body, reused=False)

    async def _exchange(
        self,
        origin: Origin,
        connection: _Connection,
        request: h11.Request,
        body: bytes,
        reused: bool,
    ) -> Answer:
        done = False
        try:
            answer = await connection.exchange(request, body, reused)
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
