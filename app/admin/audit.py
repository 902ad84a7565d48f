"""The audit log in the Back Office: the newest records, filtered by entity, actor or action."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from app.admin.endpoints import page
from app.admin.templating import render
from app.gateway import Gateway
from auth.audit import entries

LIST = "/admin/audit"
PAGE_SIZE = 100
FILTERS = ("entity", "actor", "action")


async def audit_list(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    chosen = {name: request.query_params.get(name, "").strip() for name in FILTERS}
    before_text = request.query_params.get("before", "")
    before = int(before_text) if before_text.isdigit() else None
    found = await entries(gateway.engine, before=before, limit=PAGE_SIZE + 1, **chosen)
    older = None
    if len(found) > PAGE_SIZE:
        found = found[:PAGE_SIZE]
        query = {k: v for k, v in chosen.items() if v}
        older = f"{LIST}?{urlencode({**query, 'before': found[-1].id})}"
    return render(
        request,
        "audit.html",
        section="audit",
        entries=found,
        chosen=chosen,
        older=older,
        newest=before is not None,
    )


routes = [page(LIST, audit_list)]
