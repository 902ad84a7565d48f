"""Browser tests run on SQLite only.

They check what the browser sees of dexgate's pages and assets; the database behind ``/graphql``
is covered on both back ends by the other suites, and a second headless browser run per test
would only add time.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def backend() -> str:
    return "sqlite"
