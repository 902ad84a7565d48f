"""The peers — PostGraphile 5 and Directus 12 — measured in the same invocation, when installed.

The peer bed (``../shared/peerbench`` by default, ``--peerbench DIR``) is installed and started
by its own scripts (see its README); the harness only looks whether its servers answer
(PostGraphile on 127.0.0.1:5678, Directus on 127.0.0.1:8055) and, for those that do, runs the
bed's own ``run_load.sh`` with the same duration, warm-up, connections and wrk threads as
dexgate's scenarios, then reads the TSV it writes. A peer that does not answer is reported as
"not installed"; that never fails the run.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from bench.client import Client
from bench.load import LoadSettings
from bench.process import BenchError, run
from bench.results import LoadResult, PeerResult, PeerStatus

POSTGRAPHILE = "postgraphile"
DIRECTUS = "directus"
LABELS = {POSTGRAPHILE: "PostGraphile 5", DIRECTUS: "Directus 12"}
ENDPOINTS = {POSTGRAPHILE: "http://127.0.0.1:5678", DIRECTUS: "http://127.0.0.1:8055"}
# run_load.sh's names: systems, and cases for the scenarios A, B, C (others are left out).
SYSTEMS = {"postgraphile-5": POSTGRAPHILE, "directus-12": DIRECTUS}
CASES = {"a_flat": "A", "b_nested": "B", "c_one": "C"}


def detect(peerbench: Path) -> list[PeerStatus]:
    """Which peers of the bed answer now."""
    script = peerbench / "run_load.sh"
    if not script.exists():
        return [
            PeerStatus(system, False, f"not installed (no peer bed at {peerbench})")
            for system in (POSTGRAPHILE, DIRECTUS)
        ]
    return [
        _status(
            POSTGRAPHILE,
            _answers(ENDPOINTS[POSTGRAPHILE], "/graphql", b'{"query":"{ __typename }"}'),
        ),
        _status(DIRECTUS, _answers(ENDPOINTS[DIRECTUS], "/server/ping", None)),
    ]


def measure(
    peerbench: Path, installed: Sequence[str], settings: LoadSettings, work: Path
) -> tuple[list[PeerResult], str | None]:
    """Run the bed's ``run_load.sh`` for the installed peers: their rows for A, B and C, and
    what went wrong if it stopped early (the rows measured until then are kept)."""
    if shutil.which("hey") is None:
        # run_load.sh would apt-get it; the bed's README installs it with wrk.
        return [], "the peer bed needs `hey` as well as wrk (apt-get install hey)"
    out = work / "peers.tsv"
    environ = {
        "DURATION": str(int(settings.duration)),
        "WARMUP": str(int(settings.warmup)),
        "CONNS": str(settings.connections),
        "THREADS": str(settings.threads),
        "OUT": str(out),
    }
    timeout = (settings.duration + settings.warmup + 30) * 12 + 120
    error = None
    try:
        run(
            ["bash", str(peerbench / "run_load.sh"), *installed],
            env={**os.environ, **environ},
            timeout=timeout,
        )
    except BenchError as exc:
        error = f"the peer bed's run_load.sh stopped: {exc}"
    return (parse_tsv(out.read_text()) if out.exists() else []), error


def parse_tsv(text: str) -> list[PeerResult]:
    """The rows of run_load.sh's TSV that stand for scenarios A, B and C of a known peer."""
    rows = []
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        system, scenario = SYSTEMS.get(row["system"]), CASES.get(row["case"])
        if system is None or scenario is None:
            continue
        result = LoadResult(
            rps=float(row["rps"]),
            requests=int(row["requests"]),
            mean_ms=float(row["avg_ms"]),
            p50_ms=float(row["p50_ms"]),
            p99_ms=float(row["p99_ms"]),
            socket_errors=int(row["errors"]),
            non2xx=int(row["non2xx"]),
        )
        rows.append(PeerResult(system, row["api"], scenario, result))
    return rows


def _answers(base_url: str, path: str, body: bytes | None) -> str | None:
    """None when the server answers 200, else what happened."""
    try:
        with Client(base_url, None, timeout=3) as client:
            answer = client.request("POST" if body else "GET", path, body)
    except OSError as exc:
        return f"nothing answers on {base_url} ({exc.strerror or exc})"
    if answer.status != 200:
        return f"{base_url}{path} answered HTTP {answer.status}"
    return None


def _status(system: str, problem: str | None) -> PeerStatus:
    if problem is None:
        return PeerStatus(system, True, f"answering on {ENDPOINTS[system]}")
    return PeerStatus(system, False, f"not installed: {problem}")
