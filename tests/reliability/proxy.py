"""A TCP forwarder to the PostgreSQL server that a test can cut, close and reopen: the
database going away and coming back, without touching the server other tests share."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Literal

Mode = Literal["forward", "blackhole"]


class Proxy:
    """Forwards connections from ``127.0.0.1:port`` to ``target``.

    ``cut()`` drops every open connection (as a crash or a network failure would),
    ``close()`` stops accepting (connection refused), ``open()`` accepts again on the same
    port, ``stall()`` and ``blackhole()`` stop answering (a host that vanished), and
    ``forward()`` answers again.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.mode: Mode = "forward"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.cut()

    def cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def stall(self) -> None:
        """Open connections go silent; new ones are accepted and never answered."""
        self.mode = "blackhole"

    def blackhole(self) -> None:
        """No connection is answered, and the open ones are dropped."""
        self.mode = "blackhole"
        self.cut()

    def forward(self) -> None:
        self.mode = "forward"

    async def stop(self) -> None:
        await self.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.mode == "blackhole":
            return  # keep the connection open and say nothing
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(upstream_writer)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                if self.mode == "blackhole":
                    continue
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.transport.abort()
            self._writers.discard(sink)
