"""Scenario G, write overhead: D again with the change feed of ``products`` switched on.

Right after D (1,000-row POST batches, feed off) against a server, the harness switches the
feed on with dexgate's own command line (``dexgate entities change-feed products on``: the
triggers are created then), waits until the server serves the feed (``GET
/change-feed/products`` answers 200: its catalog has seen the change), sends the same batches
again, and switches the feed off. Every row then records its ``create`` event in the writing
transaction. The rows are deleted afterwards, with the feed off, and the events they recorded
too, so the dataset is the same for what follows. Target (issue 17): with the feed on, at least
0.8 times the rows/s of D with it off, same run, same server.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench import dataset, write
from bench.client import Client
from bench.dataset import Dataset
from bench.process import BenchError
from bench.results import Failure, WriteResult

ALIAS = "products"
# Only the events of D's rows: the entity's other events (none in the bench) are kept.
DELETE_EVENTS = "DELETE FROM dexgate_change_event WHERE entity = 'products'"
FEED_WAIT = 30.0


def measure(
    built: Dataset,
    base_url: str,
    batches: int,
    size: int,
    clean_up: Callable[[str], None],
) -> WriteResult | Failure:
    """D with the feed of ``products`` on; ``clean_up(sql)`` deletes D's rows and runs
    ``sql`` (the events' deletion) on the dataset's database."""
    try:
        _switch(built, "on")
        try:
            _wait_served(base_url, built.api_key)
            result = write.post_batches(base_url, built.api_key, batches, size)
        finally:
            _switch(built, "off")
            clean_up(DELETE_EVENTS)
    except BenchError as exc:
        return Failure(f"write G (feed on): {exc}")
    if isinstance(result, Failure):
        return Failure(result.error.replace("write D", "write G (feed on)", 1))
    return result


def ratio(off: WriteResult | Failure | None, on: WriteResult | Failure | None) -> float | None:
    """Rows/s with the feed on over rows/s with it off, when both were measured."""
    if isinstance(off, WriteResult) and isinstance(on, WriteResult) and off.rows_per_second:
        return on.rows_per_second / off.rows_per_second
    return None


def _switch(built: Dataset, state: str) -> None:
    dataset.dexgate(built.environ, "entities", "change-feed", ALIAS, state)


def _wait_served(base_url: str, api_key: str) -> None:
    """Until the server's catalog has the feed on (its pull API answers 200)."""
    deadline = time.monotonic() + FEED_WAIT
    with Client(base_url, api_key) as client:
        while True:
            answer = client.get(f"/change-feed/{ALIAS}?limit=1")
            if answer.status == 200:
                return
            if time.monotonic() > deadline:
                raise BenchError(
                    f"the feed of {ALIAS} was not served {FEED_WAIT:g} s after it was "
                    f"switched on: HTTP {answer.status}: {answer.body[:200]!r}"
                )
            time.sleep(0.1)
