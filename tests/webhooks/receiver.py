"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1 (uvicorn, in the test's
event loop) that answers as told and verifies every signature with ``standardwebhooks``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    """Answers with ``answers`` in turn (then 200), keeps what it was sent."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.received: list[Received] = []
        self.secret = ""
        self.url = ""
        # how long the default answer takes; and the ids sent again while still being sent
        self.delay = 0.0
        self.overlaps: list[str] = []
        self._in_flight: set[str] = set()

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        message = request.headers.get("webhook-id", "")
        if message in self._in_flight:
            self.overlaps.append(message)
        self._in_flight.add(message)
        self.received.append(Received(dict(request.headers), body))
        answer = self.answers.pop(0) if self.answers else Answer(delay=self.delay)
        try:
            if answer.delay:
                await asyncio.sleep(answer.delay)
        finally:
            self._in_flight.discard(message)
        return Response("ok" if answer.status < 300 else "no", answer.status, answer.headers)

    def verified(self) -> list[dict[str, Any]]:
        """Every event received, each signature checked as a receiver checks it."""
        checker = Webhook(self.secret)
        events = []
        for item in self.received:
            payload = checker.verify(item.body, item.headers)
            assert item.headers["webhook-id"] == str(payload["id"])
            events.append(item.event)
        return events


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    for _ in range(1000):  # up to 10 s to bind and start
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "the receiver did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
