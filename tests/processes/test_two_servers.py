"""Two servers started separately on one PostgreSQL or MariaDB database serve as one: a
configuration change made through either is served by the other within a second; keys and tokens
obtained through one work on the other; with Redis, rate limits and login throttling are shared."""

from __future__ import annotations

import asyncio
import re
import time

import httpx

from tests.processes.conftest import Server, StartServer

COUNTRIES = "/dynamic-entity/countries"
PROPAGATION_LIMIT = 1.0


def client(server: Server, key: str | None = None) -> httpx.AsyncClient:
    headers = {"X-Api-Key": key} if key else {}
    return httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30)


async def start_pair(start_server: StartServer, **settings: str) -> tuple[Server, Server]:
    first, second = await asyncio.gather(start_server(**settings), start_server(**settings))
    return first, second


async def seconds_until(web: httpx.AsyncClient, path: str, status: int, within: float) -> float:
    """Poll ``path`` until it answers ``status``; the seconds that took."""
    started = time.perf_counter()
    while True:
        response = await web.get(path)
        elapsed = time.perf_counter() - started
        if response.status_code == status:
            return elapsed
        if elapsed > within:
            raise AssertionError(f"{path} still answers {response.status_code} after {elapsed} s")
        await asyncio.sleep(0.01)


async def test_a_configuration_change_through_one_server_is_served_by_the_other_within_a_second(
    start_server: StartServer, admin_key: str, propagation: dict[str, str]
) -> None:
    first, second = await start_pair(start_server, **propagation)
    async with client(first, admin_key) as one, client(second, admin_key) as other:
        assert (await other.get(COUNTRIES)).status_code == 200
        changed = await one.post("/admin/entities/countries/deactivate")
        assert changed.status_code == 303, changed.text
        assert (await one.get(COUNTRIES)).status_code == 404  # at once where it was made
        there = await seconds_until(other, COUNTRIES, 404, within=5)

        changed = await other.post("/admin/entities/countries/activate")
        assert changed.status_code == 303, changed.text
        back = await seconds_until(one, COUNTRIES, 200, within=5)
    print(f"configuration change served by the other server after {there:.3f} s / {back:.3f} s")
    assert there <= PROPAGATION_LIMIT
    assert back <= PROPAGATION_LIMIT


async def test_keys_and_tokens_obtained_through_one_server_work_on_the_other(
    start_server: StartServer, admin_key: str
) -> None:
    first, second = await start_pair(start_server)
    async with (
        client(first, admin_key) as admin_one,
        client(first) as one,
        client(second) as other,
    ):
        page = await admin_one.post("/admin/api-keys", data={"name": "erp", "roles": "admin"})
        assert page.status_code == 200, page.text
        found = re.search(r'<code id="new-key">(dxg_[^<]+)</code>', page.text)
        assert found is not None, page.text
        key = found.group(1)
        created = await admin_one.post(
            "/admin/users",
            data={"username": "alice", "password": "correct horse battery", "roles": "admin"},
        )
        assert created.status_code == 303, created.text

        by_key = await other.get(COUNTRIES, headers={"X-Api-Key": key})
        login = await one.post(
            "/token",
            data={
                "grant_type": "password",
                "username": "alice",
                "password": "correct horse battery",
            },
        )
        assert login.status_code == 200, login.text
        tokens = login.json()
        by_token = await other.get(
            COUNTRIES, headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        refreshed = await other.post(
            "/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        by_refreshed = await one.get(
            COUNTRIES, headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        )
        # the used refresh token is refused on both: rotation is kept in the database
        reused = await one.post(
            "/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        )
    assert by_key.status_code == 200, by_key.text
    assert by_token.status_code == 200, by_token.text
    assert by_refreshed.status_code == 200, by_refreshed.text
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


async def test_rate_limits_and_login_throttling_are_shared_through_redis(
    start_server: StartServer, admin_key: str, redis_url: str, redis_prefix: str
) -> None:
    first, second = await start_pair(
        start_server,
        DEXGATE_REDIS_URL=redis_url,
        DEXGATE_REDIS_PREFIX=redis_prefix,
        DEXGATE_RATE_LIMIT="6",
        DEXGATE_RATE_LIMIT_ANONYMOUS="6",
    )
    async with client(first, admin_key) as one, client(second, admin_key) as other:
        keyed = []
        for _ in range(4):
            keyed += [
                (await one.get(COUNTRIES)).status_code,
                (await other.get(COUNTRIES)).status_code,
            ]

        anonymous = []
        address = {"X-Forwarded-For": "198.51.100.7", "X-Api-Key": ""}
        for _ in range(4):
            for web in (one, other):
                anonymous.append((await web.get(COUNTRIES, headers=address)).status_code)

        logins = []
        for attempt in range(6):
            web = one if attempt % 2 else other
            response = await web.post(
                "/token",
                data={"grant_type": "password", "username": "mallory", "password": "a guess"},
                # from addresses of their own: the throttle of the username is what is shared
                headers={"X-Forwarded-For": f"198.51.100.{100 + attempt}", "X-Api-Key": ""},
            )
            logins.append(response.status_code)
    assert keyed == [200] * 6 + [429, 429]
    assert anonymous == [403] * 6 + [429, 429]
    assert logins == [400] * 5 + [429]
