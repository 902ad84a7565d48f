"""DEXGATE_MAX_BODY_SIZE: a larger body is refused with 413 DX130, by its declared length
before anything reads it, or while it streams in once it passes the limit; nothing is written.

Neither uvicorn nor Starlette (unless told) limits a body: without this, ``request.body()``
reads whatever a client sends into memory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from app.settings import Settings
from tests.conftest import settings_with
from tests.reliability.conftest import count, serving

LIMIT = 2000
CATEGORIES = "/dynamic-entity/categories"
MESSAGE = (
    f"The request body is larger than {LIMIT} bytes, the most accepted "
    "(DEXGATE_MAX_BODY_SIZE). Send less per request."
)


def category_body(padding: int) -> bytes:
    """A valid POST body for one new category, padded with whitespace to the given length."""
    body = json.dumps({"data": [{"name": "Padded", "url": "/padded"}]}).encode()
    return body + b" " * (padding - len(body))


async def test_a_body_declared_larger_than_the_limit_is_refused_and_nothing_is_written(
    settings: Settings, admin_key: str
) -> None:
    async with serving(settings_with(settings, max_body_size=LIMIT), admin_key) as server:
        before = await count(server.gateway.engine, "category")
        response = await server.client.post(CATEGORIES, content=category_body(LIMIT + 1))
        after = await count(server.gateway.engine, "category")

    assert response.status_code == 413
    assert response.json() == [{"status": 413, "code": "DX130", "message": MESSAGE}]
    assert after == before


async def test_a_body_at_the_limit_is_accepted(settings: Settings, admin_key: str) -> None:
    async with serving(settings_with(settings, max_body_size=LIMIT), admin_key) as server:
        response = await server.client.post(CATEGORIES, content=category_body(LIMIT))

    assert response.status_code == 201, response.text


async def test_a_streamed_body_is_refused_as_it_passes_the_limit_without_reading_the_rest(
    settings: Settings, admin_key: str
) -> None:
    chunks_sent = 0

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        nonlocal chunks_sent
        for _ in range(100):
            chunks_sent += 1
            yield b" " * 1024

    async with serving(settings_with(settings, max_body_size=LIMIT), admin_key) as server:
        response = await server.client.post(CATEGORIES, content=chunks())

    assert response.status_code == 413
    assert response.json() == [{"status": 413, "code": "DX130", "message": MESSAGE}]
    assert chunks_sent <= 3  # 2 KiB passed the limit: the other 97 KiB were never read


async def test_graphql_gets_the_refusal_in_its_own_shape(
    settings: Settings, admin_key: str
) -> None:
    query = json.dumps({"query": "{ categories { totalCount } }"}).encode()
    async with serving(settings_with(settings, max_body_size=LIMIT), admin_key) as server:
        response = await server.client.post("/graphql", content=query + b" " * LIMIT)

    assert response.status_code == 413
    assert response.json() == {
        "errors": [{"message": MESSAGE, "extensions": {"code": "DX130", "status": 413}}]
    }


async def test_a_body_too_large_is_refused_before_credentials_are_looked_up(
    settings: Settings, admin_key: str
) -> None:
    async with serving(settings_with(settings, max_body_size=LIMIT), admin_key) as server:
        response = await server.anonymous.post(CATEGORIES, content=category_body(LIMIT + 1))

    assert response.status_code == 413
    assert response.json()[0]["code"] == "DX130"
