"""The API's requests dispatched straight to their endpoints (app.dispatch) are answered
exactly as the router answers them, including the paths it must leave to the router."""

from __future__ import annotations

import httpx
import pytest

from app import dispatch

# method, URL, body, whether it is dispatched (else the router answers)
REQUESTS = [
    ("GET", "/dynamic-entity/products?page[limit]=2", None, True),
    ("GET", "/dynamic-entity/products/1", None, True),
    ("GET", "/dynamic-entity/products/999999", None, True),
    ("GET", "/dynamic-entity/products/abc", None, True),
    ("GET", "/dynamic-entity/nothing-here", None, True),
    ("HEAD", "/dynamic-entity/products/1", None, True),
    ("OPTIONS", "/dynamic-entity/products", None, True),
    ("PATCH", "/dynamic-entity/products", '{"data": []}', True),
    ("POST", "/dynamic-entity/products/1", '{"data": {}}', True),
    ("TRACE", "/dynamic-entity/products", None, False),
    ("GET", "/dynamic-entity/products/", None, False),
    ("GET", "/dynamic-entity//1", None, False),
    ("GET", "/dynamic-entity/products/1/more", None, False),
    ("GET", "/dynamic-entity/openapi.json", None, False),
    ("POST", "/dynamic-entity/openapi.json", '{"data": [{}]}', False),
    ("GET", "/dynamic-entity/docs", None, False),
    ("POST", "/dynamic-entity/docs", '{"data": [{}]}', False),
    ("POST", "/graphql", '{"query": "{ product(id: 1) { sku } }"}', True),
    ("GET", "/graphql?query=%7B%20product(id%3A%201)%20%7B%20sku%20%7D%20%7D", None, True),
    ("POST", "/graphql", '{"query": "{ nothing }"}', True),
    ("PUT", "/graphql", '{"query": "{ product(id: 1) { sku } }"}', False),
    ("GET", "/graphql/", None, False),
]


@pytest.mark.parametrize(("method", "url", "body", "direct"), REQUESTS)
async def test_dispatched_requests_are_answered_as_the_router_answers_them(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    url: str,
    body: str | None,
    direct: bool,
) -> None:
    found = dispatch.route(method, url.split("?", 1)[0])
    dispatched = await client.request(method, url, content=body)
    with monkeypatch.context() as patch:
        patch.setattr(dispatch, "route", lambda _method, _path: None)
        routed = await client.request(method, url, content=body)
    assert (dispatched.status_code, dispatched.content) == (routed.status_code, routed.content)
    for header in ("content-type", "allow", "location", "x-total-count"):
        assert dispatched.headers.get(header) == routed.headers.get(header)
    assert (found is not None) is direct
