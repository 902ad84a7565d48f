"""One attempt: the event POSTed to the webhook's URL, and what came back.

It is sent with :class:`schema_builder.webhooks.client.WebhookClient` (why not httpx: that
module). When the address was checked (:mod:`schema_builder.webhooks.addresses`) the request
goes to that address, with the URL's host as ``Host`` and as the TLS server name (SNI and
certificate check), so that the name is not resolved a second time. Redirects are not
followed (a 3xx is an answer like any other: retried).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from schema_builder.webhooks.client import Origin, ProtocolError, WebhookClient

RESPONSE_HEAD = 500


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt met: the status (None when none came), how long it took, why it
    failed (refused address, timeout, connection), the answer's first characters, and the
    seconds a ``Retry-After`` asked for."""

    status_code: int | None
    duration_ms: int
    error: str | None = None
    response: str | None = None
    retry_after: float | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


async def post(
    client: WebhookClient,
    url: str,
    address: str | None,
    headers: dict[str, str],
    body: bytes,
    timeout: float,  # noqa: ASYNC109 - the whole attempt's deadline, told apart from errors
) -> Outcome:
    """POST ``body`` to ``url`` (at ``address`` when given); never raises for the network."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    origin = Origin(parts.scheme, address or host, port, host)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = [("host", host if parts.port is None else f"{host}:{parts.port}")]
    sent += [(name, value) for name, value in headers.items() if name.lower() != "host"]
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            answer = await client.post(origin, target, sent, body)
    except TimeoutError:
        return Outcome(None, _ms(started), error=f"no answer within {timeout:g} s")
    except (OSError, ProtocolError) as exc:
        return Outcome(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:300])
    text = answer.body.decode("utf-8", errors="replace")[:RESPONSE_HEAD]
    return Outcome(
        answer.status,
        _ms(started),
        response=text,
        retry_after=retry_after(answer.headers.get("retry-after"), datetime.now(UTC)),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
