"""Request rate limits: per principal, and per client address for requests without one.

A request that authenticated counts against its principal's limit (``DEXGATE_RATE_LIMIT``
requests per minute; off by default); every other request — no credentials, refused
credentials, ``/token``, the login page, static files — counts against its client address
(``DEXGATE_RATE_LIMIT_ANONYMOUS``). Health probes and CORS preflight requests are never
counted. Each limit is a token bucket holding a minute's worth of requests: a burst of the
whole limit passes, then requests pass at the limit's pace. Over the limit the answer is 429
``DX125`` with ``Retry-After``. The counts live in :mod:`auth.counters`: in each process, or
in Redis, shared by every process, when ``DEXGATE_REDIS_URL`` is set.
"""

from __future__ import annotations

import math

from auth.counters import Counters
from auth.errors import RateLimitedError
from auth.principal import Principal

PERIOD = 60.0
_KINDS = {"user": "user", "client": "client", "apikey": "API key"}


def exempt(path: str, method: str) -> bool:
    """Requests no limit applies to: health probes and CORS preflight requests."""
    return method == "OPTIONS" or path.startswith("/health/")


class RateLimiter:
    """``per_principal`` and ``per_address`` are requests per minute; 0 turns a limit off."""

    def __init__(self, counters: Counters, *, per_principal: int, per_address: int) -> None:
        self.counters = counters
        self.per_principal = per_principal
        self.per_address = per_address

    async def check(self, principal: Principal | None, address: str | None) -> None:
        """Count the request. Raises RateLimitedError when its limit is used up."""
        if principal is not None:
            if self.per_principal:
                await self._take(
                    f"rate:{principal.kind}:{principal.id}",
                    self.per_principal,
                    f"for {_KINDS[principal.kind]} {principal.name}",
                )
        elif self.per_address and address:
            await self._take(
                f"rate:addr:{address}",
                self.per_address,
                f"for requests without credentials from {address}",
            )

    async def _take(self, key: str, limit: int, whom: str) -> None:
        wait = await self.counters.take(key, limit, PERIOD)
        if wait > 0:
            raise RateLimitedError(limit, whom, math.ceil(wait))
