"""The webhook tests' database settings and receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.settings import Settings
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The app does not deliver by itself here: each test runs the rounds it needs; the
    receiver listens on loopback."""
    return Settings(
        database_url=database_url,
        secret_key="test",
        catalog_check_interval=0,
        webhook_delivery=False,
        webhook_allow_private=True,
        webhook_timeout=1.0,
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running
