"""Access tokens at the API: only a current HS256 JWT signed with dexgate's key, issued by and
for dexgate, naming an existing active principal, gets through; everything else is 401/001.
An Authorization header that is not ``Bearer <token>`` is 403/002.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy.ext.asyncio import AsyncEngine

import auth.tokens
from app.application import create_app
from app.gateway import Gateway
from app.settings import Settings
from auth import passwords, store
from auth.tokens import TokenSigner
from tests.conftest import settings_with
from tests.lifespan import lifespan

BASE = "http://dexgate.test"
PASSWORD = "correct horse battery"
COUNTRIES = "/dynamic-entity/countries"
INVALID_TOKEN = [{"status": 401, "code": "001", "message": "Invalid access token."}]
MALFORMED = [{"status": 403, "code": "002", "message": "Missing access token."}]
NO_CREDENTIALS = [{"status": 403, "code": "DX120", "message": "Unauthorized request."}]
CHALLENGE = 'Bearer error="invalid_token"'
# What a public key looks like where an HS/RS confusion attack uses it as an HMAC secret.
PUBLIC_KEY_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n"
    "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n"
    "-----END PUBLIC KEY-----\n"
)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id's defaults cost a quarter of a second per hash on a small machine."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dexgate: no such user"))


@dataclass(frozen=True)
class Reader:
    user_id: int
    client_db_id: int


@pytest.fixture
async def reader(engine: AsyncEngine) -> Reader:
    await store.set_role(engine, "reader", ["*:read"])
    user_id = await store.create_user(engine, "alice", PASSWORD, ["reader"])
    await store.create_client(engine, "svc", ["reader"])
    client_db_id = next(c.id for c in await store.list_clients(engine) if c.name == "svc")
    return Reader(user_id, client_db_id)


@pytest.fixture
async def web(gateway_app: Any, reader: Reader) -> AsyncIterator[httpx.AsyncClient]:
    # An unhandled error is answered 500, as a server would, so that one case does not hide
    # the others in the table-driven tests.
    transport = httpx.ASGITransport(app=gateway_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


@pytest.fixture
def signer(gateway: Gateway) -> TokenSigner:
    """The signer the running app verifies with."""
    return gateway.authenticator.signer


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app with its own engine, as another process would have, and a client of it."""
    app = create_app(settings)
    async with (
        lifespan(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client,
    ):
        yield client


# --- helpers -------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: object) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def app_key(signer: TokenSigner) -> OctKey:
    """The HMAC key behind the app's signer, to sign claims its ``issue`` never would."""
    key: OctKey = signer._key
    return key


def hs256(secret: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWS compact token signed by hand, whatever its header claims."""
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def good_claims(subject: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "dexgate",
        "aud": "dexgate",
        "sub": subject,
        "iat": now,
        "exp": now + 600,
        "jti": "0123456789abcdef",
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


async def call(client: httpx.AsyncClient, authorization: str) -> httpx.Response:
    return await client.get(COUNTRIES, headers={"Authorization": authorization})


async def bearer(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await call(client, f"Bearer {token}")


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == INVALID_TOKEN
    assert response.headers["WWW-Authenticate"] == CHALLENGE


async def password_token(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/token", data={"grant_type": "password", "username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


# --- the token itself ----------------------------------------------------------------------


async def test_tokens_from_the_apps_signer_are_accepted(
    web: httpx.AsyncClient, signer: TokenSigner, reader: Reader
) -> None:
    """The control for every refusal below: the same key and subjects, valid tokens."""
    user = await bearer(web, signer.issue(f"user:{reader.user_id}", 60))
    assert user.status_code == 200, user.text
    assert len(user.json()["data"]) == 10
    client = await bearer(web, signer.issue(f"client:{reader.client_db_id}", 60))
    assert client.status_code == 200, client.text
    by_hand = await bearer(
        web,
        hs256(app_key(signer).raw_value, {"alg": "HS256"}, good_claims(f"user:{reader.user_id}")),
    )
    assert by_hand.status_code == 200, by_hand.text
    lowercase_scheme = await call(web, f"bearer {signer.issue(f'user:{reader.user_id}', 60)}")
    assert lowercase_scheme.status_code == 200, lowercase_scheme.text


async def test_expired_token(web: httpx.AsyncClient, signer: TokenSigner, reader: Reader) -> None:
    subject = f"user:{reader.user_id}"
    assert_refused(await bearer(web, signer.issue(subject, -1)))
    assert_refused(await bearer(web, signer.issue(subject, -3600)))
    assert_refused(await bearer(web, signer.issue(subject, 0)))  # exp == now is expired


async def test_token_expires_while_in_use(
    web: httpx.AsyncClient, signer: TokenSigner, reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verified tokens are cached; the cache must not outlive ``exp``."""
    token = signer.issue(f"user:{reader.user_id}", 30)
    assert (await bearer(web, token)).status_code == 200
    assert (await bearer(web, token)).status_code == 200
    later = time.time() + 31
    monkeypatch.setattr(auth.tokens, "time", SimpleNamespace(time=lambda: later))
    assert_refused(await bearer(web, token))
    assert_refused(await bearer(web, token))


def forgeries(signer: TokenSigner, settings: Settings, reader: Reader) -> dict[str, str]:
    """Name -> token; every one must be refused with 401/001."""
    subject = f"user:{reader.user_id}"
    key = app_key(signer).raw_value
    valid = signer.issue(subject, 600)
    header, payload, signature = valid.split(".")
    claims = json.loads(unb64(payload))
    rsa = RSAKey.generate_key(2048)
    hmac_header = {"alg": "HS256", "typ": "JWT"}
    return {
        # signatures
        "other secret": TokenSigner("some other secret").issue(subject, 600),
        "other secret, same key derivation": hs256(
            hashlib.sha256(b"dexgate access token\0other").digest(), hmac_header, claims
        ),
        "raw configured secret as key": hs256(settings.secret_key.encode(), hmac_header, claims),
        "tampered payload": ".".join(
            [header, b64json({**claims, "sub": f"client:{reader.client_db_id}"}), signature]
        ),
        "tampered expiry": ".".join(
            [header, b64json({**claims, "exp": claims["exp"] + 9}), signature]
        ),
        "signature of another token": ".".join(
            [header, payload, signer.issue(subject, 600).split(".")[2]]
        ),
        "signature flipped": ".".join(
            [
                header,
                payload,
                signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1],
            ]
        ),
        # truncation and garbage
        "truncated": valid[:-5],
        "no signature": f"{header}.{payload}.",
        "two segments": f"{header}.{payload}",
        "header only": header,
        "five segments": f"{valid}.{signature}.{signature}",
        "not base64": "!!!.@@@.###",
        "not json": f"{b64(b'hello')}.{b64(b'world')}.{signature}",
        "garbage": "abc",
        "very long": "a" * 10_000,
        # claims
        "wrong audience": TokenSigner(settings.secret_key, audience="someone-else").issue(
            subject, 600
        ),
        "wrong issuer": TokenSigner(settings.secret_key, issuer="evil").issue(subject, 600),
        "audience list without dexgate": hs256(key, hmac_header, good_claims(subject, aud=["x"])),
        "no audience": hs256(key, hmac_header, good_claims(subject, aud=None)),
        "no issuer": hs256(key, hmac_header, good_claims(subject, iss=None)),
        "no expiry": hs256(key, hmac_header, good_claims(subject, exp=None)),
        "expiry as text": hs256(
            key, hmac_header, good_claims(subject, exp=str(int(time.time()) + 600))
        ),
        "no subject": hs256(key, hmac_header, good_claims(subject, sub=None)),
        "not before in the future": hs256(
            key, hmac_header, good_claims(subject, nbf=int(time.time()) + 3600)
        ),
        "payload is a list": hs256(key, hmac_header, [claims]),  # type: ignore[arg-type]
        # algorithms
        "alg none": f"{b64json({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg None": f"{b64json({'alg': 'None', 'typ': 'JWT'})}.{payload}.",
        "alg NONE with signature": f"{b64json({'alg': 'NONE'})}.{payload}.{signature}",
        "no alg": hs256(key, {"typ": "JWT"}, claims),
        "header says RS256, HMAC with the app key": hs256(key, {"alg": "RS256"}, claims),
        "HS256 keyed with a public key": hs256(PUBLIC_KEY_PEM.encode(), hmac_header, claims),
        "HS256 keyed with the public key of the RS256 signer": hs256(
            rsa.as_pem(private=False), hmac_header, claims
        ),
        "real RS256": jwt.encode({"alg": "RS256"}, claims, rsa, ["RS256"]),
        "HS512 with the app key": jwt.encode({"alg": "HS512"}, claims, app_key(signer), ["HS512"]),
        "header with jwk": hs256(
            b"attacker", {"alg": "HS256", "jwk": {"kty": "oct", "k": b64(b"attacker")}}, claims
        ),
    }


async def test_forged_malformed_and_misaddressed_tokens_are_refused(
    web: httpx.AsyncClient, signer: TokenSigner, settings: Settings, reader: Reader
) -> None:
    answers = {}
    for name, token in forgeries(signer, settings, reader).items():
        response = await bearer(web, token)
        challenge = response.headers.get("WWW-Authenticate")
        answers[name] = (response.status_code, response.json(), challenge)
    assert answers == {name: (401, INVALID_TOKEN, CHALLENGE) for name in answers}


async def test_subjects_that_do_not_exist_or_make_no_sense_are_refused(
    web: httpx.AsyncClient, signer: TokenSigner, reader: Reader
) -> None:
    subjects = [
        "user:999999",
        "client:999999",
        f"client:{reader.user_id + 1000}",
        "user:0",
        "user:-1",
        "user:abc",
        "user:",
        ":1",
        "user",
        "alice",
        "admin:1",
        "apikey:1",
        "USER:1",
        f"user:{reader.user_id}:x",
        f"user:{reader.user_id} ",
        f"user: {reader.user_id}",
        "user:1.0",
        "user:²",  # a digit to str.isdigit, not to int()
        "user:3000000000",  # beyond a 32-bit integer column
        "user:99999999999999999999999999",  # beyond any database integer
        "",
    ]
    answers = {}
    for subject in subjects:
        response = await bearer(web, signer.issue(subject, 600))
        answers[subject] = (response.status_code, response.text)
    assert answers == {s: (401, json.dumps(INVALID_TOKEN, separators=(",", ":"))) for s in subjects}


async def test_non_string_subject_is_refused(
    web: httpx.AsyncClient, signer: TokenSigner, reader: Reader
) -> None:
    key = app_key(signer).raw_value
    for subject in (reader.user_id, [f"user:{reader.user_id}"], None):
        claims = good_claims("placeholder", sub=subject)
        assert_refused(await bearer(web, hs256(key, {"alg": "HS256"}, claims)))


async def test_refusal_on_graphql_has_the_graphql_shape(
    web: httpx.AsyncClient, signer: TokenSigner, reader: Reader
) -> None:
    token = TokenSigner("another secret").issue(f"user:{reader.user_id}", 600)
    response = await web.post(
        "/graphql",
        json={"query": "{ countries(limit: 1) { items { name } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.json() == {
        "errors": [
            {"message": "Invalid access token.", "extensions": {"code": "001", "status": 401}}
        ]
    }
    good = await web.post(
        "/graphql",
        json={"query": "{ countries(limit: 1) { items { name } } }"},
        headers={"Authorization": f"Bearer {signer.issue(f'user:{reader.user_id}', 600)}"},
    )
    assert good.json() == {"data": {"countries": {"items": [{"name": "Germany"}]}}}


# --- the Authorization header --------------------------------------------------------------


async def test_authorization_header_that_is_not_bearer_token_is_403_002(
    web: httpx.AsyncClient, signer: TokenSigner, reader: Reader
) -> None:
    token = signer.issue(f"user:{reader.user_id}", 600)
    headers = {
        "basic": "Basic " + base64.b64encode(b"alice:" + PASSWORD.encode()).decode(),
        "bearer without token": "Bearer",
        "bearer with blank": "Bearer   ",
        "two words": "Bearer a b",
        "valid token plus extra": f"Bearer {token} extra",
        "token without scheme": token,
        "other scheme": f"Token {token}",
        "empty": "",
    }
    answers = {}
    for name, value in headers.items():
        response = await call(web, value)
        answers[name] = (
            response.status_code,
            response.json(),
            "WWW-Authenticate" in response.headers,
        )
    assert answers == {name: (403, MALFORMED, False) for name in headers}


async def test_malformed_header_on_graphql(web: httpx.AsyncClient) -> None:
    response = await web.post(
        "/graphql",
        json={"query": "{ countries(limit: 1) { items { name } } }"},
        headers={"Authorization": "Bearer a b"},
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"] == {"code": "002", "status": 403}


async def test_no_credentials_is_403_dx120(web: httpx.AsyncClient) -> None:
    response = await web.get(COUNTRIES)
    assert response.status_code == 403
    assert response.json() == NO_CREDENTIALS


# --- the signing secret --------------------------------------------------------------------


async def test_apps_without_a_configured_secret_share_the_persisted_one(
    settings: Settings, engine: AsyncEngine, reader: Reader
) -> None:
    unset = settings_with(settings, secret_key="")
    async with serving(unset) as first, serving(unset) as second:
        token = await password_token(first)
        assert (await bearer(first, token)).status_code == 200
        accepted = await bearer(second, token)
        assert accepted.status_code == 200, accepted.text
        from_second = await password_token(second)
        assert (await bearer(first, from_second)).status_code == 200
    persisted = await store.signing_secret(engine)
    assert persisted
    assert persisted != settings.secret_key
    # a restart keeps accepting tokens signed with the persisted secret
    async with serving(unset) as restarted:
        assert (await bearer(restarted, token)).status_code == 200
        made_here = TokenSigner(persisted).issue(f"user:{reader.user_id}", 60)
        assert (await bearer(restarted, made_here)).status_code == 200
    # an app configured with another secret refuses them, and its tokens are refused back
    async with serving(settings_with(settings, secret_key="a different secret")) as other:
        assert_refused(await bearer(other, token))
        assert_refused(await bearer(other, from_second))
        theirs = await password_token(other)
        assert (await bearer(other, theirs)).status_code == 200
        async with serving(unset) as again:
            assert_refused(await bearer(again, theirs))


async def test_configured_secret_is_used_and_not_the_persisted_one(
    web: httpx.AsyncClient, settings: Settings, engine: AsyncEngine, reader: Reader
) -> None:
    persisted = await store.signing_secret(engine)
    subject = f"user:{reader.user_id}"
    assert (
        await bearer(web, TokenSigner(settings.secret_key).issue(subject, 60))
    ).status_code == 200
    assert_refused(await bearer(web, TokenSigner(persisted).issue(subject, 60)))


async def test_signer_round_trip(signer: TokenSigner, reader: Reader) -> None:
    """The signer the app uses verifies its own tokens to the claims it put in."""
    token = signer.issue(f"user:{reader.user_id}", 120, session="family-1")
    claims = signer.verify(token)
    assert claims.subject == f"user:{reader.user_id}"
    assert claims.session == "family-1"
    assert claims.kind == "user"
    assert claims.principal_id == reader.user_id
    assert 0 < claims.expires_at - int(time.time()) <= 120
