"""The application's lifespan in tests (httpx's ASGITransport does not run it).

asgi-lifespan gives start-up and shut-down 5 seconds each by default. Starting the application
builds its GraphQL schema and opens its pools, which takes well under a second, but several
times that on a machine loaded by other test runs: a start-up that has not failed is waited
for, so that a slow machine does not fail tests of something else.
"""

from __future__ import annotations

from typing import Any

from asgi_lifespan import LifespanManager

TIMEOUT = 120.0


def lifespan(app: Any) -> LifespanManager:
    """The lifespan manager of ``app`` (``async with lifespan(app):``)."""
    return LifespanManager(app, startup_timeout=TIMEOUT, shutdown_timeout=TIMEOUT)
