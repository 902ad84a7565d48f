"""Migration 0006 on PostgreSQL: events positioned the old way (each event updated at commit)
keep their positions, events recorded after it follow them, and going back to 0005 gives
every event its position in the old column again."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app import migrate
from tests.conftest import Templates, template_copy

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def _run(connection: sa.Connection) -> None:
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_run)


async def _rename(engine: AsyncEngine, names: dict[int, str]) -> None:
    """One transaction per product, in the order given."""
    for product, name in names.items():
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE product SET name = :name WHERE id_product = :id"),
                {"name": name, "id": product},
            )


async def _feed(engine: AsyncEngine, *, new: bool) -> list[tuple[int, str]]:
    """(position, new name) of every event, in position order, read as the version reads."""
    query = (
        "SELECT c.base + (e.seq - c.first_seq), e.new_row FROM dexgate_change_event e "
        "JOIN dexgate_change_commit c ON c.id = e.commit_id ORDER BY 1"
        if new
        else "SELECT position, new_row FROM dexgate_change_event ORDER BY position"
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.text(query))).all()
    return [(int(position), str(row).split('"name": "')[1].split('"')[0]) for position, row in rows]


async def test_positions_survive_the_upgrade_and_the_downgrade(
    backend: str, templates: Templates, tmp_path: Path
) -> None:
    async with template_copy(backend, templates, tmp_path) as url:
        engine = create_async_engine(url)
        try:
            await _downgrade(engine, "0005")
            async with engine.begin() as connection:
                await connection.execute(
                    sa.text(
                        "CREATE TRIGGER capture AFTER UPDATE ON product FOR EACH ROW EXECUTE "
                        "FUNCTION dexgate_change_capture('products', 'id_product', 'name', "
                        "'name')"
                    )
                )
            await _rename(engine, {1: "Old one", 2: "Old two"})
            old = await _feed(engine, new=False)
            assert [name for _, name in old] == ["Old one", "Old two"]

            await migrate.upgrade(engine)
            await _rename(engine, {3: "New three"})
            upgraded = await _feed(engine, new=True)
            assert upgraded[:2] == old
            assert [name for _, name in upgraded] == ["Old one", "Old two", "New three"]
            assert upgraded[2][0] > old[1][0]

            await _downgrade(engine, "0005")
            await _rename(engine, {4: "Old four"})
            downgraded = await _feed(engine, new=False)
            assert downgraded[:3] == upgraded
            assert [name for _, name in downgraded][3:] == ["Old four"]
        finally:
            await engine.dispose()
