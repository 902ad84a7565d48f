"""Reading and writing entity configurations in dexgate's own tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from auth.store import aware
from schema_builder.definition import (
    EntityConfiguration,
    RelationDefinition,
    definition_to_dict,
    parse_entry,
)
from schema_builder.errors import ConfigurationError, Problem
from schema_builder.tables import (
    catalog_state,
    entity_configuration,
    entity_relation,
    relation_field_mapping,
)


@dataclass(slots=True)
class ApplyReport:
    """What a save changed, by alias."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


async def read_version(connection: AsyncConnection) -> int:
    value = await connection.scalar(
        sa.select(catalog_state.c.version).where(catalog_state.c.id == 1)
    )
    return int(value or 0)


CATALOG_CHANNEL = "dexgate_catalog"


async def bump_version(connection: AsyncConnection) -> int:
    """Advance the catalog version; on PostgreSQL, tell every listening process at commit."""
    await connection.execute(
        sa.update(catalog_state)
        .where(catalog_state.c.id == 1)
        .values(version=catalog_state.c.version + 1)
    )
    version = await read_version(connection)
    if connection.dialect.name == "postgresql":
        await connection.execute(sa.select(sa.func.pg_notify(CATALOG_CHANNEL, str(version))))
    return version


async def configuration_stamps(
    connection: AsyncConnection,
) -> dict[str, tuple[int, datetime | None]]:
    """Each stored configuration's version and last change (UTC), by alias."""
    t = entity_configuration
    rows = await connection.execute(sa.select(t.c.table_alias, t.c.version, t.c.updated_at))
    return {row.table_alias: (int(row.version), aware(row.updated_at)) for row in rows}


async def load_configurations(connection: AsyncConnection) -> list[EntityConfiguration]:
    """Every stored configuration that can be read, active or not, with its relationships
    (see :func:`load_registry` for the ones that cannot)."""
    configurations, _problems = await load_registry(connection)
    return configurations


async def load_registry(
    connection: AsyncConnection,
) -> tuple[list[EntityConfiguration], list[Problem]]:
    """The stored configurations that can be read, and the problems of those that cannot.

    One bad stored configuration (saved before the checks caught it, or edited in the
    database) is left out and named, never in the way of the others."""
    rows = (
        (
            await connection.execute(
                sa.select(entity_configuration).order_by(entity_configuration.c.id)
            )
        )
        .mappings()
        .all()
    )
    alias_of = {row["id"]: row["table_alias"] for row in rows}
    relations: dict[int, list[dict[str, Any]]] = {}
    rel_rows = (
        (
            await connection.execute(
                sa.select(
                    entity_relation,
                    relation_field_mapping.c.child_field_name,
                    relation_field_mapping.c.parent_field_name,
                )
                .join(
                    relation_field_mapping,
                    relation_field_mapping.c.relation_id == entity_relation.c.id,
                )
                .order_by(entity_relation.c.id, relation_field_mapping.c.id)
            )
        )
        .mappings()
        .all()
    )
    seen: set[int] = set()
    for rel in rel_rows:
        if rel["id"] in seen:
            continue
        seen.add(rel["id"])
        many = rel["kind"] == "hasMany"
        target_id = rel["child_configuration_id"] if many else rel["parent_configuration_id"]
        relations.setdefault(rel["owner_configuration_id"], []).append(
            {
                "name": rel["name"],
                "isEditable": rel["is_editable"],
                "childDynamicEntityConfiguration" if many else "parentDynamicEntityConfiguration": {
                    "tableAlias": alias_of[target_id]
                },
                "relationFieldMappings": [
                    {
                        "childFieldName": rel["child_field_name"],
                        "parentFieldName": rel["parent_field_name"],
                    }
                ],
                "_kind": rel["kind"],
            }
        )
    result = []
    problems: list[Problem] = []
    for row in rows:
        owned = relations.get(row["id"], [])
        try:
            definition = json.loads(row["definition"])
        except ValueError:
            problems.append(Problem(row["table_alias"], "The stored definition is not JSON."))
            continue
        entry = {
            "tableName": row["table_name"],
            "tableAlias": row["table_alias"],
            "isActive": bool(row["is_active"]),
            "changeFeed": bool(row["change_feed"]),
            "definition": definition,
            "childRelations": [r for r in owned if r["_kind"] == "hasMany"],
            "parentRelations": [r for r in owned if r["_kind"] == "belongsTo"],
        }
        try:
            result.append(parse_entry(entry))
        except ConfigurationError as exc:
            problems.extend(exc.problems)
    return result, problems


async def save_configurations(
    connection: AsyncConnection,
    configurations: Sequence[EntityConfiguration],
    *,
    prune: bool = False,
) -> ApplyReport:
    """Make the stored registry hold ``configurations`` (already checked), inside the caller's
    transaction. Entries are matched by alias, then by table. Bumps the catalog version when
    anything changed."""
    report = ApplyReport()
    now = datetime.now(UTC)
    existing = {c.alias: c for c in await load_configurations(connection)}
    rows = (await connection.execute(sa.select(entity_configuration))).mappings().all()
    id_by_alias = {row["table_alias"]: row["id"] for row in rows}
    alias_by_table = {row["table_name"]: row["table_alias"] for row in rows}
    claimed: dict[str, str] = {}
    for config in configurations:
        previous_alias = (
            config.alias if config.alias in existing else alias_by_table.get(config.table_name)
        )
        if previous_alias is not None and previous_alias in claimed:
            raise ConfigurationError(
                [
                    Problem(
                        config.alias,
                        f"This entry and `{claimed[previous_alias]}` both match the registered "
                        f"entity `{previous_alias}` (one by alias, one by table).",
                        fix="Rename or move tables in separate applies.",
                    )
                ]
            )
        if previous_alias is not None:
            claimed[previous_alias] = config.alias
        values = {
            "table_alias": config.alias,
            "table_name": config.table_name,
            "is_active": config.is_active,
            "change_feed": config.change_feed,
            "definition": json.dumps(definition_to_dict(config.definition), sort_keys=False),
            "updated_at": now,
        }
        if previous_alias is None:
            result = await connection.execute(
                sa.insert(entity_configuration)
                .values(**values, version=1, created_at=now)
                .returning(entity_configuration.c.id)
            )
            id_by_alias[config.alias] = result.scalar_one()
            report.created.append(config.alias)
        elif existing[previous_alias] == config:
            report.unchanged.append(config.alias)
        else:
            config_id = id_by_alias.pop(previous_alias)
            id_by_alias[config.alias] = config_id
            await connection.execute(
                sa.update(entity_configuration)
                .where(entity_configuration.c.id == config_id)
                .values(**values, version=entity_configuration.c.version + 1)
            )
            report.updated.append(config.alias)
    for config in configurations:
        if config.alias in report.unchanged:
            continue
        await _replace_relations(
            connection, id_by_alias[config.alias], config.relations, id_by_alias
        )
    if prune:
        listed = {c.alias for c in configurations}
        for alias, config in existing.items():
            if alias not in listed and config.is_active and alias in id_by_alias:
                await connection.execute(
                    sa.update(entity_configuration)
                    .where(entity_configuration.c.id == id_by_alias[alias])
                    .values(
                        is_active=False,
                        updated_at=now,
                        version=entity_configuration.c.version + 1,
                    )
                )
                report.deactivated.append(alias)
    if report.changed:
        await bump_version(connection)
    return report


async def _replace_relations(
    connection: AsyncConnection,
    owner_id: int,
    relations: Sequence[RelationDefinition],
    id_by_alias: dict[str, int],
) -> None:
    await connection.execute(
        sa.delete(relation_field_mapping).where(
            relation_field_mapping.c.relation_id.in_(
                sa.select(entity_relation.c.id).where(
                    entity_relation.c.owner_configuration_id == owner_id
                )
            )
        )
    )
    await connection.execute(
        sa.delete(entity_relation).where(entity_relation.c.owner_configuration_id == owner_id)
    )
    for rel in relations:
        target_id = id_by_alias[rel.target]
        parent_id, child_id = (
            (owner_id, target_id) if rel.kind == "hasMany" else (target_id, owner_id)
        )
        relation_id = (
            await connection.execute(
                sa.insert(entity_relation)
                .values(
                    owner_configuration_id=owner_id,
                    name=rel.name,
                    kind=rel.kind,
                    parent_configuration_id=parent_id,
                    child_configuration_id=child_id,
                    is_editable=rel.is_editable,
                )
                .returning(entity_relation.c.id)
            )
        ).scalar_one()
        await connection.execute(
            sa.insert(relation_field_mapping).values(
                relation_id=relation_id,
                child_field_name=rel.child_field,
                parent_field_name=rel.parent_field,
            )
        )


async def delete_configuration(connection: AsyncConnection, alias: str) -> bool:
    """Remove a configuration and the relationships that involve it."""
    config_id = await connection.scalar(
        sa.select(entity_configuration.c.id).where(entity_configuration.c.table_alias == alias)
    )
    if config_id is None:
        return False
    involved = sa.select(entity_relation.c.id).where(
        sa.or_(
            entity_relation.c.owner_configuration_id == config_id,
            entity_relation.c.parent_configuration_id == config_id,
            entity_relation.c.child_configuration_id == config_id,
        )
    )
    await connection.execute(
        sa.delete(relation_field_mapping).where(relation_field_mapping.c.relation_id.in_(involved))
    )
    await connection.execute(
        sa.delete(entity_relation).where(
            sa.or_(
                entity_relation.c.owner_configuration_id == config_id,
                entity_relation.c.parent_configuration_id == config_id,
                entity_relation.c.child_configuration_id == config_id,
            )
        )
    )
    await connection.execute(
        sa.delete(entity_configuration).where(entity_configuration.c.id == config_id)
    )
    await bump_version(connection)
    return True
