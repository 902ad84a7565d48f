"""From request credentials to a :class:`~auth.principal.Principal`, or an AuthError.

Credentials, as Spryker takes them: an API key in the ``X-Api-Key`` header (which wins) or the
``api_key`` query parameter, or ``Authorization: Bearer <access token>``. A principal's state
(active, revoked, expired, roles and grants) is read from the database and kept for
``cache_seconds`` (default 5): that is the bound on how long a revocation, a disabled user or
a changed role takes to reach every running process. Key expiry (``valid_to``) is exact.
Authenticating writes nothing: each use of an API key, and of a client's access token, is
noted for the :class:`~auth.usage.UsageRecorder` to write in the background.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import credentials, tables
from auth.errors import (
    InvalidAccessTokenError,
    MalformedAuthorizationError,
    UnauthorizedRequestError,
)
from auth.principal import Principal
from auth.store import aware, load_principal, now
from auth.tokens import TokenRejectedError, TokenSigner
from auth.usage import UsageRecorder

_CACHE_SIZE = 10_000


class Authenticator:
    def __init__(
        self,
        engine: AsyncEngine,
        signer: TokenSigner,
        usage: UsageRecorder,
        *,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.usage = usage
        # (principal or None when refused, valid_to for keys)
        self._keys: TTLCache[str, tuple[Principal | None, datetime | None]] = TTLCache(
            _CACHE_SIZE, cache_seconds, timer=clock
        )
        self._subjects: TTLCache[tuple[str, str | None], Principal | None] = TTLCache(
            _CACHE_SIZE, cache_seconds, timer=clock
        )

    def forget(self) -> None:
        """Drop every cached principal (after a change made in this process)."""
        self._keys.clear()
        self._subjects.clear()

    async def authenticate(self, api_key: str | None, authorization: str | None) -> Principal:
        """The caller, or AuthError: 403 without valid credentials, 403/002 for a malformed
        Authorization header, 401/001 for a bad bearer token."""
        if api_key:
            principal = await self.from_api_key(api_key)
            if principal is not None:
                return principal
        if authorization is not None:
            return await self.from_authorization(authorization)
        raise UnauthorizedRequestError()

    async def from_authorization(self, authorization: str) -> Principal:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise MalformedAuthorizationError()
        return await self.from_access_token(token)

    async def from_access_token(self, token: str) -> Principal:
        try:
            claims = self.signer.verify(token)
        except TokenRejectedError:
            raise InvalidAccessTokenError() from None
        key = (claims.subject, claims.session)
        principal = self._subjects.get(key)
        if principal is None:
            principal = await self._load_subject(claims.kind, claims.principal_id, claims.session)
            self._subjects[key] = principal
        if principal is None:
            raise InvalidAccessTokenError()
        if principal.kind == "client":
            self.usage.client_used(principal.id)
        return principal

    async def from_api_key(self, key: str) -> Principal | None:
        digest = credentials.digest(key)
        cached = self._keys.get(digest)
        if cached is None:
            cached = await self._load_key(digest)
            self._keys[digest] = cached
        principal, valid_to = cached
        if principal is None:
            return None
        at = now()
        if valid_to is not None and valid_to <= at:
            return None
        self.usage.key_used(principal.id, at)
        return principal

    async def _load_key(self, digest: str) -> tuple[Principal | None, datetime | None]:
        k = tables.api_key
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(k.c.id, k.c.name, k.c.valid_to, k.c.revoked_at).where(
                        k.c.key_hash == digest
                    )
                )
            ).first()
            if row is None or row.revoked_at is not None:
                return None, None
            valid_to = aware(row.valid_to)
            if valid_to is not None and valid_to <= now():
                return None, None
            return await load_principal(connection, "apikey", row.id, row.name), valid_to

    async def _load_subject(self, kind: str, ident: int, session: str | None) -> Principal | None:
        table = tables.user if kind == "user" else tables.client
        name_column = table.c.username if kind == "user" else table.c.name
        generation = tables.client.c.secret_hash if kind == "client" else sa.null()
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(name_column, table.c.is_active, generation).where(table.c.id == ident)
                )
            ).first()
            if row is None or not row[1]:
                return None
            if kind == "client":
                # A client's token names the secret it was issued for: refused once rotated.
                if session is not None and session != credentials.secret_generation(row[2] or ""):
                    return None
            elif session is not None:
                rt = tables.refresh_token
                revoked = await connection.scalar(
                    sa.select(rt.c.id)
                    .where(rt.c.family == session, rt.c.revoked_at.is_not(None))
                    .limit(1)
                )
                if revoked is not None:
                    return None
            return await load_principal(
                connection, "user" if kind == "user" else "client", ident, str(row[0])
            )
