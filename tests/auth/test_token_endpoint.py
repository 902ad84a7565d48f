"""``POST /token`` (RFC 6749) and ``POST /token/revoke`` (RFC 7009), end to end.

Password logins for Back Office users, client credentials for registered clients, refresh-token
rotation with reuse detection, revocation, and the failed-login throttle. Tests that need a
revocation to reach access tokens at once run their own app with ``auth_cache_seconds=0``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from auth import oauth, passwords, store
from auth.throttle import LoginThrottle
from tests.conftest import settings_with
from tests.lifespan import lifespan

BASE = "http://dexgate.test"
FORM = "application/x-www-form-urlencoded"
PASSWORD = "correct horse battery"
OTHER_PASSWORD = "another staple"
WRONG = "wrong horse battery"
COUNTRIES = "/dynamic-entity/countries"
GRAPHQL_QUERY = "{ countries(limit: 2) { items { name } } }"
INVALID_TOKEN = [{"status": 401, "code": "001", "message": "Invalid access token."}]
BAD_LOGIN = {"error": "invalid_grant", "error_description": "Invalid username or password."}


@dataclass(frozen=True)
class Accounts:
    """A reader user ``alice`` (and ``bob``) and a reader client ``svc``."""

    alice_id: int
    bob_id: int
    client_db_id: int
    client_id: str
    client_secret: str


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its defaults costs a quarter of a second per hash or check on a small
    machine; these tests are about the token endpoint, not the hash's cost."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dexgate: no such user"))


@pytest.fixture
async def accounts(engine: AsyncEngine) -> Accounts:
    await store.set_role(engine, "reader", ["*:read"])
    alice_id = await store.create_user(engine, "alice", PASSWORD, ["reader"])
    bob_id = await store.create_user(engine, "bob", PASSWORD, ["reader"])
    client_id, secret = await store.create_client(engine, "svc", ["reader"])
    client_db_id = next(c.id for c in await store.list_clients(engine) if c.name == "svc")
    return Accounts(alice_id, bob_id, client_db_id, client_id, secret)


@pytest.fixture
async def web(gateway_app: Any, accounts: Accounts) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the default app (5 s auth cache) with no default headers."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway_app), base_url=BASE
    ) as client:
        yield client


@asynccontextmanager
async def serving(settings: Settings, engine: AsyncEngine | None) -> AsyncIterator[Any]:
    app = create_app(settings, engine=engine)
    async with lifespan(app):
        yield app


def client_of(app: Any, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
async def strict(
    settings: Settings, engine: AsyncEngine, accounts: Accounts
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that caches no principal: revocations take effect at once."""
    async with (
        serving(settings_with(settings, auth_cache_seconds=0), engine) as app,
        client_of(app) as client,
    ):
        yield client


# --- helpers -------------------------------------------------------------------------------


async def login(
    client: httpx.AsyncClient, username: str = "alice", password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/token", data={"grant_type": "password", "username": username, "password": password}
    )


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


async def tokens(client: httpx.AsyncClient, username: str = "alice") -> tuple[str, str]:
    """``(access_token, refresh_token)`` of a successful password login."""
    response = await login(client, username)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["access_token"], body["refresh_token"]


async def rest(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.get(COUNTRIES, headers={"Authorization": f"Bearer {access_token}"})


async def graphql(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": GRAPHQL_QUERY},
        headers={"Authorization": f"Bearer {access_token}"},
    )


def claims_of(access_token: str) -> dict[str, Any]:
    """The JWT's payload, read without verification."""
    payload = access_token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == INVALID_TOKEN
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def assert_no_store(response: httpx.Response) -> None:
    assert response.headers["Cache-Control"] == "no-store"


def oauth_client_class() -> Any:
    """authlib's httpx integration; authlib >= 1.9 warns once, on import, that it would rather
    have the ``httpx2`` package than ``httpx``. That warning is not about dexgate."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The httpx module is deprecated", category=DeprecationWarning
        )
        from authlib.integrations.httpx_client import AsyncOAuth2Client
    return AsyncOAuth2Client


# --- password grant ------------------------------------------------------------------------


async def test_password_grant_issues_bearer_access_and_refresh_tokens(
    web: httpx.AsyncClient, settings: Settings, accounts: Accounts
) -> None:
    response = await login(web)
    assert response.status_code == 200, response.text
    assert_no_store(response)
    assert response.headers["Pragma"] == "no-cache"
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"token_type", "access_token", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert isinstance(body["refresh_token"], str)
    assert len(body["refresh_token"]) >= 32
    claims = claims_of(body["access_token"])
    assert claims["iss"] == "dexgate"
    assert claims["aud"] == "dexgate"
    assert claims["sub"] == f"user:{accounts.alice_id}"
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl
    assert claims["sid"]
    assert claims["jti"]
    header = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header["alg"] == "HS256"


async def test_each_login_is_a_new_session_with_distinct_tokens(web: httpx.AsyncClient) -> None:
    first_access, first_refresh = await tokens(web)
    second_access, second_refresh = await tokens(web)
    assert first_access != second_access
    assert first_refresh != second_refresh
    assert claims_of(first_access)["jti"] != claims_of(second_access)["jti"]
    assert claims_of(first_access)["sid"] != claims_of(second_access)["sid"]


async def test_password_token_works_on_rest_and_graphql(web: httpx.AsyncClient) -> None:
    access, _ = await tokens(web)
    listed = await rest(web, access)
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["data"]) == 10
    queried = await graphql(web, access)
    assert queried.status_code == 200, queried.text
    assert queried.json() == {
        "data": {"countries": {"items": [{"name": "Germany"}, {"name": "Austria"}]}}
    }


async def test_form_content_type_with_charset_is_accepted(web: httpx.AsyncClient) -> None:
    response = await web.post(
        "/token",
        content=f"grant_type=password&username=alice&password={PASSWORD.replace(' ', '+')}",
        headers={"Content-Type": f"{FORM}; charset=UTF-8"},
    )
    assert response.status_code == 200, response.text


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    web: httpx.AsyncClient,
) -> None:
    wrong = await login(web, "alice", WRONG)
    unknown = await login(web, "nobody-here", WRONG)
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json() == BAD_LOGIN
    assert_no_store(wrong)
    assert_no_store(unknown)
    assert "refresh_token" not in wrong.text
    assert sorted(wrong.headers.items()) == sorted(unknown.headers.items())


async def test_disabled_user_cannot_log_in(web: httpx.AsyncClient, engine: AsyncEngine) -> None:
    await store.set_user_active(engine, "alice", False)
    refused = await login(web)
    assert refused.status_code == 400
    assert refused.json() == BAD_LOGIN
    await store.set_user_active(engine, "alice", True)
    assert (await login(web)).status_code == 200


async def test_missing_username_or_password_is_an_invalid_request(
    web: httpx.AsyncClient,
) -> None:
    no_user = await web.post("/token", data={"grant_type": "password", "password": PASSWORD})
    no_password = await web.post("/token", data={"grant_type": "password", "username": "alice"})
    for response in (no_user, no_password):
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request"
        assert "access_token" not in response.json()


async def test_missing_grant_type_is_an_invalid_request(web: httpx.AsyncClient) -> None:
    # RFC 6749 5.2: a request missing a required parameter is ``invalid_request``;
    # ``unsupported_grant_type`` is for a grant type the server does not support.
    response = await web.post("/token", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert_no_store(response)


async def test_unsupported_grant_types(web: httpx.AsyncClient) -> None:
    kinds = ["authorization_code", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer"]
    answers = {}
    for grant_type in [*kinds, "PASSWORD"]:
        response = await web.post(
            "/token",
            data={"grant_type": grant_type, "code": "x", "username": "alice", "password": PASSWORD},
        )
        answers[grant_type] = (response.status_code, response.json()["error"])
    assert answers == {k: (400, "unsupported_grant_type") for k in answers}


NOT_FORMS = {
    "json": ("application/json", json.dumps({"grant_type": "password", "username": "alice"})),
    "text": ("text/plain", "grant_type=password&username=alice&password=x"),
    "multipart": ("multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data"),
    "none": ("", "grant_type=password&username=alice&password=x"),
}


async def test_parameters_must_be_form_encoded(web: httpx.AsyncClient) -> None:
    answers = {}
    for name, (content_type, content) in NOT_FORMS.items():
        headers = {"Content-Type": content_type} if content_type else {}
        response = await web.post("/token", content=content, headers=headers)
        assert_no_store(response)
        answers[name] = (response.status_code, response.json()["error"])
    assert answers == {name: (400, "invalid_request") for name in NOT_FORMS}


async def test_json_body_with_right_credentials_is_refused(web: httpx.AsyncClient) -> None:
    response = await web.post(
        "/token", json={"grant_type": "password", "username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


REPEATED = {
    "grant_type": "grant_type=password&grant_type=password&username=alice&password=PW",
    "password": "grant_type=password&username=alice&password=PW&password=other-password",
    "username": "grant_type=password&username=alice&username=bob&password=PW",
    "same value": "grant_type=password&username=alice&password=PW&username=alice",
}


async def test_repeated_parameters_are_refused(web: httpx.AsyncClient) -> None:
    answers = {}
    for name, body in REPEATED.items():
        response = await web.post(
            "/token",
            content=body.replace("PW", PASSWORD.replace(" ", "+")),
            headers={"Content-Type": FORM},
        )
        answers[name] = (response.status_code, response.json().get("error"))
    assert answers == {name: (400, "invalid_request") for name in REPEATED}


async def test_token_endpoint_takes_only_post(web: httpx.AsyncClient) -> None:
    response = await web.get("/token", params={"grant_type": "password"})
    assert response.status_code == 405


# --- client credentials --------------------------------------------------------------------


async def test_client_credentials_with_http_basic(
    web: httpx.AsyncClient, accounts: Accounts, settings: Settings
) -> None:
    response = await web.post(
        "/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(accounts.client_id, accounts.client_secret)},
    )
    assert response.status_code == 200, response.text
    assert_no_store(response)
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert "refresh_token" not in body
    claims = claims_of(body["access_token"])
    assert claims["sub"] == f"client:{accounts.client_db_id}"
    # No refresh family: the session names the secret's generation (ended by a rotation).
    assert claims["sid"].startswith("gen:")
    assert (await rest(web, body["access_token"])).status_code == 200
    assert (await graphql(web, body["access_token"])).status_code == 200


async def test_client_credentials_in_the_form(web: httpx.AsyncClient, accounts: Accounts) -> None:
    response = await web.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": accounts.client_id,
            "client_secret": accounts.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body
    assert claims_of(body["access_token"])["sub"] == f"client:{accounts.client_db_id}"
    assert (await rest(web, body["access_token"])).status_code == 200


@pytest.mark.parametrize("where", ["basic", "form"])
async def test_wrong_client_secret_is_invalid_client(
    web: httpx.AsyncClient, accounts: Accounts, where: str
) -> None:
    if where == "basic":
        response = await web.post(
            "/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic(accounts.client_id, "not-the-secret")},
        )
    else:
        response = await web.post(
            "/token",
            data={
                "grant_type": "client_credentials",
                "client_id": accounts.client_id,
                "client_secret": "not-the-secret",
            },
        )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()
    assert "WWW-Authenticate" in response.headers


async def test_unknown_client_and_missing_credentials_are_invalid_client(
    web: httpx.AsyncClient, accounts: Accounts
) -> None:
    unknown = await web.post(
        "/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic("dxc_000000000000000000000000", accounts.client_secret)},
    )
    anonymous = await web.post("/token", data={"grant_type": "client_credentials"})
    public = await web.post(
        "/token", data={"grant_type": "client_credentials", "client_id": "dexgate"}
    )
    for response in (unknown, anonymous, public):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_client"
        assert "access_token" not in response.json()


async def test_confidential_client_cannot_use_the_password_grant(
    web: httpx.AsyncClient, accounts: Accounts
) -> None:
    response = await web.post(
        "/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
        headers={"Authorization": basic(accounts.client_id, accounts.client_secret)},
    )
    assert "access_token" not in response.json()
    error = response.json()["error"]
    # RFC 6749 5.2: either ``unauthorized_client`` (400), or ``invalid_client`` -- and then,
    # since the client authenticated with the Authorization header, 401 with WWW-Authenticate.
    if error == "invalid_client":
        assert response.status_code == 401, response.text
        assert "WWW-Authenticate" in response.headers
    else:
        assert (response.status_code, error) == (400, "unauthorized_client")


async def test_deactivated_client_is_refused_and_its_tokens_stop(
    strict: httpx.AsyncClient, engine: AsyncEngine, accounts: Accounts
) -> None:
    auth = {"Authorization": basic(accounts.client_id, accounts.client_secret)}
    issued = await strict.post("/token", data={"grant_type": "client_credentials"}, headers=auth)
    assert issued.status_code == 200, issued.text
    access = issued.json()["access_token"]
    assert (await rest(strict, access)).status_code == 200

    await store.set_client_active(engine, "svc", False)
    refused = await strict.post("/token", data={"grant_type": "client_credentials"}, headers=auth)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_client"
    assert_refused(await rest(strict, access))


async def test_rotated_client_secret_replaces_the_old_one(
    web: httpx.AsyncClient, engine: AsyncEngine, accounts: Accounts
) -> None:
    client_id, new_secret = await store.rotate_client_secret(engine, "svc")
    assert client_id == accounts.client_id
    old = await web.post(
        "/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(client_id, accounts.client_secret)},
    )
    new = await web.post(
        "/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(client_id, new_secret)},
    )
    assert old.status_code == 401
    assert new.status_code == 200, new.text


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
async def test_authlib_oauth2_client_fetches_a_client_credentials_token(
    gateway_app: Any, accounts: Accounts, auth_method: str
) -> None:
    oauth_client = oauth_client_class()
    async with oauth_client(
        client_id=accounts.client_id,
        client_secret=accounts.client_secret,
        token_endpoint_auth_method=auth_method,
        transport=httpx.ASGITransport(app=gateway_app),
        base_url="https://dexgate.test",
    ) as oauth:
        token: dict[str, Any] = await oauth.fetch_token(
            "https://dexgate.test/token", grant_type="client_credentials"
        )
        assert token["token_type"] == "Bearer"
        assert "refresh_token" not in token
        listed: httpx.Response = await oauth.get(COUNTRIES)
        queried: httpx.Response = await oauth.post("/graphql", json={"query": GRAPHQL_QUERY})
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["data"]) == 10
    assert listed.request.headers["Authorization"] == f"Bearer {token['access_token']}"
    assert queried.status_code == 200, queried.text
    assert queried.json()["data"]["countries"]["items"][0] == {"name": "Germany"}


async def test_authlib_oauth2_client_logs_in_and_refreshes_with_rotation(
    settings: Settings, engine: AsyncEngine, accounts: Accounts
) -> None:
    """With a 30 s access token and authlib's 60 s leeway, every call makes the client refresh
    first: rotation works with a real client that keeps the newest refresh token."""
    oauth_client = oauth_client_class()
    updates: list[dict[str, Any]] = []

    async def update_token(token: dict[str, Any], refresh_token: str | None = None) -> None:
        updates.append({**token, "replaced": refresh_token})

    short = settings_with(settings, access_token_ttl=30)
    async with (
        serving(short, engine) as app,
        oauth_client(
            client_id="dexgate",
            token_endpoint_auth_method="none",
            token_endpoint="https://dexgate.test/token",
            update_token=update_token,
            transport=httpx.ASGITransport(app=app),
            base_url="https://dexgate.test",
        ) as oauth,
    ):
        first: dict[str, Any] = await oauth.fetch_token(
            "https://dexgate.test/token", username="alice", password=PASSWORD
        )
        assert first["expires_in"] == 30
        one: httpx.Response = await oauth.get(COUNTRIES)
        two: httpx.Response = await oauth.get(COUNTRIES)
    assert one.status_code == 200, one.text
    assert two.status_code == 200, two.text
    assert len(updates) == 2
    assert updates[0]["replaced"] == first["refresh_token"]
    assert updates[1]["replaced"] == updates[0]["refresh_token"]
    refresh_tokens = {first["refresh_token"], *(u["refresh_token"] for u in updates)}
    assert len(refresh_tokens) == 3
    assert two.request.headers["Authorization"] == f"Bearer {updates[1]['access_token']}"


# --- refresh tokens ------------------------------------------------------------------------


async def test_refresh_rotates_the_refresh_token(
    web: httpx.AsyncClient, settings: Settings
) -> None:
    access, refresh_token = await tokens(web)
    response = await refresh(web, refresh_token)
    assert response.status_code == 200, response.text
    assert_no_store(response)
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert body["refresh_token"] != refresh_token
    assert body["access_token"] != access
    assert claims_of(body["access_token"])["sid"] == claims_of(access)["sid"]
    assert claims_of(body["access_token"])["sub"] == claims_of(access)["sub"]
    assert (await rest(web, body["access_token"])).status_code == 200
    # and the new one rotates in turn
    again = await refresh(web, body["refresh_token"])
    assert again.status_code == 200, again.text
    assert again.json()["refresh_token"] not in (refresh_token, body["refresh_token"])


async def test_unknown_or_missing_refresh_token(web: httpx.AsyncClient) -> None:
    unknown = await refresh(web, "not-a-refresh-token")
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_grant"
    missing = await web.post("/token", data={"grant_type": "refresh_token"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


async def test_access_token_is_not_a_refresh_token(web: httpx.AsyncClient) -> None:
    access, _ = await tokens(web)
    response = await refresh(web, access)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_expired_refresh_token_is_refused(
    web: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, refresh_token = await tokens(web)
    later = store.now() + timedelta(seconds=settings.refresh_token_ttl + 1)
    monkeypatch.setattr(oauth, "now", lambda: later)
    response = await refresh(web, refresh_token)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"


async def test_concurrent_use_of_one_refresh_token_succeeds_once(
    web: httpx.AsyncClient,
) -> None:
    _, refresh_token = await tokens(web)
    answers = await asyncio.gather(*(refresh(web, refresh_token) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 400]
    loser = next(a for a in answers if a.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
    # a refresh token presented twice is treated as stolen: the family is revoked
    winner = next(a for a in answers if a.status_code == 200)
    assert (await refresh(web, winner.json()["refresh_token"])).status_code == 400


async def test_reusing_a_refresh_token_revokes_its_whole_family(
    strict: httpx.AsyncClient,
) -> None:
    first_access, first_refresh = await tokens(strict)
    other_access, other_refresh = await tokens(strict)  # another session of the same user
    rotated = await refresh(strict, first_refresh)
    assert rotated.status_code == 200, rotated.text
    second_access = rotated.json()["access_token"]
    second_refresh = rotated.json()["refresh_token"]
    assert (await rest(strict, second_access)).status_code == 200

    reused = await refresh(strict, first_refresh)
    assert reused.status_code == 400, reused.text
    assert reused.json()["error"] == "invalid_grant"
    assert "access_token" not in reused.json()

    # the newest refresh token of the family is revoked too, and so are its access tokens
    family_member = await refresh(strict, second_refresh)
    assert family_member.status_code == 400, family_member.text
    assert family_member.json()["error"] == "invalid_grant"
    assert_refused(await rest(strict, second_access))
    assert_refused(await rest(strict, first_access))
    refused = await graphql(strict, second_access)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"] == {"code": "001", "status": 401}

    # the user's other session is untouched, and the user can still log in
    assert (await rest(strict, other_access)).status_code == 200
    assert (await refresh(strict, other_refresh)).status_code == 200
    assert (await login(strict)).status_code == 200


async def test_revoke_endpoint_revokes_the_family(web: httpx.AsyncClient) -> None:
    access, refresh_token = await tokens(web)
    rotated = await refresh(web, refresh_token)
    assert rotated.status_code == 200
    newest_access = rotated.json()["access_token"]
    newest_refresh = rotated.json()["refresh_token"]
    other_access, _ = await tokens(web)
    assert (await rest(web, newest_access)).status_code == 200

    # revoking the (already rotated) first token takes the family down, newest tokens included
    response = await web.post("/token/revoke", data={"token": refresh_token})
    assert response.status_code == 200, response.text
    assert_no_store(response)
    # the endpoint clears this process's cache: no waiting for auth_cache_seconds
    assert_refused(await rest(web, newest_access))
    assert_refused(await rest(web, access))
    assert (await refresh(web, newest_refresh)).json()["error"] == "invalid_grant"
    assert (await rest(web, other_access)).status_code == 200


async def test_revoke_with_the_current_refresh_token(web: httpx.AsyncClient) -> None:
    access, refresh_token = await tokens(web)
    response = await web.post(
        "/token/revoke", data={"token": refresh_token, "token_type_hint": "refresh_token"}
    )
    assert response.status_code == 200
    again = await refresh(web, refresh_token)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert_refused(await rest(web, access))


async def test_revoke_unknown_token_answers_200_and_bad_requests_400(
    web: httpx.AsyncClient,
) -> None:
    unknown = await web.post("/token/revoke", data={"token": "never-issued"})
    assert unknown.status_code == 200  # RFC 7009 2.2: invalid tokens do not cause an error
    missing = await web.post("/token/revoke", data={"token_type_hint": "refresh_token"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    as_json = await web.post("/token/revoke", json={"token": "x"})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"


# --- account changes -----------------------------------------------------------------------


async def test_disabling_a_user_stops_access_and_refresh_tokens(
    strict: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    access, refresh_token = await tokens(strict)
    bob_access, _ = await tokens(strict, "bob")
    assert (await rest(strict, access)).status_code == 200

    await store.set_user_active(engine, "alice", False)
    assert_refused(await rest(strict, access))
    assert (await graphql(strict, access)).status_code == 401
    refreshed = await refresh(strict, refresh_token)
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    assert (await rest(strict, bob_access)).status_code == 200

    # enabling the user again lets it log in, but does not bring the old session back
    await store.set_user_active(engine, "alice", True)
    assert_refused(await rest(strict, access))
    assert (await refresh(strict, refresh_token)).status_code == 400
    fresh_access, _ = await tokens(strict)
    assert (await rest(strict, fresh_access)).status_code == 200


async def test_disabled_user_token_is_refused_after_the_cache_time(
    web: httpx.AsyncClient, engine: AsyncEngine, gateway: Gateway
) -> None:
    access, _ = await tokens(web)
    assert (await rest(web, access)).status_code == 200
    await store.set_user_active(engine, "alice", False)
    gateway.authenticator.forget()  # what auth_cache_seconds of waiting would do
    assert_refused(await rest(web, access))


async def test_set_password_revokes_sessions(
    strict: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    access, refresh_token = await tokens(strict)
    await store.set_password(engine, "alice", OTHER_PASSWORD)
    assert_refused(await rest(strict, access))
    refreshed = await refresh(strict, refresh_token)
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    old = await login(strict, "alice", PASSWORD)
    assert old.status_code == 400
    assert old.json() == BAD_LOGIN
    new = await login(strict, "alice", OTHER_PASSWORD)
    assert new.status_code == 200, new.text
    assert (await rest(strict, new.json()["access_token"])).status_code == 200


# --- throttling ----------------------------------------------------------------------------


def assert_throttled(response: httpx.Response, window: float = 300) -> int:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == "too_many_requests"
    assert body["error_description"]
    assert "access_token" not in body
    assert_no_store(response)
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window + 1
    return retry_after


async def test_five_failures_throttle_the_username_even_with_the_right_password(
    web: httpx.AsyncClient,
) -> None:
    for _ in range(5):
        response = await login(web, "alice", WRONG)
        assert response.status_code == 400, response.text
        assert response.json() == BAD_LOGIN
    assert_throttled(await login(web, "alice", PASSWORD))
    assert_throttled(await login(web, "alice", WRONG))
    assert_throttled(await login(web, "ALICE", PASSWORD))  # names are throttled case-blind
    # another user from the same address is not affected
    assert (await login(web, "bob", PASSWORD)).status_code == 200


async def test_four_failures_do_not_throttle(web: httpx.AsyncClient) -> None:
    for _ in range(4):
        assert (await login(web, "alice", WRONG)).status_code == 400
    assert (await login(web, "alice", PASSWORD)).status_code == 200


async def test_success_resets_the_username_count(web: httpx.AsyncClient) -> None:
    for _ in range(4):
        assert (await login(web, "alice", WRONG)).status_code == 400
    assert (await login(web, "alice", PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await login(web, "alice", WRONG)).status_code == 400
    # eight failures in the window, but only four since the success
    assert (await login(web, "alice", PASSWORD)).status_code == 200


async def test_unknown_usernames_are_throttled_like_known_ones(web: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await login(web, "mallory", WRONG)).json() == BAD_LOGIN
    assert_throttled(await login(web, "mallory", WRONG))


async def test_throttle_lifts_when_failures_leave_the_window(
    web: httpx.AsyncClient, gateway: Gateway
) -> None:
    clock = [1000.0]
    gateway.tokens.throttle = LoginThrottle(2, 60, clock=lambda: clock[0])
    assert (await login(web, "alice", WRONG)).status_code == 400
    clock[0] += 10
    assert (await login(web, "alice", WRONG)).status_code == 400
    assert assert_throttled(await login(web), window=60) == 51
    clock[0] += 30
    assert assert_throttled(await login(web), window=60) == 21
    clock[0] += 21  # the first failure has left the window; one is still in it
    assert (await login(web)).status_code == 200


async def test_per_address_limit_spans_usernames(
    settings: Settings, engine: AsyncEngine, accounts: Accounts
) -> None:
    """With one failure allowed per name, an address gets five (5x) across names."""
    one = settings_with(settings, login_max_failures=1)
    async with (
        serving(one, engine) as app,
        client_of(app, "198.51.100.7") as guesser,
        client_of(app, "198.51.100.8") as neighbour,
    ):
        for n in range(4):
            assert (await login(guesser, f"guess{n}", WRONG)).status_code == 400
        # four failures from the address: below its limit, and alice's name is clean
        assert (await login(guesser, "bob")).status_code == 200
        assert (await login(guesser, "guess4", WRONG)).status_code == 400
        assert_throttled(await login(guesser, "alice", PASSWORD))
        assert_throttled(await login(guesser, "someone-new", WRONG))
        # the names themselves are not throttled from elsewhere
        assert (await login(neighbour, "alice", PASSWORD)).status_code == 200
        # and each name is throttled after its one failure, from any address
        assert_throttled(await login(neighbour, "guess0", WRONG))


async def test_client_secret_guessing_is_throttled_per_client(
    web: httpx.AsyncClient, accounts: Accounts
) -> None:
    async def attempt(secret: str) -> httpx.Response:
        return await web.post(
            "/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic(accounts.client_id, secret)},
        )

    for _ in range(5):
        assert (await attempt("guess")).status_code == 401
    assert_throttled(await attempt(accounts.client_secret))
