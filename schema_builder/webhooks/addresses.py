"""Where a webhook may send: http(s) URLs whose host resolves only to public addresses.

By default a URL is refused when its host is, or resolves to, a loopback, private, link-local
(the cloud metadata service, 169.254.169.254, among them), shared, reserved, multicast or
unspecified address, IPv4 or IPv6 (IPv4-mapped IPv6 addresses as their IPv4 address). It is
checked when the webhook is created and again before every attempt, with a fresh resolution
(a name that resolved to a public address at creation may not any more).
``DEXGATE_WEBHOOK_ALLOW_PRIVATE=true`` allows every address (tests, internal networks).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL = 2000


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
