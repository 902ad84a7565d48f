"""https webhooks: the attempt connects to the address checked (not to what the name resolves
to then), and verifies the receiver's certificate for the URL's host name (sent as the TLS
server name), so that pinning the address never lets another host's certificate pass."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import trustme

from schema_builder.webhooks.client import WebhookClient
from schema_builder.webhooks.sender import post

# No resolver knows these names: an attempt reaches the receiver only at the address given.
HOST = "hooks.receiver.test"
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@dataclass
class TlsReceiver:
    """Answers ANSWER over TLS with a certificate for HOST; notes each TLS server name asked
    for and each request's head."""

    port: int = 0
    server_names: list[str | None] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            self.heads.append(head)
            writer.write(ANSWER)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        writer.close()


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def receiver(authority: trustme.CA) -> AsyncIterator[TlsReceiver]:
    running = TlsReceiver()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOST).configure_cert(context)

    def note(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        running.server_names.append(name)

    context.sni_callback = note
    listening = await asyncio.start_server(running.serve, "127.0.0.1", 0, ssl=context)
    running.port = listening.sockets[0].getsockname()[1]
    yield running
    listening.close()
    await listening.wait_closed()


def _client(authority: trustme.CA) -> WebhookClient:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return WebhookClient(tls=context)


async def _refused(client: WebhookClient, url: str, receiver: TlsReceiver) -> None:
    """An attempt to ``url`` at the receiver's address fails on the certificate, unsent."""
    try:
        outcome = await post(client, url, "127.0.0.1", {"webhook-id": "1"}, b"{}", 10.0)
    finally:
        await client.aclose()
    assert outcome.status_code is None
    assert outcome.error is not None
    assert "certificate" in outcome.error.lower(), outcome.error
    assert receiver.heads == []


async def test_an_https_attempt_goes_to_the_checked_address_with_the_host_s_name(
    authority: trustme.CA, receiver: TlsReceiver
) -> None:
    client = _client(authority)
    try:
        url = f"https://{HOST}:{receiver.port}/hook"
        outcome = await post(client, url, "127.0.0.1", {"webhook-id": "1"}, b"{}", 10.0)
    finally:
        await client.aclose()
    assert (outcome.status_code, outcome.response, outcome.error) == (200, "ok", None)
    assert receiver.server_names == [HOST]
    assert f"host: {HOST}:{receiver.port}".encode() in receiver.heads[0]


async def test_a_certificate_for_another_name_fails_the_attempt(
    authority: trustme.CA, receiver: TlsReceiver
) -> None:
    """The address is the receiver's, but the URL names another host: its certificate does
    not match that name, and nothing is sent."""
    url = f"https://other.receiver.test:{receiver.port}/hook"
    await _refused(_client(authority), url, receiver)
    assert receiver.server_names == ["other.receiver.test"]


async def test_a_certificate_of_an_unknown_authority_fails_the_attempt(
    receiver: TlsReceiver,
) -> None:
    """Without trusting the test's authority (the default trust store), the receiver's
    certificate is refused."""
    await _refused(WebhookClient(), f"https://{HOST}:{receiver.port}/hook", receiver)
