"""Several processes writing one SQLite file at once: two servers and a command-line import.

Each process queues its own writers; between processes, a write waits for the other's write
lock (``busy_timeout``: the request timeout for the servers, 30 s for the command line)
instead of failing. A transactional import holds the lock from its first batch to its
commit, so the servers' writes wait for it, and the import waits for theirs.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.processes.conftest import DEXGATE, Server, StartServer, start_server

__all__ = ["start_server"]  # the fixture, for this module's tests

IMPORTED = 5_000
CLIENTS_PER_SERVER = 8
MIN_WRITES = 3
IMPORT_TIMEOUT = 120.0


@dataclass
class Writes:
    statuses: list[int] = field(default_factory=list)
    updated: int = 0
    during_import: int = 0


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def write_steadily(server: Server, key: str, number: int, done: asyncio.Event) -> Writes:
    """Create a row, then update it, until the import is done (at least ``MIN_WRITES``
    times)."""
    writes = Writes()
    async with httpx.AsyncClient(
        base_url=server.url, headers={"X-Api-Key": key}, timeout=60
    ) as web:
        serial = 0
        while serial < MIN_WRITES or not done.is_set():
            serial += 1
            sku = f"SRV-{server.port}-{number}-{serial}"
            created = await web.post(
                "/dynamic-entity/products",
                json={"data": [{"sku": sku, "name": sku, "price": "2.00", "category_id": 1}]},
            )
            writes.statuses.append(created.status_code)
            if created.status_code != 201:
                continue
            ident = created.json()["data"][0]["id_product"]
            updated = await web.patch(
                f"/dynamic-entity/products/{ident}", json={"data": {"price": "3.00"}}
            )
            writes.statuses.append(updated.status_code)
            writes.updated += updated.status_code == 200
            writes.during_import += not done.is_set()
    return writes


async def run_import(database_url: str, path: Path) -> tuple[int, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
    environ["DEXGATE_DATABASE_URL"] = database_url
    process = await asyncio.create_subprocess_exec(
        *(str(DEXGATE), "import", "products", str(path), "--batch-size", "500"),
        env=environ,
        cwd=path.parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), IMPORT_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def test_two_servers_and_an_import_write_one_sqlite_file_at_once_without_error(
    start_server: StartServer, database_url: str, admin_key: str, tmp_path: Path
) -> None:
    rows = [
        {"sku": f"CLI-{n}", "name": f"Imported {n}", "price": "1.00", "category_id": 1}
        for n in range(IMPORTED)
    ]
    path = tmp_path / "products.json"
    path.write_text(json.dumps(rows))
    first, second = await asyncio.gather(start_server(), start_server())
    done = asyncio.Event()

    async def import_then_stop() -> tuple[int, str]:
        try:
            return await run_import(database_url, path)
        finally:
            done.set()

    importing = asyncio.create_task(import_then_stop())
    writes = await asyncio.gather(
        *(
            write_steadily(server, admin_key, n, done)
            for server in (first, second)
            for n in range(CLIENTS_PER_SERVER)
        )
    )
    returncode, output = await importing

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            imported = await connection.scalar(
                sa.text("SELECT count(*) FROM product WHERE sku LIKE 'CLI-%'")
            )
            served = await connection.scalar(
                sa.text("SELECT count(*) FROM product WHERE sku LIKE 'SRV-%' AND price = 3")
            )
    finally:
        await engine.dispose()
    assert returncode == 0, output
    statuses = {s for each in writes for s in each.statuses}
    assert statuses == {200, 201}, first.output() + second.output()
    assert imported == IMPORTED
    assert served == sum(each.updated for each in writes)
    assert sum(each.during_import for each in writes) > 0
