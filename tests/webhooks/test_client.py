"""The webhook HTTP client: one kept connection for attempts one after another, a kept
connection the receiver closed replaced by a new one (the attempt succeeds), the body of an
answer read whole (up to a bound) and the deadline of the caller kept; answers that are not
HTTP, and headers HTTP does not allow, are failures of the attempt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from schema_builder.webhooks.client import LONGEST_BODY, Origin, ProtocolError, WebhookClient
from schema_builder.webhooks.sender import post

ANSWER = b"HTTP/1.1 202 Accepted\r\ncontent-length: 5\r\nretry-after: 7\r\n\r\nthank"


@dataclass
class Server:
    """Answers every request with ANSWER; closes a connection after ``close_after`` requests
    on it (without saying so); counts connections and requests."""

    close_after: int = 0
    delay: float = 0.0
    answer: bytes = ANSWER
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                self.requests.append(head + await reader.readexactly(length))
                await asyncio.sleep(self.delay)
                writer.write(self.answer)
                await writer.drain()
                served += 1
                if self.close_after and served >= self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    running = Server()
    listening = await asyncio.start_server(running.serve, "127.0.0.1", 0)
    running.port = listening.sockets[0].getsockname()[1]
    yield running
    listening.close()
    await listening.wait_closed()


async def test_attempts_one_after_another_share_one_connection(server: Server) -> None:
    client = WebhookClient()
    url = f"http://127.0.0.1:{server.port}/hook?x=1"
    try:
        for _ in range(3):
            outcome = await post(client, url, None, {"webhook-id": "1"}, b"{}", 5.0)
            assert (outcome.status_code, outcome.response, outcome.retry_after) == (
                202,
                "thank",
                7.0,
            )
    finally:
        await client.aclose()
    assert server.connections == 1
    assert server.requests[0].startswith(b"POST /hook?x=1 HTTP/1.1\r\n")
    assert f"host: 127.0.0.1:{server.port}".encode() in server.requests[0]


async def test_a_kept_connection_the_receiver_closed_is_replaced(server: Server) -> None:
    server.close_after = 1
    client = WebhookClient()
    try:
        for _ in range(3):
            answer = await client.post(
                Origin("http", "127.0.0.1", server.port, "127.0.0.1"),
                "/hook",
                [("host", "receiver.test")],
                b"{}",
            )
            assert answer.status == 202
            await asyncio.sleep(0.05)  # the receiver has closed it by now
    finally:
        await client.aclose()
    assert (server.connections, len(server.requests)) == (3, 3)


async def test_an_attempt_past_its_deadline_and_a_refused_connection_are_failures(
    server: Server,
) -> None:
    server.delay = 1.0
    client = WebhookClient()
    try:
        late = await post(client, f"http://127.0.0.1:{server.port}/", None, {}, b"{}", 0.2)
        assert (late.status_code, late.error) == (None, "no answer within 0.2 s")
        refused = await post(client, "http://127.0.0.1:9/", None, {}, b"{}", 2.0)
        assert refused.status_code is None
        assert refused.error is not None
        assert "Error" in refused.error
    finally:
        await client.aclose()


async def test_an_answer_that_closes_its_connection_is_read_and_the_connection_not_kept(
    server: Server,
) -> None:
    server.answer = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
    client = WebhookClient()
    try:
        for _ in range(2):
            outcome = await post(client, f"http://127.0.0.1:{server.port}/", None, {}, b"{}", 5.0)
            assert (outcome.status_code, outcome.response) == (200, "ok")
    finally:
        await client.aclose()
    assert server.connections == 2


async def test_a_long_answer_is_cut_and_its_connection_not_kept(server: Server) -> None:
    size = LONGEST_BODY * 3
    server.answer = f"HTTP/1.1 500 Oops\r\ncontent-length: {size}\r\n\r\n".encode() + b"x" * size
    client = WebhookClient()
    origin = Origin("http", "127.0.0.1", server.port, "127.0.0.1")
    try:
        first = await client.post(origin, "/", [("host", "r.test")], b"{}")
        second = await client.post(origin, "/", [("host", "r.test")], b"{}")
    finally:
        await client.aclose()
    assert (first.status, len(first.body), second.status) == (500, LONGEST_BODY, 500)
    assert server.connections == 2


@pytest.mark.parametrize(
    "answer",
    [b"SSH-2.0-OpenSSH_9.2\r\n\r\n", b"HTTP/1.1 abc\r\n\r\n", b""],
    ids=["not http", "no status", "nothing"],
)
async def test_an_answer_that_is_not_http_is_a_failed_attempt(
    server: Server, answer: bytes
) -> None:
    server.answer = answer
    server.close_after = 1
    client = WebhookClient()
    try:
        outcome = await post(client, f"http://127.0.0.1:{server.port}/", None, {}, b"{}", 5.0)
    finally:
        await client.aclose()
    assert outcome.status_code is None
    assert outcome.error is not None
    assert outcome.error.startswith("ProtocolError: ")


async def test_a_header_http_does_not_allow_is_refused_before_anything_is_sent(
    server: Server,
) -> None:
    client = WebhookClient()
    try:
        with pytest.raises(ProtocolError):
            await client.post(
                Origin("http", "127.0.0.1", server.port, "127.0.0.1"),
                "/",
                [("host", "r.test"), ("x-note", "a\r\nx-injected: 1")],
                b"{}",
            )
    finally:
        await client.aclose()
    assert server.requests == []
