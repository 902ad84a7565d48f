"""Signed access tokens: JWTs (RFC 7519) signed with HS256 by joserfc, the one owner of JOSE.

The algorithm is fixed here, never taken from a token's header: ``alg: none``, RS/HS confusion
and any other algorithm are refused. Claims: ``iss`` and ``aud`` (both ``dexgate`` unless
configured), ``sub`` (``user:ID`` or ``client:ID``), ``iat``, ``exp``, ``jti`` and, for tokens
issued with a refresh token, ``sid`` (the refresh-token family, so revoking the family stops
its access tokens too). Why JWTs rather than opaque tokens: verifying one needs no database
round trip, and the principal's state (active, roles) is still checked through a short-lived
cache, which bounds how long a revoked user or client keeps access (see auth.authenticator).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from cachetools import LRUCache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ALGORITHM = "HS256"
_CACHE_SIZE = 4096


_MAX_ROW_ID = 2**31 - 1  # dexgate's id columns are 32-bit integers on every database


def _is_row_id(text: str) -> bool:
    return text.isascii() and text.isdecimal() and 0 < int(text) <= _MAX_ROW_ID


class TokenRejectedError(Exception):
    """The token is malformed, forged, expired or meant for someone else."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    subject: str
    expires_at: int
    session: str | None = None

    @property
    def kind(self) -> str:
        return self.subject.partition(":")[0]

    @property
    def principal_id(self) -> int:
        return int(self.subject.partition(":")[2])


class TokenSigner:
    """Issues and verifies access tokens with one symmetric key."""

    def __init__(self, secret: str, *, issuer: str = "dexgate", audience: str = "dexgate") -> None:
        # Whatever the configured secret looks like, the HMAC key is 256 bits derived from it.
        raw = hashlib.sha256(b"dexgate access token\0" + secret.encode()).digest()
        self._key = OctKey.import_key(raw)
        self.issuer = issuer
        self.audience = audience
        self._verified: LRUCache[str, AccessClaims] = LRUCache(_CACHE_SIZE)

    def issue(self, subject: str, ttl: int, *, session: str | None = None) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl,
            "jti": secrets.token_hex(8),
        }
        if session is not None:
            claims["sid"] = session
        return jwt.encode({"alg": ALGORITHM, "typ": "JWT"}, claims, self._key, [ALGORITHM])

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; raises TokenRejectedError for anything but a valid, current token."""
        cached = self._verified.get(token)
        now = int(time.time())
        if cached is not None:
            if cached.expires_at > now:
                return cached
            del self._verified[token]
            raise TokenRejectedError("expired")
        claims = self._decode(token, now)
        self._verified[token] = claims
        return claims

    def _decode(self, token: str, now: int) -> AccessClaims:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            registry = jwt.JWTClaimsRegistry(
                now=now,
                leeway=0,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience},
                sub={"essential": True},
                exp={"essential": True},
            )
            registry.validate(decoded.claims)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise TokenRejectedError(str(exc)) from exc
        if decoded.header.get("alg") != ALGORITHM:
            raise TokenRejectedError("unexpected algorithm")
        subject = decoded.claims["sub"]
        kind, _, ident = str(subject).partition(":")
        session = decoded.claims.get("sid")
        if kind not in ("user", "client") or not _is_row_id(ident):
            raise TokenRejectedError("unknown subject")
        return AccessClaims(
            str(subject), int(decoded.claims["exp"]), str(session) if session else None
        )
