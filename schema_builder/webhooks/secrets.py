"""Webhook signing secrets: made, shown once, kept encrypted.

A receiver verifies a signature with the same secret, so dexgate must keep the secret itself,
not a hash of it: it is stored encrypted with AES-GCM under a key derived (HKDF-SHA256) from
dexgate's secret key (``DEXGATE_SECRET_KEY``, or the random one dexgate keeps in its database
when that is unset, which then protects only against a copy of the webhook table alone).
"""

from __future__ import annotations

import base64
import os
import secrets as random

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "whsec_"
_VERSION = "v1:"


class SecretError(Exception):
    """A stored secret that cannot be decrypted (the secret key changed)."""


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return PREFIX + base64.b64encode(random.token_bytes(24)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret."""
    return base64.b64decode(secret.removeprefix(PREFIX))


class SecretBox:
    """Encrypts and decrypts webhook secrets under a key derived from ``secret_key``."""

    def __init__(self, secret_key: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"dexgate webhook secrets"
        ).derive(secret_key.encode())
        self._aead = AESGCM(key)

    def seal(self, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), b"dexgate-webhook")
        return _VERSION + base64.b64encode(nonce + sealed).decode()

    def open(self, stored: str) -> str:
        try:
            raw = base64.b64decode(stored.removeprefix(_VERSION))
            return self._aead.decrypt(raw[:12], raw[12:], b"dexgate-webhook").decode()
        except (InvalidTag, ValueError) as exc:
            raise SecretError(
                "A webhook secret cannot be decrypted: dexgate's secret key changed since it "
                "was made. Delete the webhook and create it again."
            ) from exc
