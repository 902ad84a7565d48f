"""API keys through the HTTP app: where a key may be sent, how it is stored, when it stops working,
and what it may see."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

import auth.authenticator
from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from auth import store, tables
from tests.conftest import settings_with
from tests.lifespan import lifespan

UNAUTHORIZED = [{"status": 403, "code": "DX120", "message": "Unauthorized request."}]
GRAPHQL_UNAUTHORIZED = {
    "errors": [{"message": "Unauthorized request.", "extensions": {"code": "DX120", "status": 403}}]
}
PAGE = {"page[offset]": "0", "page[limit]": "2"}
FIRST_SKUS = ["CAM-00001", "CAM-00002"]
SKUS_QUERY = "{ products(limit: 2) { items { sku } } }"
BOGUS_KEY = "dxg_" + "A" * 43
BASE = "http://dexgate.test"


async def new_key(
    engine: AsyncEngine,
    name: str,
    grants: Sequence[str] = ("products:read",),
    valid_to: datetime | None = None,
) -> str:
    """A key with its own role holding ``grants``."""
    await store.set_role(engine, f"{name}-role", grants)
    return await store.create_api_key(engine, name, [f"{name}-role"], valid_to)


async def key_row(engine: AsyncEngine, name: str) -> dict[str, Any]:
    query = sa.select(tables.api_key).where(tables.api_key.c.name == name)
    async with engine.connect() as connection:
        return dict((await connection.execute(query)).mappings().one())


async def key_info(engine: AsyncEngine, name: str) -> store.ApiKeyInfo:
    return next(k for k in await store.list_api_keys(engine) if k.name == name)


async def read_products(
    client: httpx.AsyncClient, *, header: str | None = None, query: str | None = None
) -> httpx.Response:
    """The first two products, with the key in the header, the query, both or neither."""
    headers = {} if header is None else {"X-Api-Key": header}
    params = PAGE if query is None else {**PAGE, "api_key": query}
    return await client.get("/dynamic-entity/products", headers=headers, params=params)


def skus(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["sku"] for row in response.json()["data"]]


def refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json() == UNAUTHORIZED


@pytest.fixture
async def uncached(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """A client (no credentials) of an app that looks every credential up on every request."""
    app = create_app(settings_with(settings, auth_cache_seconds=0), engine=engine)
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client,
    ):
        yield client


async def test_a_key_in_the_x_api_key_header_is_accepted(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    key = await new_key(engine, "header")

    refused(await read_products(anonymous))
    assert skus(await read_products(anonymous, header=key)) == FIRST_SKUS


async def test_a_key_in_the_api_key_query_parameter_is_accepted(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    key = await new_key(engine, "query")

    response = await read_products(anonymous, query=key)

    assert skus(response) == FIRST_SKUS


async def test_the_header_wins_over_the_query_parameter(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    key = await new_key(engine, "both")

    good_header = await read_products(anonymous, header=key, query=BOGUS_KEY)
    bad_header = await read_products(anonymous, header=BOGUS_KEY, query=key)

    assert skus(good_header) == FIRST_SKUS
    refused(bad_header)


@pytest.mark.parametrize(
    ("header", "query"),
    [(BOGUS_KEY, None), (None, BOGUS_KEY), ("not-a-key", None), ("", None), (None, None)],
    ids=["unknown-header", "unknown-query", "garbage", "empty", "none"],
)
async def test_an_unknown_key_or_none_is_refused_with_dx120(
    anonymous: httpx.AsyncClient, header: str | None, query: str | None
) -> None:
    refused(await read_products(anonymous, header=header, query=query))


async def test_only_the_sha256_of_a_key_is_stored(engine: AsyncEngine) -> None:
    key = await new_key(engine, "stored")

    row = await key_row(engine, "stored")

    assert re.fullmatch(r"dxg_[A-Za-z0-9_-]{43}", key)  # 256 random bits, URL-safe base64
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    secret_part = key.removeprefix("dxg_")
    for column, value in row.items():
        assert key not in str(value), column
        assert secret_part not in str(value), column


async def test_listings_show_a_short_prefix_of_the_key(engine: AsyncEngine) -> None:
    key = await new_key(engine, "listed")

    info = await key_info(engine, "listed")

    assert info.prefix == key[:10]
    assert info.prefix.startswith("dxg_")
    assert (info.roles, info.status()) == (("listed-role",), "active")
    assert (await key_row(engine, "listed"))["key_prefix"] == key[:10]


async def test_a_revoked_key_is_refused(uncached: httpx.AsyncClient, engine: AsyncEngine) -> None:
    key = await new_key(engine, "revoked")
    before = await read_products(uncached, header=key)

    await store.revoke_api_key(engine, "revoked")

    assert skus(before) == FIRST_SKUS
    refused(await read_products(uncached, header=key))
    refused(await read_products(uncached, query=key))
    assert (await key_info(engine, "revoked")).status() == "revoked"


async def test_an_expired_key_is_refused(anonymous: httpx.AsyncClient, engine: AsyncEngine) -> None:
    expired = await new_key(engine, "expired", valid_to=datetime.now(UTC) - timedelta(minutes=1))
    current = await new_key(engine, "current", valid_to=datetime.now(UTC) + timedelta(hours=1))

    refused(await read_products(anonymous, header=expired))
    assert skus(await read_products(anonymous, header=current)) == FIRST_SKUS
    assert (await key_info(engine, "expired")).status() == "expired"


async def test_an_expiry_given_in_another_time_zone_is_the_same_instant(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    east = timezone(timedelta(hours=5))
    expired = await new_key(
        engine, "east-expired", valid_to=(datetime.now(UTC) - timedelta(minutes=1)).astimezone(east)
    )
    current = await new_key(
        engine, "east-current", valid_to=(datetime.now(UTC) + timedelta(hours=1)).astimezone(east)
    )

    refused(await read_products(anonymous, header=expired))
    assert skus(await read_products(anonymous, header=current)) == FIRST_SKUS
    info = await key_info(engine, "east-expired")
    assert info.status() == "expired"
    assert info.valid_to is not None
    assert datetime.now(UTC) - timedelta(minutes=2) < info.valid_to < datetime.now(UTC)


async def test_a_cached_key_is_refused_as_soon_as_it_expires(
    anonymous: httpx.AsyncClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The principal stays cached for auth_cache_seconds (5 here), its expiry does not."""
    valid_to = datetime.now(UTC) + timedelta(hours=1)
    key = await new_key(engine, "expiring", valid_to=valid_to)
    first = await read_products(anonymous, header=key)

    monkeypatch.setattr(auth.authenticator, "now", lambda: valid_to + timedelta(microseconds=1))
    after = await read_products(anonymous, header=key)

    assert skus(first) == FIRST_SKUS
    refused(after)


async def test_last_used_at_is_recorded_in_the_background_when_a_key_is_used(
    anonymous: httpx.AsyncClient, engine: AsyncEngine, gateway: Gateway
) -> None:
    key = await new_key(engine, "used")
    unused = (await key_info(engine, "used")).last_used_at
    start = datetime.now(UTC)

    skus(await read_products(anonymous, header=key))
    not_yet = (await key_info(engine, "used")).last_used_at
    await gateway.authenticator.usage.flush()

    used = (await key_info(engine, "used")).last_used_at
    assert unused is None
    assert not_yet is None  # the read wrote nothing
    assert used is not None
    assert start - timedelta(seconds=1) <= used <= datetime.now(UTC) + timedelta(seconds=1)


async def test_a_key_whose_roles_grant_nothing_gets_dx122_on_reads(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    key = await new_key(engine, "powerless", grants=())

    response = await read_products(anonymous, header=key)
    by_id = await anonymous.get("/dynamic-entity/countries/1", headers={"X-Api-Key": key})

    assert response.status_code == 403, response.text
    assert response.json() == [
        {
            "status": 403,
            "code": "DX122",
            "message": "Not allowed to read `products`: no role grants products:read.",
        }
    ]
    assert by_id.status_code == 403, by_id.text
    assert [e["code"] for e in by_id.json()] == ["DX122"]


async def test_a_key_reads_only_what_its_role_grants(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    key = await new_key(engine, "partial", grants=("products:read",))

    products = await read_products(anonymous, header=key)
    countries = await anonymous.get("/dynamic-entity/countries", headers={"X-Api-Key": key})

    assert skus(products) == FIRST_SKUS
    assert countries.status_code == 403, countries.text
    assert [e["code"] for e in countries.json()] == ["DX122"]


async def test_graphql_takes_api_keys_and_refuses_bad_ones_with_dx120(
    uncached: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    key = await new_key(engine, "graphql")
    body = {"query": SKUS_QUERY}
    expected = {"data": {"products": {"items": [{"sku": "CAM-00001"}, {"sku": "CAM-00002"}]}}}

    by_header = await uncached.post("/graphql", json=body, headers={"X-Api-Key": key})
    by_query = await uncached.post("/graphql", json=body, params={"api_key": key})
    unknown = await uncached.post("/graphql", json=body, headers={"X-Api-Key": BOGUS_KEY})
    missing = await uncached.post("/graphql", json=body)
    await store.revoke_api_key(engine, "graphql")
    revoked = await uncached.post("/graphql", json=body, headers={"X-Api-Key": key})

    assert (by_header.status_code, by_header.json()) == (200, expected)
    assert (by_query.status_code, by_query.json()) == (200, expected)
    for response in (unknown, missing, revoked):
        assert response.status_code == 403, response.text
        assert response.json() == GRAPHQL_UNAUTHORIZED


async def test_the_index_lists_only_the_entities_the_key_may_read(
    anonymous: httpx.AsyncClient, engine: AsyncEngine, admin_key: str
) -> None:
    key = await new_key(
        engine, "index", grants=("products:read", "categories:create,update", "countries:delete")
    )
    everything = await new_key(engine, "index-all", grants=("*:read",))

    limited = await anonymous.get("/", headers={"X-Api-Key": key})
    wildcard = await anonymous.get("/", params={"api_key": everything})
    admin = await anonymous.get("/", headers={"X-Api-Key": admin_key})

    assert limited.status_code == 200, limited.text
    # Paths: absolute URLs only from DEXGATE_PUBLIC_URL, never from Host (tests/test_public_url).
    assert limited.json()["entities"] == {"products": "/dynamic-entity/products"}
    all_entities = {
        alias: f"/dynamic-entity/{alias}"
        for alias in ("categories", "countries", "product-stocks", "products")
    }
    assert wildcard.json()["entities"] == all_entities
    assert admin.json()["entities"] == all_entities


@pytest.mark.parametrize(
    "headers", [{}, {"X-Api-Key": BOGUS_KEY}], ids=["no-credentials", "unknown-key"]
)
async def test_the_index_lists_no_entities_without_valid_credentials(
    anonymous: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await anonymous.get("/", headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"] == "/token"
    assert body.get("entities", {}) == {}


@pytest.mark.parametrize(
    "headers", [{}, {"X-Api-Key": BOGUS_KEY}], ids=["no-credentials", "unknown-key"]
)
async def test_the_liveness_check_stays_open(
    anonymous: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await anonymous.get("/health/live", headers=headers)

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
