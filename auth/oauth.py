"""``POST /token``: authlib's OAuth 2.0 authorization server (RFC 6749), over dexgate's tables.

Grants: ``password`` for Back Office users (no client credentials needed: such requests are
handled as the built-in public client ``dexgate``), ``client_credentials`` for registered
clients (HTTP Basic or ``client_id``/``client_secret`` in the form), and ``refresh_token`` with
rotation: each refresh token works once; presenting a used one again revokes its whole family
(and the access tokens issued with it), as RFC 6819 5.2.2.3 recommends.

authlib's grants are synchronous, dexgate's database is not. So a request runs in three steps:
everything the grant may ask for (client, user, refresh token) is loaded first; authlib then
validates the request and builds the response in a worker thread (argon2 verification takes
tens of milliseconds); what it decided to store is written last, in one transaction whose
conditional update also catches two concurrent uses of one refresh token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import unquote

import anyio.to_thread
import sqlalchemy as sa
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749 import grants as rfc6749_grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth import credentials, tables
from auth.passwords import verify_password
from auth.store import aware, now
from auth.throttle import LoginThrottle
from auth.tokens import TokenSigner
from auth.transactions import write_transaction
from auth.usage import UsageRecorder

PUBLIC_CLIENT_ID = "dexgate"
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


@dataclass(frozen=True, slots=True)
class Lifetimes:
    access: int = 8 * 3600
    refresh: int = 30 * 24 * 3600


@dataclass(slots=True)
class _Client(ClientMixin):  # type: ignore[misc]  # authlib is untyped
    id: int | None
    client_id: str
    secret_hash: str | None

    @property
    def public(self) -> bool:
        return self.secret_hash is None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and credentials.matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_grant_type(self, grant_type: str) -> bool:
        if self.public:
            return grant_type in ("password", "refresh_token")
        return grant_type == "client_credentials"


@dataclass(frozen=True, slots=True)
class _User:
    id: int
    username: str
    password_hash: str
    is_active: bool

    def get_user_id(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class _Refresh:
    id: int
    family: str
    user_id: int
    usable: bool

    def check_client(self, client: _Client) -> bool:
        return client.public

    def get_scope(self) -> str:
        return ""


@dataclass(slots=True)
class _Exchange:
    """One token request: what was loaded before authlib runs, and what it decided."""

    clients: dict[str, _Client] = field(default_factory=dict)
    user: _User | None = None
    refresh: _Refresh | None = None
    family: str | None = None
    issued: dict[str, Any] | None = None
    rotated: _Refresh | None = None
    bad_credentials: bool = False


class _Request(OAuth2Request):  # type: ignore[misc]  # authlib is untyped
    def __init__(
        self, form: dict[str, str], headers: Mapping[str, str], exchange: _Exchange
    ) -> None:
        # Transport security is the deployment's: dexgate is meant to run behind TLS.
        super().__init__("POST", "https://dexgate/token", headers=headers)
        self.payload = BasicOAuth2Payload(form)
        self._form = form
        self.exchange = exchange

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


def _exchange(grant: Any) -> _Exchange:
    exchange: _Exchange = grant.request.exchange
    return exchange


# A registered client that authenticates here is refused by check_grant_type (400
# unauthorized_client), or with 401 invalid_client when its secret is wrong.
_ANY_CLIENT: list[str] = ["none", "client_secret_basic", "client_secret_post"]


class _PasswordGrant(rfc6749_grants.ResourceOwnerPasswordCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = _ANY_CLIENT

    def authenticate_user(self, username: str, password: str) -> _User:
        exchange = _exchange(self)
        user = exchange.user
        ok = verify_password(user.password_hash if user else None, password)
        if user is None or not ok or not user.is_active:
            exchange.bad_credentials = True
            raise InvalidGrantError("Invalid username or password.")
        return user


class _ClientCredentialsGrant(rfc6749_grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic",
        "client_secret_post",
    ]


class _RefreshTokenGrant(rfc6749_grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = _ANY_CLIENT
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> _Refresh | None:
        refresh = _exchange(self).refresh
        return refresh if refresh is not None and refresh.usable else None

    def authenticate_user(self, refresh_token: _Refresh) -> _User | None:
        user = _exchange(self).user
        return user if user is not None and user.is_active else None

    def revoke_old_credential(self, refresh_token: _Refresh) -> None:
        _exchange(self).rotated = refresh_token


class _Server(AuthorizationServer):  # type: ignore[misc]  # authlib is untyped
    def __init__(self, signer: TokenSigner, lifetimes: Lifetimes, exchange: _Exchange) -> None:
        super().__init__(scopes_supported=None)
        self.signer = signer
        self.lifetimes = lifetimes
        self.register_grant(_PasswordGrant)
        self.register_grant(_ClientCredentialsGrant)
        self.register_grant(_RefreshTokenGrant)
        self.register_token_generator("default", self._generate)
        self._current = exchange

    def query_client(self, client_id: str) -> _Client | None:
        return self._current.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: _Request) -> None:
        request.exchange.issued = token

    def create_oauth2_request(self, request: _Request) -> _Request:
        return request

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers

    def _generate(
        self,
        grant_type: str,
        client: _Client,
        user: _User | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        exchange = self._current
        if user is not None:
            family = exchange.refresh.family if exchange.refresh else credentials.new_family()
            exchange.family = family
            access = self.signer.issue(f"user:{user.id}", self.lifetimes.access, session=family)
        else:
            # The secret's generation as the session: rotating the secret ends these tokens.
            generation = credentials.secret_generation(client.secret_hash or "")
            access = self.signer.issue(
                f"client:{client.id}", self.lifetimes.access, session=generation
            )
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": self.lifetimes.access,
        }
        if include_refresh_token and user is not None:
            token["refresh_token"] = credentials.new_secret()
        return token


def _basic_client_id(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(decoded.partition(":")[0]) or None


class TokenService:
    """The token endpoint's work: throttle, load, let authlib decide, store."""

    def __init__(
        self,
        engine: AsyncEngine,
        signer: TokenSigner,
        lifetimes: Lifetimes,
        throttle: LoginThrottle,
        usage: UsageRecorder,
    ) -> None:
        self.engine = engine
        self.usage = usage
        self.lifetimes = lifetimes
        self.throttle = throttle
        self._signer = signer

    async def token(
        self, form: dict[str, str], headers: Mapping[str, str], address: str | None
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """``(status, JSON body, headers)`` of the token response. Raises TooManyAttemptsError."""
        grant_type = form.get("grant_type")
        if not grant_type:
            error = InvalidRequestError("Missing 'grant_type' in request.")
            return error.status_code, dict(error.get_body()), NO_STORE
        username = form.get("username") if grant_type == "password" else None
        client_id = _basic_client_id(headers) or form.get("client_id")
        throttled_name = username or (client_id if grant_type == "client_credentials" else None)
        await self.throttle.check(throttled_name, address)
        if grant_type in ("password", "refresh_token") and client_id is None:
            form = {**form, "client_id": PUBLIC_CLIENT_ID}
            client_id = PUBLIC_CLIENT_ID
        exchange = await self._load(form, grant_type, client_id, username)
        status, body, out_headers = await anyio.to_thread.run_sync(
            self._run, form, headers, exchange
        )
        failed = exchange.bad_credentials or (
            isinstance(body, dict) and body.get("error") == InvalidClientError.error
        )
        if failed:
            await self.throttle.failed(throttled_name, address)
            return status, body, out_headers
        if status == 200 and exchange.issued is not None:
            if not await self._store(exchange):
                error = InvalidGrantError("The refresh token has already been used.")
                return error.status_code, dict(error.get_body()), NO_STORE
            await self.throttle.succeeded(throttled_name)
        return status, body, [*out_headers, *NO_STORE]

    def _run(
        self, form: dict[str, str], headers: Mapping[str, str], exchange: _Exchange
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        server = _Server(self._signer, self.lifetimes, exchange)
        try:
            result: tuple[int, Any, list[tuple[str, str]]] = server.create_token_response(
                _Request(form, headers, exchange)
            )
        except OAuth2Error as error:  # raised outside authlib's own handling
            return error.status_code, dict(error.get_body()), list(error.get_headers())
        return result

    async def _load(
        self,
        form: dict[str, str],
        grant_type: str | None,
        client_id: str | None,
        username: str | None,
    ) -> _Exchange:
        exchange = _Exchange()
        exchange.clients[PUBLIC_CLIENT_ID] = _Client(None, PUBLIC_CLIENT_ID, None)
        u, c, rt = tables.user, tables.client, tables.refresh_token
        reused_family: str | None = None
        async with self.engine.connect() as connection:
            if client_id and client_id != PUBLIC_CLIENT_ID:
                found_client = (
                    await connection.execute(
                        sa.select(c.c.id, c.c.client_id, c.c.secret_hash).where(
                            c.c.client_id == client_id, c.c.is_active.is_(True)
                        )
                    )
                ).first()
                if found_client is not None:
                    exchange.clients[client_id] = _Client(
                        found_client.id, found_client.client_id, found_client.secret_hash
                    )
            user_where: Any = None
            if grant_type == "password" and username:
                user_where = u.c.username == username
            elif grant_type == "refresh_token" and form.get("refresh_token"):
                token_row = (
                    await connection.execute(
                        sa.select(rt).where(
                            rt.c.token_hash == credentials.digest(form["refresh_token"])
                        )
                    )
                ).first()
                if token_row is not None:
                    row: Any = token_row
                    expires_at = aware(row.expires_at)
                    if row.used_at is not None and row.revoked_at is None:
                        reused_family = row.family
                    usable = (
                        row.used_at is None
                        and row.revoked_at is None
                        and expires_at is not None
                        and expires_at > now()
                    )
                    exchange.refresh = _Refresh(row.id, row.family, row.user_id, usable)
                    user_where = u.c.id == row.user_id
            if user_where is not None:
                row = (
                    await connection.execute(
                        sa.select(u.c.id, u.c.username, u.c.password_hash, u.c.is_active).where(
                            user_where
                        )
                    )
                ).first()
                if row is not None:
                    exchange.user = _User(
                        row.id, row.username, row.password_hash, bool(row.is_active)
                    )
        if reused_family is not None:
            # A used refresh token presented again: its whole family is revoked (RFC 6819).
            async with write_transaction(self.engine) as connection:
                await connection.execute(
                    rt.update()
                    .where(rt.c.family == reused_family, rt.c.revoked_at.is_(None))
                    .values(revoked_at=now())
                )
        return exchange

    async def _store(self, exchange: _Exchange) -> bool:
        """Persist what authlib issued; False when the refresh token was used concurrently.

        A client's use is noted for :class:`~auth.usage.UsageRecorder` to write later: a
        client credentials grant, which stores nothing else, writes nothing."""
        issued = exchange.issued
        assert issued is not None
        stamp = now()
        if exchange.rotated is not None or exchange.user is not None:
            async with write_transaction(self.engine) as connection:
                if not await self._write_issued(connection, exchange, issued, stamp):
                    return False
        for client in exchange.clients.values():
            if client.id is not None:
                self.usage.client_used(client.id, stamp)
        return True

    async def _write_issued(
        self,
        connection: AsyncConnection,
        exchange: _Exchange,
        issued: dict[str, Any],
        stamp: datetime,
    ) -> bool:
        rt = tables.refresh_token
        if exchange.rotated is not None:
            result = await connection.execute(
                rt.update()
                .where(
                    rt.c.id == exchange.rotated.id,
                    rt.c.used_at.is_(None),
                    rt.c.revoked_at.is_(None),
                )
                .values(used_at=stamp)
            )
            if result.rowcount != 1:
                await connection.execute(
                    rt.update()
                    .where(rt.c.family == exchange.rotated.family, rt.c.revoked_at.is_(None))
                    .values(revoked_at=stamp)
                )
                return False
        if "refresh_token" in issued and exchange.user is not None:
            await connection.execute(
                rt.insert().values(
                    token_hash=credentials.digest(issued["refresh_token"]),
                    family=exchange.family,
                    user_id=exchange.user.id,
                    expires_at=stamp + timedelta(seconds=self.lifetimes.refresh),
                    created_at=stamp,
                )
            )
        if exchange.user is not None and exchange.rotated is None:
            await connection.execute(
                tables.user.update()
                .where(tables.user.c.id == exchange.user.id)
                .values(last_login_at=stamp)
            )
        return True

    async def revoke(self, token: str) -> None:
        """RFC 7009: revoke the refresh token's family; unknown tokens are ignored."""
        rt = tables.refresh_token
        async with write_transaction(self.engine) as connection:
            family = await connection.scalar(
                sa.select(rt.c.family).where(rt.c.token_hash == credentials.digest(token))
            )
            if family is not None:
                await connection.execute(
                    rt.update()
                    .where(rt.c.family == family, rt.c.revoked_at.is_(None))
                    .values(revoked_at=now())
                )
