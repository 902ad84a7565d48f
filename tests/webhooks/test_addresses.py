"""Webhook URLs: http(s) only, and by default no address that is loopback, private,
link-local (the metadata service), or otherwise not public — refused by literal address and
by a name that resolves to one; allowed with DEXGATE_WEBHOOK_ALLOW_PRIVATE."""

from __future__ import annotations

import pytest

from schema_builder.webhooks.addresses import AddressRefusedError, check, is_public
from schema_builder.webhooks.sender import retry_after
from schema_builder.webhooks.worker import LONGEST_RETRY, backoff

REFUSED = [
    "http://127.0.0.1/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10:8080/hook",
    "http://172.16.5.4/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",
    "http://localhost:9000/hook",  # a name that resolves to loopback
]


@pytest.mark.parametrize("url", REFUSED)
async def test_private_addresses_are_refused_by_default(url: str) -> None:
    with pytest.raises(AddressRefusedError, match="DEXGATE_WEBHOOK_ALLOW_PRIVATE"):
        await check(url, allow_private=False)


@pytest.mark.parametrize("url", REFUSED)
async def test_private_addresses_are_allowed_when_configured(url: str) -> None:
    assert await check(url, allow_private=True) is None


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "example.com/hook", "http:///x"]
)
async def test_only_http_and_https_urls_with_a_host(url: str) -> None:
    with pytest.raises(AddressRefusedError, match="http"):
        await check(url, allow_private=True)


async def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(AddressRefusedError, match="user name or password"):
        await check("https://user:secret@example.com/hook", allow_private=True)


def test_public_addresses_are_public() -> None:
    assert is_public("93.184.216.34")
    assert is_public("2606:2800:220:1:248:1893:25c8:1946")
    assert not is_public("::ffff:10.0.0.1")


def test_backoff_grows_with_jitter_up_to_an_hour_and_honours_retry_after() -> None:
    assert 0.5 <= backoff(1) <= 1.5
    assert 4 <= backoff(4) <= 12
    assert backoff(40) <= LONGEST_RETRY * 1.5
    assert backoff(1, retry_after=120) == 120


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)
    assert retry_after("30", now) == 30
    assert retry_after("Mon, 07 Dec 2026 10:01:00 GMT", now) == 60
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None
