"""Where a webhook may send: http(s) URLs whose host resolves only to public addresses.

By default a URL is refused when its host is, or resolves to, a loopback, private, link-local
(the cloud metadata service, 169.254.169.254, among them), shared, reserved, multicast or
unspecified address, IPv4 or IPv6 (IPv4-mapped IPv6 addresses as their IPv4 address). It is
checked when the webhook is created and again before every attempt, with a fresh resolution
(a name that resolved to a public address at creation may not any more). The delivery
worker keeps a host's checked address for a few seconds (:class:`AddressCache`,
``DeliveryOptions.address_ttl``): a change of the name's addresses is seen within that time.
``DEXGATE_WEBHOOK_ALLOW_PRIVATE=true`` allows every address (tests, internal networks).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from cachetools import TTLCache

MAX_URL = 2000
# hosts an AddressCache keeps at most (past that the least recently used goes)
MAX_HOSTS = 1000


class AddressRefusedError(Exception):
    """A URL dexgate does not send to; the message says why."""


def check_form(url: str) -> str:
    """The URL's host, when the URL is an absolute http(s) URL with a host."""
    if len(url) > MAX_URL:
        raise AddressRefusedError(f"The URL is longer than {MAX_URL} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefusedError("A webhook URL must be an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise AddressRefusedError("A webhook URL must not hold a user name or password.")
    return parts.hostname


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check(url: str, *, allow_private: bool) -> str | None:
    """Refuse ``url`` (:class:`AddressRefusedError`) unless it may be sent to; the address to
    connect to (one of those checked, so that no second resolution can lead elsewhere), or
    None when private addresses are allowed (then the URL is used as it is)."""
    host = check_form(url)
    if allow_private:
        return None
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AddressRefusedError(f"The host {host!r} does not resolve: {exc}.") from exc
    addresses = {info[4][0] for info in found}
    refused = sorted(a for a in addresses if not is_public(str(a)))
    if refused:
        raise AddressRefusedError(
            f"The host {host!r} resolves to {', '.join(map(str, refused))}: a loopback, private, "
            "link-local or otherwise non-public address (DEXGATE_WEBHOOK_ALLOW_PRIVATE=true "
            "allows them)."
        )
    return str(sorted(addresses)[0])


class AddressCache:
    """:func:`check` remembered per host for ``ttl`` seconds: the delivery worker checks the
    address before every attempt, and a resolution per attempt (a DNS query, thousands a
    second under load) is what this saves. A name that starts resolving to a refused address
    is refused at most ``ttl`` seconds later; refusals are not remembered (each attempt
    resolves again). Attempts at once to a host not yet known share one resolution."""

    def __init__(
        self,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        resolve: Callable[[str], Awaitable[str | None]] | None = None,
    ) -> None:
        self.ttl = ttl
        self._resolve = resolve or _checked
        # ttl 0: nothing is kept
        self._kept: TTLCache[str, str] = TTLCache(MAX_HOSTS, max(ttl, 1e-9), timer=clock)
        self._resolving: dict[str, asyncio.Future[str | None]] = {}

    async def check(self, url: str, *, allow_private: bool) -> str | None:
        """As :func:`check`, from the cache when the host was checked less than ``ttl``
        seconds ago."""
        host = check_form(url)
        if allow_private:
            return None
        kept = self._kept.get(host)
        if kept is not None:
            return kept
        resolving = self._resolving.get(host)
        if resolving is not None:
            return await asyncio.shield(resolving)
        resolving = asyncio.ensure_future(self._resolve(url))
        self._resolving[host] = resolving
        try:
            address = await asyncio.shield(resolving)
        finally:
            self._resolving.pop(host, None)
        if address is not None and self.ttl > 0:
            self._kept[host] = address
        return address


async def _checked(url: str) -> str | None:
    return await check(url, allow_private=False)
