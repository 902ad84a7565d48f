"""The Back Office at ``/admin``: server-rendered pages for administrators.

Pages are Jinja2 templates (``templates/``) with a stylesheet and a small script served from
``/admin/static/``; nothing is loaded from another host. Administrators log in with a
username and password and get a session cookie (see app.admin.login); every form that changes
something carries the session's CSRF token (see app.admin.endpoints).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.admin import (
    api_keys,
    audit,
    clients,
    entities,
    entity_edit,
    explore,
    login,
    roles,
    users,
    webhooks,
)
from app.admin.endpoints import not_found, safely
from app.admin.templating import see_other

STATIC_DIR = Path(__file__).parent / "static"


async def home(_request: Request) -> Response:
    return see_other(entities.LIST)


routes: list[BaseRoute] = [
    Route("/admin", home),
    Route("/admin/", home),
    Mount("/admin/static", app=StaticFiles(directory=STATIC_DIR), name="admin-static"),
    *login.routes,
    *entity_edit.routes,
    *entities.routes,
    *explore.routes,
    *api_keys.routes,
    *clients.routes,
    *users.routes,
    *roles.routes,
    *audit.routes,
    *webhooks.routes,
    Route("/admin/{rest:path}", safely(not_found)),
]
