"""One attempt: the event POSTed to the webhook's URL, and what came back.

This module owns httpx. When the address was checked (:mod:`schema_builder.webhooks.addresses`)
the request goes to that address, with the URL's host as ``Host`` and as the TLS server name
(SNI and certificate check), so that the name is not resolved a second time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import httpx

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


def _pinned(url: str, address: str) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


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
    client: httpx.AsyncClient,
    url: str,
    address: str | None,
    headers: dict[str, str],
    body: bytes,
    timeout: float,  # noqa: ASYNC109 - httpx's own timeout, which tells a timeout from an error
) -> Outcome:
    """POST ``body`` to ``url`` (at ``address`` when given); never raises for the network."""
    host = urlsplit(url).hostname or ""
    target = url if address is None else _pinned(url, address)
    sent = dict(headers)
    extensions: dict[str, object] = {}
    if address is not None:
        port = urlsplit(url).port
        sent["Host"] = host if port is None else f"{host}:{port}"
        extensions["sni_hostname"] = host
    started = time.monotonic()
    try:
        response = await client.post(
            target,
            content=body,
            headers=sent,
            timeout=timeout,
            extensions=extensions,
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        return Outcome(None, _ms(started), error=f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Outcome(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:300])
    text = response.text[:RESPONSE_HEAD]
    return Outcome(
        response.status_code,
        _ms(started),
        response=text,
        retry_after=retry_after(response.headers.get("retry-after"), datetime.now(UTC)),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
