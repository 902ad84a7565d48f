"""``GET /change-feed/{alias}``: the pull API of the change feed (docs/change-feed.md).

``after`` is the cursor (a position; from the oldest event kept when absent), ``limit`` how
many events at most (default 100, at most 1000; larger asks are cut to 1000), ``wait`` how
many seconds to wait for an event when there is none yet (long poll; default 0, cut to
:func:`max_wait`). The answer is ``{"data": [event, ...], "cursor": "POSITION"}``; the next
request passes ``after=`` that cursor. Behind the entity's ``read`` grant, like its reads.
The path is outside ``/dynamic-entity`` so that it can never be taken for an entity's
identifier.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.gateway import Gateway
from app.responses import JSONResponse
from app.security import permissions_of
from schema_builder.changefeed.feed import DEFAULT_LIMIT, MAX_LIMIT
from schema_builder.errors import InvalidQueryParameterError
from schema_builder.operations.access import require

PATH = "/change-feed"
# The longest wait, whatever the request timeout: a long poll is answered and asked again.
LONGEST_WAIT = 25.0


def max_wait(request_timeout: float) -> float:
    """The longest long poll: under the request timeout by a margin, and never over 25 s."""
    return max(0.0, min(LONGEST_WAIT, request_timeout - 2.0))


async def change_feed(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    access = permissions_of(request)
    catalog = await gateway.registry.current()
    entity = catalog.entity(request.path_params["alias"])
    require(access, entity.alias, ("read",))
    params = request.query_params
    after = _whole(params.get("after"), "after", minimum=0)
    limit = _whole(params.get("limit"), "limit", minimum=1)
    wait = _seconds(params.get("wait"))
    page = await gateway.feed.page(
        entity,
        after,
        min(limit or DEFAULT_LIMIT, MAX_LIMIT),
        min(wait, max_wait(gateway.settings.request_timeout)),
    )
    return JSONResponse({"data": page.events, "cursor": str(page.cursor)})


def _whole(raw: str | None, name: str, *, minimum: int) -> int | None:
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) < minimum:
        raise InvalidQueryParameterError(
            f"`{name}` must be a whole number of at least {minimum}, got {raw[:40]!r}."
        )
    return int(raw)


def _seconds(raw: str | None) -> float:
    if raw is None:
        return 0.0
    try:
        value = float(raw) if len(raw) <= 20 else -1.0
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise InvalidQueryParameterError(
            f"`wait` must be a number of seconds of at least 0, got {raw[:40]!r}."
        )
    return value


routes = [Route(PATH + "/{alias}", change_feed, methods=["GET"])]
