"""Back Office sessions: a login by username and password that opens a revocable session.

A session is a refresh-token family (a ``dexgate_refresh_token`` row whose token is never
handed out) and an access token carrying that family as its ``sid``. Revoking the family (at
logout, or when the user is disabled or its password changes, see auth.store) stops the access
token the same way it stops the tokens of ``POST /token`` (see auth.authenticator).

Logins check the password as ``POST /token`` does (argon2, the same time for an unknown user)
and count failures in the same :class:`~auth.throttle.LoginThrottle`, so guessing through the
Back Office and through the token endpoint shares one budget.

A session's CSRF token is an HMAC keyed with the session's access token: only a page that was
served to the session can know it, it changes with every login, and it is no credential itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import credentials, tables
from auth.passwords import verify_password
from auth.principal import Principal
from auth.store import load_principal, now
from auth.throttle import LoginThrottle
from auth.tokens import TokenRejectedError, TokenSigner
from auth.transactions import write_transaction


class LoginRefusedError(Exception):
    """A login that opens no session; the message is meant for the person logging in."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidLoginError(LoginRefusedError):
    def __init__(self) -> None:
        super().__init__("Invalid username or password.")


class NotAdminError(LoginRefusedError):
    def __init__(self, username: str) -> None:
        super().__init__(f"User {username} may not use the Back Office: that needs the admin role.")


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    family: str
    principal: Principal
    max_age: int


def csrf_token(session_token: str) -> str:
    """The CSRF token of the session whose access token is ``session_token``."""
    return hmac.new(session_token.encode(), b"dexgate csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, candidate: str | None) -> bool:
    return bool(candidate) and hmac.compare_digest(csrf_token(session_token), candidate or "")


class BackOfficeSessions:
    """Opens and closes sessions; ``lifetime`` is the access-token lifetime, in seconds."""

    def __init__(
        self, engine: AsyncEngine, signer: TokenSigner, throttle: LoginThrottle, lifetime: int
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.throttle = throttle
        self.lifetime = lifetime

    async def authenticate(self, username: str, password: str, address: str | None) -> Principal:
        """The active user with this password. Raises TooManyAttemptsError while throttled
        (even for the right password) and InvalidLoginError, counted as a failure, otherwise."""
        await self.throttle.check(username, address)
        u = tables.user
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(u.c.id, u.c.password_hash, u.c.is_active).where(
                        u.c.username == username
                    )
                )
            ).first()
        stored = row.password_hash if row is not None else None
        ok = await anyio.to_thread.run_sync(verify_password, stored, password)
        if row is None or not ok or not row.is_active:
            await self.throttle.failed(username, address)
            raise InvalidLoginError()
        await self.throttle.succeeded(username)
        async with self.engine.connect() as connection:
            return await load_principal(connection, "user", int(row.id), username)

    async def login(self, username: str, password: str, address: str | None) -> Session:
        """A new session for an admin user. Raises as :meth:`authenticate`, and NotAdminError
        for a user without the admin role."""
        principal = await self.authenticate(username, password, address)
        if not principal.is_admin:
            raise NotAdminError(username)
        family = credentials.new_family()
        stamp = now()
        async with write_transaction(self.engine) as connection:
            await connection.execute(
                tables.refresh_token.insert().values(
                    token_hash=credentials.digest(credentials.new_secret()),
                    family=family,
                    user_id=principal.id,
                    expires_at=stamp + timedelta(seconds=self.lifetime),
                    created_at=stamp,
                )
            )
            await connection.execute(
                tables.user.update()
                .where(tables.user.c.id == principal.id)
                .values(last_login_at=stamp)
            )
        token = self.signer.issue(f"user:{principal.id}", self.lifetime, session=family)
        return Session(token, family, principal, self.lifetime)

    async def logout(self, session_token: str) -> None:
        """Revoke the session's family; a token that is not a valid session is ignored."""
        try:
            family = self.signer.verify(session_token).session
        except TokenRejectedError:
            return
        if family is None:
            return
        rt = tables.refresh_token
        async with write_transaction(self.engine) as connection:
            await connection.execute(
                rt.update()
                .where(rt.c.family == family, rt.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
