"""Creating an entity from a table and editing it in the Back Office.

``/admin/entities/new`` lists the tables that may be exposed and are not yet; choosing one
shows the editor pre-filled from the table's columns (types, required, lengths) with an alias
suggested. ``/admin/entities/{alias}/edit`` shows the same editor for a registered entity.
Saving goes through :meth:`~schema_builder.registry.CatalogRegistry.apply`, which checks the
whole resulting registry against the database before anything is written: a refused form
changes nothing, shows each problem next to its input and keeps what the admin typed.
"""

from __future__ import annotations

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from app.admin.endpoints import action, actor_of, page
from app.admin.entities import configuration_of
from app.admin.entity_form import (
    ENTITY_ERRORS,
    RELATION_KINDS,
    EntityForm,
    add_problems,
    column_types_of,
    form_of,
    keep_stored,
    read_form,
    to_configuration,
    with_blank_relation,
)
from app.admin.forms import FieldErrors, Form
from app.admin.templating import render, see_other
from app.gateway import Gateway
from schema_builder.definition import ALIAS_PATTERN, FIELD_TYPES, EntityConfiguration
from schema_builder.errors import ConfigurationError
from schema_builder.reflection import reflect_tables, suggest_alias

LIST = "/admin/entities"
NEW = "/admin/new-entity"


async def _reflect(gateway: Gateway, name: str) -> sa.Table | None:
    async with gateway.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: reflect_tables(sync, [name]))
    return tables.get(name)


async def _editor(
    request: Request,
    entity: EntityForm,
    *,
    creating: bool,
    errors: FieldErrors | None = None,
) -> Response:
    gateway: Gateway = request.app.state.gateway
    configurations = await gateway.registry.configurations()
    targets = sorted({c.alias for c in configurations} | {entity.alias} - {""})
    errors = errors or FieldErrors()
    return render(
        request,
        "entity_edit.html",
        400 if errors else 200,
        section="entities",
        entity=with_blank_relation(entity),
        creating=creating,
        action=NEW if creating else f"{LIST}/{entity.alias}/edit",
        errors=errors,
        entity_errors=errors.get(ENTITY_ERRORS),
        field_types=FIELD_TYPES,
        relation_kinds=RELATION_KINDS,
        targets=targets,
        columns=_columns_of(configurations, entity),
    )


def _columns_of(configurations: list[EntityConfiguration], entity: EntityForm) -> list[str]:
    """Column names a relationship may map: this table's and every registered table's."""
    names = {row.column for row in entity.fields}
    for config in configurations:
        names.update(f.field_name for f in config.definition.fields)
    return sorted(names)


async def new_entity(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    available = await gateway.registry.available_tables()
    table_name = request.query_params.get("table", "")
    if not table_name:
        return render(request, "entity_new.html", section="entities", tables=available, errors={})
    if table_name not in available:
        return render(
            request,
            "entity_new.html",
            400,
            section="entities",
            tables=available,
            errors={
                "table": f"Table {table_name!r} cannot be exposed: it does not exist, "
                "is registered already or is on the deny list."
            },
        )
    config = await gateway.registry.prefill(table_name)
    entity = form_of(config, await _reflect(gateway, table_name))
    return await _editor(request, entity, creating=True)


async def create(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    table_name = form.text("table")
    if table_name not in await gateway.registry.available_tables():
        return see_other(NEW, f"Table {table_name!r} cannot be exposed.", error=True)
    column_types = column_types_of(await _reflect(gateway, table_name))
    alias = form.text("alias").strip()
    entity = read_form(form, table_name, alias, column_types)
    keep_stored(entity.fields, await gateway.registry.prefill(table_name))
    errors = FieldErrors()
    known = {c.alias for c in await gateway.registry.configurations()}
    if not alias:
        errors["alias"] = "Give an alias: the entity's name in URLs, e.g. " + (
            f"{suggest_alias(table_name)}."
        )
    elif not ALIAS_PATTERN.match(alias):
        errors["alias"] = "Use only letters, digits, `_` and `-`."
    elif alias in known:
        errors["alias"] = f"Alias {alias} is taken by another entity."
    return await _save(request, entity, errors, creating=True)


async def edit_entity(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    config = await configuration_of(gateway, request.path_params["alias"])
    entity = form_of(config, await _reflect(gateway, config.table_name))
    return await _editor(request, entity, creating=False)


async def update(request: Request, form: Form) -> Response:
    gateway: Gateway = request.app.state.gateway
    stored = await configuration_of(gateway, request.path_params["alias"])
    column_types = column_types_of(await _reflect(gateway, stored.table_name))
    entity = read_form(form, stored.table_name, stored.alias, column_types)
    keep_stored(entity.fields, stored)
    return await _save(request, entity, FieldErrors(), creating=False)


async def _save(
    request: Request, entity: EntityForm, errors: FieldErrors, *, creating: bool
) -> Response:
    gateway: Gateway = request.app.state.gateway
    config, form_errors = to_configuration(entity)
    errors.update({k: v for k, v in form_errors.items() if k not in errors})
    if config is not None and not errors:
        try:
            if creating:  # never over a registered table or alias
                await gateway.registry.add(config, actor=actor_of(request))
            else:
                await gateway.registry.apply([config], actor=actor_of(request))
        except ConfigurationError as exc:
            add_problems(errors, entity, exc.problems)
        else:
            state = "served by the API now" if config.is_active else "inactive"
            verb = "created" if creating else "saved"
            return see_other(f"{LIST}/{config.alias}", f"{config.alias} is {verb}: {state}.")
    return await _editor(request, entity, creating=creating, errors=errors)


routes = [
    page(NEW, new_entity),
    action(NEW, create),
    page(LIST + "/{alias}/edit", edit_entity),
    action(LIST + "/{alias}/edit", update),
]
