"""The request head is bounded, at socket level, against a real ``dexgate serve``.

A client that sends headers past ``DEXGATE_MAX_HEADER_SIZE`` bytes (or more than
``DEXGATE_MAX_HEADERS`` of them) gets 431 ``DX135`` before it has finished sending, and the
connection is closed; many such clients at once leave the server's memory where it was.
The head is refused before any database is asked: these run on PostgreSQL alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import httpx
import pytest

from tests.processes.conftest import Server, StartServer

CHUNK = b"a" * 65536


@pytest.fixture
def backend() -> str:
    return "postgresql"


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


async def send_head(server: Server, head: bytes, then_stream: int = 0) -> bytes:
    """Send ``head``, then up to ``then_stream`` more bytes of the same header value without
    ever ending it; return what the server answered before closing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(head)
        sent = 0
        try:
            await writer.drain()
            while sent < then_stream:
                writer.write(CHUNK)
                await writer.drain()
                sent += len(CHUNK)
        except ConnectionError:
            pass  # the server closed the connection: what it said is still to be read
        answer = b""
        try:
            while block := await asyncio.wait_for(reader.read(65536), timeout=30):
                answer += block
        except ConnectionError:
            pass  # a reset after the answer
        return answer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def refusal(answer: bytes) -> list[dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"connection: close" in head.lower()
    parsed: list[dict[str, object]] = json.loads(body)
    return parsed


START = b"GET /health/live HTTP/1.1\r\nHost: dexgate\r\n"


async def test_a_header_past_the_limit_is_refused_before_it_ends(start_server: StartServer) -> None:
    server = await start_server(DEXGATE_MAX_HEADER_SIZE="16384")
    # The header never ends: the server answers as soon as 16 KiB have come.
    answer = await send_head(server, START + b"X-Big: ", then_stream=1024 * 1024)
    [error] = refusal(answer)
    assert error["status"] == 431
    assert error["code"] == "DX135"
    assert "16384 bytes" in str(error["message"])
    async with httpx.AsyncClient(base_url=server.url) as client:
        fitting = await client.get("/health/live", headers={"X-Fits": "b" * 15000})
    assert fitting.status_code == 200


async def test_the_default_limit_is_64_kib(start_server: StartServer) -> None:
    server = await start_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        fitting = await client.get("/health/live", headers={"X-Fits": "b" * 60000})
    assert fitting.status_code == 200
    answer = await send_head(server, START + b"X-Big: " + b"b" * 70000 + b"\r\n\r\n")
    assert refusal(answer)[0]["code"] == "DX135"


async def test_too_many_headers_are_refused(start_server: StartServer) -> None:
    server = await start_server(DEXGATE_MAX_HEADERS="20")
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(30))
    assert refusal(await send_head(server, START + many + b"\r\n"))[0]["code"] == "DX135"
    fewer = b"".join(b"X-H%d: v\r\n" % i for i in range(15))
    answer = await send_head(server, START + fewer + b"Connection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")


async def test_memory_stays_flat_under_many_oversized_headers_at_once(
    start_server: StartServer,
) -> None:
    server = await start_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        for _ in range(20):  # warm up: the first requests allocate what serving needs
            assert (await client.get("/health/live")).status_code == 200
    before = resident_kib(server.process.pid)
    # 16 clients at once, each streaming a header of up to 16 MiB (256 MiB in all).
    answers = await asyncio.gather(
        *(send_head(server, START + b"X-Big: ", then_stream=16 * 1024 * 1024) for _ in range(16))
    )
    after = resident_kib(server.process.pid)
    for answer in answers:
        assert refusal(answer)[0]["code"] == "DX135"
    assert after - before < 32 * 1024, f"resident memory grew from {before} KiB to {after} KiB"
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/health/live")).status_code == 200
