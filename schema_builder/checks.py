"""Checks a set of configurations against each other and against the live database.

These run whenever configurations are saved. Static problems (format, flags, rule consistency)
are found by :mod:`schema_builder.definition` when an entry is read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from schema_builder.definition import EntityConfiguration, entry_to_dict, parse_entry
from schema_builder.errors import ConfigurationError, Problem
from schema_builder.graphql.names import SHARED_TYPE_NAMES, entity_names, upper_snake
from schema_builder.reflection import is_denied, is_key, natural_type, type_fits


def check_configurations(
    configurations: Sequence[EntityConfiguration],
    tables: Mapping[str, sa.Table],
    denied: Sequence[str],
) -> None:
    """Raise :class:`ConfigurationError` listing every problem of the resulting registry.

    Each configuration is first read back as an installer entry, so that one built in code
    (the CLI's pre-filled one, a Back Office form's) meets exactly the checks a file does."""
    problems: list[Problem] = [p for c in configurations for p in static_problems(c)]
    by_alias = {c.alias: c for c in configurations}
    for name, count in Counter(c.alias for c in configurations).items():
        if count > 1:
            problems.append(Problem(name, "The alias is used by more than one entity."))
    for name, count in Counter(c.table_name for c in configurations).items():
        if count > 1:
            problems.append(
                Problem(
                    name,
                    f"Table `{name}` is registered more than once.",
                    fix="One alias per table.",
                )
            )
    for config in configurations:
        problems.extend(_check_one(config, tables, denied, by_alias))
    problems.extend(check_graphql_names([c for c in configurations if c.is_active]))
    if problems:
        raise ConfigurationError(problems)


def static_problems(config: EntityConfiguration) -> list[Problem]:
    """What :func:`schema_builder.definition.parse_entry` finds wrong with ``config``."""
    try:
        parse_entry(entry_to_dict(config))
    except ConfigurationError as exc:
        return list(exc.problems)
    return []


def _check_one(
    config: EntityConfiguration,
    tables: Mapping[str, sa.Table],
    denied: Sequence[str],
    by_alias: Mapping[str, EntityConfiguration],
) -> list[Problem]:
    alias = config.alias
    if is_denied(config.table_name, denied):
        return [
            Problem(
                alias,
                f"Table `{config.table_name}` may not be exposed.",
                fix="dexgate's own tables and the tables on the deny list cannot be registered.",
            )
        ]
    table = tables.get(config.table_name)
    if table is None:
        return [
            Problem(
                alias,
                f"Table `{config.table_name}` does not exist in the database.",
                fix="Create the table first, or correct `tableName`.",
            )
        ]
    problems: list[Problem] = []
    columns = ", ".join(c.name for c in table.columns)
    for f in config.definition.fields:
        column = table.c.get(f.field_name)
        if column is None:
            problems.append(
                Problem(
                    alias,
                    f"Column `{f.field_name}` does not exist in table `{table.name}`.",
                    f.visible_name,
                    f"Use one of: {columns}.",
                )
            )
            continue
        if not type_fits(f.type, column.type):
            problems.append(
                Problem(
                    alias,
                    f"Type `{f.type}` does not fit column `{f.field_name}` ({column.type}).",
                    f.visible_name,
                    f"Use `{natural_type(column.type)}`.",
                )
            )
    identifier = config.definition.identifier
    if identifier in table.c and not is_key(table, identifier):
        problems.append(
            Problem(
                alias,
                f"Identifier `{identifier}` is not a key of table `{table.name}`.",
                fix="Use the primary key or a column with a unique constraint.",
            )
        )
    visible = {f.visible_name for f in config.definition.fields}
    for name, count in Counter(r.name for r in config.relations).items():
        if count > 1:
            problems.append(Problem(alias, f"Relation name `{name}` is used twice."))
    for rel in config.relations:
        where = f"relation {rel.name}"
        if rel.name in visible or rel.name == "identifier":
            problems.append(
                Problem(
                    alias,
                    f"Relation `{rel.name}` has the same name as a field.",
                    where,
                    "Rename the relation.",
                )
            )
        target = by_alias.get(rel.target)
        if target is None:
            problems.append(
                Problem(
                    alias,
                    f"Relation `{rel.name}` points at unknown entity `{rel.target}`.",
                    where,
                    "Register that entity in the same file or before this one.",
                )
            )
            continue
        parent, child = (config, target) if rel.kind == "hasMany" else (target, config)
        for cfg, column_name, role in (
            (parent, rel.parent_field, "parentFieldName"),
            (child, rel.child_field, "childFieldName"),
        ):
            table_of = tables.get(cfg.table_name)
            if table_of is not None and column_name not in table_of.c:
                problems.append(
                    Problem(
                        alias,
                        f"`{role}` `{column_name}` is not a column of `{cfg.table_name}`.",
                        where,
                    )
                )
    return problems


def check_graphql_names(configurations: Sequence[EntityConfiguration]) -> list[Problem]:
    """Every active entity must get GraphQL names of its own (see graphql_names): none that
    GraphQL reserves (``__`` prefix) or that a type every schema shares has, and none that
    another entity gets too."""
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for config in configurations:
        alias = config.alias
        if not any(ch.isalnum() for ch in alias):
            problems.append(
                Problem(
                    alias,
                    "The alias cannot become a GraphQL name.",
                    fix="Use an alias with letters or digits.",
                )
            )
            continue
        problems.extend(_introspection_names(config))
        problems.extend(_sort_value_clashes(config))
        graphql_name = config.definition.graphql_name
        if graphql_name is not None and graphql_name.startswith("__"):
            problems.append(
                Problem(
                    alias,
                    f"`graphqlName` `{graphql_name}` starts with `__`, which GraphQL reserves.",
                    "graphqlName",
                    "Use a name that does not start with `__`.",
                )
            )
            continue
        names = entity_names(alias, config.definition.graphql_name)
        reserved = [n for n in names.all_type_names() if n in SHARED_TYPE_NAMES]
        if reserved:
            problems.append(
                Problem(
                    alias,
                    f"GraphQL name `{reserved[0]}` is reserved.",
                    fix="Set `graphqlName` in the definition to another name.",
                )
            )
            continue
        mine = [*names.all_type_names(), *names.all_field_names()]
        clash = next((n for n in mine if n in owner), None)
        if clash is not None:
            problems.append(
                Problem(
                    alias,
                    f"GraphQL name `{clash}` is also produced by `{owner[clash]}`.",
                    fix="Change one of the aliases or set `graphqlName` in one definition.",
                )
            )
            continue
        owner.update(dict.fromkeys(mine, alias))
    return problems


def _introspection_names(config: EntityConfiguration) -> list[Problem]:
    """The entity's field and relationship names that start with ``__``, which GraphQL keeps
    for introspection."""
    alias = config.alias
    problems = [
        Problem(
            alias,
            f"`{f.visible_name}` starts with `__`, which GraphQL reserves.",
            f.visible_name,
            "Rename the field's visible name.",
        )
        for f in config.definition.fields
        if f.visible_name.startswith("__")
    ]
    problems.extend(
        Problem(
            alias,
            f"Relation name `{r.name}` starts with `__`, which GraphQL reserves.",
            f"relation {r.name}",
            "Rename the relationship.",
        )
        for r in config.relations
        if r.name.startswith("__")
    )
    return problems


def _sort_value_clashes(config: EntityConfiguration) -> list[Problem]:
    """Fields whose sort enum values would be the same (``isActive`` and ``is_active`` both
    sort as ``IS_ACTIVE_ASC``); json fields are not sortable."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for field in config.definition.fields:
        if field.type == "json":
            continue
        value = upper_snake(field.visible_name)
        other = seen.setdefault(value, field.visible_name)
        if other != field.visible_name:
            problems.append(
                Problem(
                    config.alias,
                    f"Fields `{other}` and `{field.visible_name}` both sort as `{value}_ASC` "
                    "in GraphQL.",
                    field.visible_name,
                    "Rename one field's visible name.",
                )
            )
    return problems
