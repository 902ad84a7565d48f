"""The SDL of the demo configuration is committed in docs/schema.graphql; a change to the
generated schema must show up in review. Regenerate with `dexgate schema print` over a
database holding only the demo catalog."""

from __future__ import annotations

from pathlib import Path

from graphql import print_schema

from app.gateway import Gateway
from schema_builder.graphql.registry import build_valid_schema

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "schema.graphql"


async def test_demo_schema_matches_the_committed_sdl(gateway: Gateway) -> None:
    catalog = await gateway.registry.current()
    generated = print_schema(build_valid_schema(catalog)) + "\n"
    assert generated == SNAPSHOT.read_text(), (
        "The generated schema differs from docs/schema.graphql. If the change is intended, "
        "regenerate it: rm -f /tmp/d.db; DEXGATE_DATABASE_URL=sqlite+aiosqlite:////tmp/d.db "
        "dexgate demo && DEXGATE_DATABASE_URL=sqlite+aiosqlite:////tmp/d.db dexgate schema "
        "print > docs/schema.graphql"
    )
