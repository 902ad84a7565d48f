"""Scenario E, second half: from a configuration change to the first request served with it.

The change is made as an operator makes it, by ``dexgate entities apply`` in a process of its
own: it adds the field ``note`` to the ``probes`` entity, then removes it again, and so on. While
the command runs and after it, the harness polls the running server over REST
(``GET /dynamic-entity/probes/1``: is ``note`` in the row?) and GraphQL
(``{ probe(id: 1) { note } }``: answered without errors?) until both show the change.

Each sample is measured from the moment the command reports the change saved (its
``updated: probes`` line, read unbuffered as it is printed, after the commit) to the first
response showing it. The command's own run time (mostly Python starting) is reported next to it.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

from bench.client import Client
from bench.dataset import PROBE_FIELD, Dataset, probe_entry
from bench.process import dexgate_executable
from bench.results import ConfigChangeResult, Failure

REST_PATH = "/dynamic-entity/probes/1"
GRAPHQL_BODY = json.dumps({"query": f"{{ probe(id: 1) {{ {PROBE_FIELD} }} }}"}).encode()
TIMEOUT = 30.0
POLL_INTERVAL = 0.002


def measure(
    dataset: Dataset, base_url: str, changes: int, work: Path
) -> ConfigChangeResult | Failure:
    """Make ``changes`` changes (add, remove, add, ...) and time each until served."""
    try:
        return _measure(dataset, base_url, changes, work)
    except (OSError, ValueError) as exc:
        return Failure(f"config change: {type(exc).__name__}: {exc}")


def _measure(
    dataset: Dataset, base_url: str, changes: int, work: Path
) -> ConfigChangeResult | Failure:
    rest: list[float] = []
    graphql: list[float] = []
    cli: list[float] = []
    with Client(base_url, dataset.api_key, timeout=10) as client:
        for number in range(changes):
            with_note = number % 2 == 0
            if _rest_shows(client, with_note) or _graphql_shows(client, with_note):
                return Failure(f"config change: the server shows `{PROBE_FIELD}` before the change")
            entry_file = work / f"probe-{number}.json"
            entry_file.write_text(json.dumps([probe_entry(with_note)]))
            sample = _one_change(client, dataset, entry_file, with_note)
            if isinstance(sample, Failure):
                return sample
            rest.append(sample[0])
            graphql.append(sample[1])
            cli.append(sample[2])
    return ConfigChangeResult(rest_ms=rest, graphql_ms=graphql, cli_ms=cli)


def _one_change(
    client: Client, dataset: Dataset, entry_file: Path, with_note: bool
) -> tuple[float, float, float] | Failure:
    started = time.perf_counter()
    command = subprocess.Popen(  # noqa: S603 - our own console script with a file we wrote
        [dexgate_executable(), "entities", "apply", str(entry_file)],
        env={**dataset.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    saved: list[float] = []
    reader = threading.Thread(target=_watch_saved, args=(command, saved), daemon=True)
    reader.start()
    exited: float | None = None
    rest_seen: float | None = None
    graphql_seen: float | None = None
    deadline = started + TIMEOUT
    try:
        while time.perf_counter() < deadline:
            if exited is None and command.poll() is not None:
                exited = time.perf_counter()
                reader.join(timeout=5)
                if command.returncode != 0 or not saved:
                    error = command.stderr.read() if command.stderr else ""
                    return Failure(
                        f"config change: `dexgate entities apply` saved nothing: {error}"
                    )
            if rest_seen is None and _rest_shows(client, with_note):
                rest_seen = time.perf_counter()
            if graphql_seen is None and _graphql_shows(client, with_note):
                graphql_seen = time.perf_counter()
            if saved and exited is not None and rest_seen is not None and graphql_seen is not None:
                return (
                    _after(rest_seen, saved[0]),
                    _after(graphql_seen, saved[0]),
                    round((exited - started) * 1000, 1),
                )
            time.sleep(POLL_INTERVAL)
    finally:
        if command.poll() is None:
            command.kill()
        command.wait()
    return Failure(f"config change: not served within {TIMEOUT:.0f} s of `entities apply`")


def _watch_saved(command: subprocess.Popen[str], saved: list[float]) -> None:
    """Note when the command prints that it saved the entity (``updated: probes``)."""
    assert command.stdout is not None
    for line in command.stdout:
        if not saved and line.startswith(("updated:", "created:")):
            saved.append(time.perf_counter())


def _after(seen: float, saved: float) -> float:
    # A poll answered between the commit and the line being printed counts as 0.
    return round(max(0.0, seen - saved) * 1000, 1)


def _rest_shows(client: Client, with_note: bool) -> bool:
    answer = client.get(REST_PATH)
    if answer.status != 200:
        return False
    return (PROBE_FIELD in answer.json().get("data", {})) == with_note


def _graphql_shows(client: Client, with_note: bool) -> bool:
    answer = client.request("POST", "/graphql", GRAPHQL_BODY)
    errors = answer.json().get("errors") if answer.status in (200, 400) else None
    if with_note:
        return answer.status == 200 and not errors
    # Without the field the query no longer validates: 400 with the error naming it.
    return answer.status == 400 and PROBE_FIELD in json.dumps(errors)
