"""Random credentials and their stored form.

API keys, client secrets and refresh tokens are 256 random bits, so a fast SHA-256 digest is
as safe to store as a slow password hash (nothing to brute-force) and lets one indexed lookup
find the owner. Spryker stores API keys the same way. Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "dxg_"


def digest(secret: str) -> str:
    """The SHA-256 hex digest stored in place of a secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def key_prefix(key: str) -> str:
    """What listings show of a key: enough to tell keys apart, nothing to use."""
    return key[: len(API_KEY_PREFIX) + 6]


def new_client_id() -> str:
    return "dxc_" + secrets.token_hex(12)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_family() -> str:
    return secrets.token_hex(16)


def secret_generation(secret_digest: str) -> str:
    """A short mark of a client's current secret, carried in its access tokens: rotating the
    secret changes it, and tokens carrying the old one are refused (the digest itself is not
    given away: the mark is a hash of it)."""
    return "gen:" + hashlib.sha256(secret_digest.encode()).hexdigest()[:16]
