"""``dexgate serve --workers 2``: two worker processes behind one port, both serving, both
taking a configuration change made through either."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.processes.conftest import Server, StartServer

COUNTRIES = "/dynamic-entity/countries"
# Enough work that a worker which served some of it has used clearly more CPU time than an
# idle one (uvicorn's once-a-tenth-of-a-second housekeeping).
BUSY_TICKS = 5


def workers_of(server: Server) -> list[int]:
    """The process ids of the server's worker processes (its children running the app)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == server.process.pid and b"spawn_main" in command:
            children.append(int(stat.parent.name))
    return sorted(children)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


async def burst(server: Server, key: str, requests: int, path: str) -> list[int]:
    """``requests`` concurrent requests, each on a new connection (so each is accepted anew by
    whichever worker is quicker)."""
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"X-Api-Key": key}, limits=limits, timeout=30
    ) as web:
        responses = await asyncio.gather(*(web.get(path) for _ in range(requests)))
    return [r.status_code for r in responses]


async def keep_asking(server: Server, key: str, path: str, stop: asyncio.Event) -> None:
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"X-Api-Key": key}, limits=limits, timeout=30
    ) as web:
        while not stop.is_set():
            assert (await web.get(path)).status_code in (200, 404)


async def until_both_worked(server: Server, key: str, workers: list[int], path: str) -> list[int]:
    """Bursts of requests until each worker has visibly done a share of them (at most ten
    bursts); the statuses of all of them."""
    before = {pid: cpu_ticks(pid) for pid in workers}
    statuses: list[int] = []
    for _ in range(10):
        statuses += await burst(server, key, 60, path)
        used = {pid: cpu_ticks(pid) - before[pid] for pid in workers}
        if min(used.values()) >= BUSY_TICKS:
            return statuses
    raise AssertionError(f"a worker did no work: CPU ticks per worker {used}")


async def test_two_workers_both_serve_and_both_take_a_configuration_change(
    start_server: StartServer, admin_key: str, propagation: dict[str, str]
) -> None:
    server = await start_server("--workers", "2", **propagation)
    workers = workers_of(server)
    assert len(workers) == 2, server.output()

    products = await until_both_worked(server, admin_key, workers, "/dynamic-entity/products")
    assert set(products) == {200}

    # Under load, as in production: requests keep coming while the change is made.
    stop = asyncio.Event()
    background = asyncio.gather(
        *(keep_asking(server, admin_key, COUNTRIES, stop) for _ in range(4))
    )
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient(base_url=server.url, headers={"X-Api-Key": admin_key}) as web:
        changed = await web.post("/admin/entities/countries/deactivate")
        assert changed.status_code == 303, changed.text
    await asyncio.sleep(1.0)
    stop.set()
    await background
    # a second after the change, both workers answer with it
    countries = await until_both_worked(server, admin_key, workers, COUNTRIES)
    assert set(countries) == {404}, countries
    assert server.process.returncode is None
