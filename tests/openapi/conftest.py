"""The live uvicorn server of the GraphiQL browser test serves the Swagger UI browser test too."""

from __future__ import annotations

from tests.browser.conftest import live_server  # noqa: F401 - a fixture, shared
