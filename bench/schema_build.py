"""Time to build (and validate) the GraphQL schema for N entities of F fields, in memory.

``python bench/schema_build.py [entities] [fields] [repeats]`` prints the median build time of
the catalog and of the schema; ``python -m bench`` reports the same as scenario E (through
:func:`measure`). Each entity has a hasMany relationship to the next one. The schema is built
as a serving application builds it: with the runtime tuning of ``app/runtime.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import sqlalchemy as sa

from app.runtime import Runtime
from schema_builder.catalog import build_catalog
from schema_builder.definition import (
    EntityConfiguration,
    EntityDefinition,
    FieldDefinition,
    FieldType,
    RelationDefinition,
    Validation,
)
from schema_builder.graphql.registry import build_valid_schema

TYPES: tuple[FieldType, ...] = ("integer", "string", "decimal", "boolean")
SQL_TYPES: dict[FieldType, sa.types.TypeEngine[Any]] = {
    "integer": sa.Integer(),
    "string": sa.String(255),
    "decimal": sa.Numeric(12, 2),
    "boolean": sa.Boolean(),
}


def make(entities: int, fields: int) -> tuple[list[EntityConfiguration], dict[str, sa.Table]]:
    metadata = sa.MetaData()
    configurations: list[EntityConfiguration] = []
    tables: dict[str, sa.Table] = {}
    for e in range(entities):
        columns: list[sa.Column[Any]] = [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("parent_id", sa.Integer),
        ]
        definitions = [
            FieldDefinition("id", "id", "integer", False, False),
            FieldDefinition("parent_id", "parent_id", "integer", True, True),
        ]
        for f in range(fields - 2):
            kind = TYPES[f % len(TYPES)]
            columns.append(sa.Column(f"field_{f}", SQL_TYPES[kind]))
            definitions.append(
                FieldDefinition(f"field_{f}", f"field_{f}", kind, True, True, Validation())
            )
        name = f"table_{e}"
        tables[name] = sa.Table(name, metadata, *columns)
        relations = (
            (RelationDefinition("children", "hasMany", f"entity-{e + 1}", "parent_id", "id"),)
            if e + 1 < entities
            else ()
        )
        configurations.append(
            EntityConfiguration(
                name, f"entity-{e}", True, EntityDefinition("id", tuple(definitions)), relations
            )
        )
    return configurations, tables


def measure(entities: int = 500, fields: int = 20, repeats: int = 5) -> tuple[float, float]:
    """Median milliseconds of building the catalog, then the validated GraphQL schema."""
    configurations, tables = make(entities, fields)
    runtime = Runtime()
    runtime.install()
    catalog_times, schema_times = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        catalog = build_catalog(1, configurations, tables)
        built = time.perf_counter()
        with runtime.schema_build():
            build_valid_schema(catalog)
        done = time.perf_counter()
        catalog_times.append(built - started)
        schema_times.append(done - built)
    return (
        round(statistics.median(catalog_times) * 1000, 1),
        round(statistics.median(schema_times) * 1000, 1),
    )


def main() -> None:
    entities = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    fields = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    catalog_ms, schema_ms = measure(entities, fields, repeats)
    print(
        f"{entities} entities x {fields} fields: catalog {catalog_ms:.0f} ms, GraphQL "
        f"schema (built and validated) {schema_ms:.0f} ms (median of {repeats})"
    )


if __name__ == "__main__":
    main()
