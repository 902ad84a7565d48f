"""Standard Webhooks signatures: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
(``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body`` under the secret), which receivers
verify with the ``standardwebhooks`` library."""

from __future__ import annotations

import base64
import hashlib
import hmac

from schema_builder.webhooks.secrets import signing_key


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of one attempt; ``message_id`` is the event's, the same on every
    retry, so that a receiver can drop a delivery it has already taken."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
