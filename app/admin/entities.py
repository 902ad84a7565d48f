"""Entities in the Back Office: the registry's list, activation, deletion and a read-only detail.

Changes go through the gateway's :class:`~schema_builder.registry.CatalogRegistry`, as
``dexgate entities`` does, so the API serves them on its very next request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import orjson
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from app.admin.diagram import entity_diagram
from app.admin.endpoints import PageNotFoundError, action, actor_of, page
from app.admin.forms import Form
from app.admin.templating import render, see_other
from app.gateway import Gateway
from app.openapi import api_version
from schema_builder.catalog import Catalog
from schema_builder.definition import EntityConfiguration, entry_to_dict
from schema_builder.errors import ConfigurationError
from schema_builder.graphql.names import entity_names
from schema_builder.openapi.document import OpenAPIOptions, build_document
from schema_builder.store import configuration_stamps

LIST = "/admin/entities"
OPENAPI = "/admin/openapi.json"
SAMPLE_FIELDS = 6


@dataclass(frozen=True, slots=True)
class EntityRow:
    config: EntityConfiguration
    version: int
    updated_at: datetime | None
    problem: str | None


async def _rows(gateway: Gateway, catalog: Catalog) -> list[EntityRow]:
    configurations = await gateway.registry.configurations()
    problems = {p.entity: p.message for p in catalog.problems}
    async with gateway.engine.connect() as connection:
        stamps = await configuration_stamps(connection)
    return [
        EntityRow(
            c, *stamps.get(c.alias, (0, None)), problems.get(c.alias) if c.is_active else None
        )
        for c in configurations
    ]


async def _unreadable(gateway: Gateway) -> list[str]:
    """The stored configurations that cannot be read, each named with its problem."""
    _configurations, problems = await gateway.registry.stored()
    return [str(p) for p in problems]


async def configuration_of(gateway: Gateway, alias: str) -> EntityConfiguration:
    for config in await gateway.registry.configurations():
        if config.alias == alias:
            return config
    raise PageNotFoundError(f"There is no entity {alias!r}.")


async def entity_list(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    catalog = await gateway.registry.current()
    return render(
        request,
        "entities.html",
        section="entities",
        rows=await _rows(gateway, catalog),
        unreadable=await _unreadable(gateway),
        diagram=Markup(entity_diagram(catalog)),  # noqa: S704  # every text in it is escaped
    )


async def openapi_document(request: Request) -> Response:
    """The OpenAPI document of ``/dynamic-entity/openapi.json`` for the admin's session (that
    path takes an API key or a token, not the Back Office cookie): every entity is readable."""
    gateway: Gateway = request.app.state.gateway
    catalog = await gateway.registry.current()
    options = OpenAPIOptions(
        readable=None,
        max_page_size=gateway.settings.max_page_size,
        default_page_size=gateway.settings.default_page_size,
        version=api_version(),
    )
    body = await asyncio.to_thread(lambda: orjson.dumps(build_document(catalog, options)))
    return Response(
        body,
        media_type="application/json",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'inline; filename="openapi.json"',
        },
    )


def _curl(base: str, alias: str) -> str:
    url = f"{base}/dynamic-entity/{alias}?page[offset]=0&page[limit]=10"
    return f"curl -g -H 'X-Api-Key: YOUR_API_KEY' '{url}'"


def _sample_query(config: EntityConfiguration) -> str:
    names = entity_names(config.alias, config.definition.graphql_name)
    fields = " ".join(f.visible_name for f in config.definition.fields[:SAMPLE_FIELDS])
    return f"{{\n  {names.list_query}(limit: 10) {{\n    items {{ {fields} }}\n  }}\n}}\n"


async def entity_detail(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    config = await configuration_of(gateway, request.path_params["alias"])
    # The configured public URL, never the request's Host; a placeholder without one.
    base = gateway.settings.public_url or "https://DEXGATE_HOST"
    query = _sample_query(config)
    return render(
        request,
        "entity.html",
        section="entities",
        config=config,
        curl=_curl(base, config.alias),
        graphql_query=query,
        graphiql_url="/graphiql?" + urlencode({"query": query}),
        entry=json.dumps(entry_to_dict(config), indent=2),
    )


async def _set_active(request: Request, active: bool) -> Response:
    gateway: Gateway = request.app.state.gateway
    alias = request.path_params["alias"]
    config = await configuration_of(gateway, alias)
    try:
        await gateway.registry.apply(
            [dataclasses.replace(config, is_active=active)], actor=actor_of(request)
        )
    except ConfigurationError as exc:
        problems = " ".join(str(p) for p in exc.problems)
        return see_other(LIST, f"{alias} cannot be changed: {problems}", error=True)
    state = "active: the API serves it now" if active else "inactive: the API no longer serves it"
    return see_other(LIST, f"{alias} is {state}.")


async def activate(request: Request, _form: Form) -> Response:
    return await _set_active(request, True)


async def deactivate(request: Request, _form: Form) -> Response:
    return await _set_active(request, False)


async def delete(request: Request, _form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    alias = request.path_params["alias"]
    if not await gateway.registry.remove(alias, actor=actor_of(request)):
        raise PageNotFoundError(f"There is no entity {alias!r}.")
    return see_other(LIST, f"The configuration of {alias} is deleted; its table is untouched.")


routes = [
    page(LIST, entity_list),
    page(OPENAPI, openapi_document),
    page(LIST + "/{alias}", entity_detail),
    action(LIST + "/{alias}/activate", activate),
    action(LIST + "/{alias}/deactivate", deactivate),
    action(LIST + "/{alias}/delete", delete),
]
