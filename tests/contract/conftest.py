"""The ``api`` fixture: every contract scenario runs over REST and over GraphQL, each on SQLite,
PostgreSQL and MariaDB (the ``backend`` parameter of the database fixtures)."""

from __future__ import annotations

import httpx
import pytest

from app.gateway import Gateway
from tests.contract.api import Api, GraphqlApi, RestApi


@pytest.fixture(params=["rest", "graphql"])
def api(request: pytest.FixtureRequest, client: httpx.AsyncClient, gateway: Gateway) -> Api:
    if request.param == "rest":
        return RestApi(client, gateway)
    return GraphqlApi(client, gateway)
