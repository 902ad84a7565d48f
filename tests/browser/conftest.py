"""Browser tests run on SQLite only, against dexgate served by a real uvicorn server.

They check what the browser sees of dexgate's pages and assets; the database behind ``/graphql``
is covered on both back ends by the other suites, and a second headless browser run per test
would only add time. The browser is Debian's ``chromium`` package (``/usr/bin/chromium``),
driven by Playwright; no browser is ever downloaded. Without it (or without GraphiQL's assets,
for the tests that need them) a test is skipped with the reason, or fails where
``DEXGATE_REQUIRE_BROWSER=1`` (as in CI).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from app.application import create_app
from app.assets.graphiql import assets_present
from app.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
# Without these, Chromium on a machine with no internet access hangs on background connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("DEXGATE_REQUIRE_BROWSER") == "1"


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def chromium_ready() -> None:
    """Skip (or fail, in CI) before starting a server when Chromium is missing."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install Debian's package (apt-get install chromium)")


@pytest.fixture
def browser_ready(chromium_ready: None) -> None:
    """As chromium_ready, and GraphiQL's assets must be built too."""
    if not assets_present():
        _unavailable("GraphiQL's assets are not built: run `make graphiql-assets` (needs npm)")


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """dexgate served by uvicorn on a free loopback port, in a thread with its own event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), log_config=None, access_log=False, ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start serving dexgate")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
