"""Scenario G, write overhead: D's batches with the change feed of ``products`` off and on.

Right after D against a server, the harness sends D's batches (1,000-row POSTs, one after
the other) in rounds that alternate between the feed off and on — off, on, off, on, ... — so
that a machine busier during one round than another weighs on both sides alike. The feed is
switched with dexgate's own command line (``dexgate entities change-feed products on|off``:
the triggers are created or dropped then), and each round waits until the server serves the
new state (``GET /change-feed/products`` answers 200 when on, 404 when off: its catalog has
seen the change). With the feed on, every row records its ``create`` event in the writing
transaction. Each round's rows are deleted after it (with the feed off), and the events they
recorded too, so every round starts from the same table. Each side's rounds are pooled (rows
over seconds). Target (issue 17): with the feed on, at least 0.8 times the rows/s with it off.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench import dataset, write
from bench.client import Client
from bench.dataset import Dataset
from bench.process import BenchError
from bench.results import Failure, FeedWriteResult, WriteResult

ALIAS = "products"
# Only the events of D's rows: the entity's other events (none in the bench) are kept.
DELETE_EVENTS = "DELETE FROM dexgate_change_event WHERE entity = 'products'"
FEED_WAIT = 30.0
ROUNDS = 3


def measure(
    built: Dataset,
    base_url: str,
    batches: int,
    size: int,
    clean_up: Callable[[str], None],
    rounds: int = ROUNDS,
) -> FeedWriteResult | Failure:
    """``rounds`` rounds of ``batches`` POSTs with the feed off and as many with it on,
    alternating; ``clean_up(sql)`` deletes D's rows and runs ``sql`` (the events' deletion)
    on the dataset's database."""
    sides: dict[str, list[WriteResult]] = {"off": [], "on": []}
    try:
        for _ in range(rounds):
            for state in ("off", "on"):
                _switch(built, state)
                try:
                    _wait_served(base_url, built.api_key, state)
                    result = write.post_batches(base_url, built.api_key, batches, size)
                    if state == "on" and not isinstance(result, Failure):
                        _check_recorded(base_url, built.api_key, min(size, 1000))
                finally:
                    _switch(built, "off")
                    clean_up(DELETE_EVENTS)
                if isinstance(result, Failure):
                    return Failure(result.error.replace("write D", f"write G (feed {state})", 1))
                sides[state].append(result)
    except BenchError as exc:
        return Failure(f"write G: {exc}")
    return FeedWriteResult(rounds, _pooled(sides["off"]), _pooled(sides["on"]))


def _pooled(results: list[WriteResult]) -> WriteResult:
    batches = sum(r.batches for r in results)
    seconds = sum(r.seconds for r in results)
    size = results[0].batch_size
    return WriteResult(
        batches=batches,
        batch_size=size,
        seconds=round(seconds, 3),
        rows_per_second=batches * size / seconds,
        ms_per_request=seconds / batches * 1000,
    )


def _check_recorded(base_url: str, api_key: str, expected: int) -> None:
    """The round's rows are in the feed: its first page holds ``expected`` create events."""
    with Client(base_url, api_key) as client:
        answer = client.get(f"/change-feed/{ALIAS}?limit={expected}")
    events = answer.json().get("data") if answer.status == 200 else None
    if not isinstance(events, list) or len(events) != expected:
        raise BenchError(f"the feed did not record the round's rows: HTTP {answer.status}")
    if any(event.get("operation") != "create" for event in events):
        raise BenchError("the feed recorded other events than the round's creations")


def _switch(built: Dataset, state: str) -> None:
    dataset.dexgate(built.environ, "entities", "change-feed", ALIAS, state)


def _wait_served(base_url: str, api_key: str, state: str) -> None:
    """Until the server's catalog has the feed in ``state`` (its pull API answers 200 when
    on, something else when off)."""
    deadline = time.monotonic() + FEED_WAIT
    with Client(base_url, api_key) as client:
        while True:
            answer = client.get(f"/change-feed/{ALIAS}?limit=1")
            if (answer.status == 200) == (state == "on"):
                return
            if time.monotonic() > deadline:
                raise BenchError(
                    f"the feed of {ALIAS} was not served {state} {FEED_WAIT:g} s after it was "
                    f"switched: HTTP {answer.status}: {answer.body[:200]!r}"
                )
            time.sleep(0.1)
