"""A Report with known figures, for the target and rendering tests."""

from __future__ import annotations

from bench.results import (
    ConfigChangeResult,
    DexgateRun,
    Failure,
    LoadResult,
    Machine,
    PeerResult,
    PeerStatus,
    PgbenchResult,
    RawRun,
    Report,
    SchemaBuildResult,
    WriteResult,
)


def load(rps: float, p99: float = 20.0) -> LoadResult:
    return LoadResult(rps=rps, requests=int(rps * 10), mean_ms=10.0, p50_ms=8.0, p99_ms=p99)


def make_report(*, peers: bool = True) -> Report:
    """dexgate at 1 and 2 workers; PostGraphile and Directus as in the peer bed's README."""
    one = DexgateRun(
        workers=1,
        http={
            "rest A": load(1100, p99=25.0),
            "rest B": load(300, p99=80.0),
            "rest C": load(2000, p99=9.0),
            "graphql A": load(900, p99=40.0),
            "graphql B": Failure("graphql B: HTTP 500"),
            "graphql C": LoadResult(3500, 35000, 4.0, 3.0, 8.0, non2xx=12),
        },
        write=WriteResult(10, 1000, 0.8, 12_500.0, 80.0),
        config_change=ConfigChangeResult([40.0, 60.0], [45.0, 1200.0], [900.0, 950.0]),
    )
    two = DexgateRun(workers=2, http={"rest A": load(1900)})
    report = Report(
        started="2026-11-27 10:00 UTC",
        machine=Machine(
            "AMD EPYC", 2, "Linux", "3.11.7", "15.20", "wrk 4.1.0", "abc1234", (1.5, 1.0, 0.5)
        ),
        options={"connections": 16, "threads": 2, "duration": 10, "warmup": 3, "quick": False},
        dexgate=[two, one],
        raw=[
            RawRun("a_flat", "reference", "A", 1, PgbenchResult(10_000.0, 0.8, 100_000)),
            RawRun("rest A", "dexgate", "rest A", 1, PgbenchResult(20_000.0, 0.7, 200_000)),
            RawRun("b_nested_rows", "reference", "B", 3, Failure("pgbench: error")),
        ],
        schema_build=SchemaBuildResult(500, 20, 5, 42.0, 258.0),
        notes=["dexgate, 1 worker, graphql B: HTTP 500"],
    )
    if peers:
        report.peers = [
            PeerStatus("postgraphile", True, "answering on http://127.0.0.1:5678"),
            PeerStatus("directus", True, "answering on http://127.0.0.1:8055"),
        ]
        report.peer_results = [
            PeerResult("postgraphile", "graphql", "A", load(1000, p99=30.0)),
            PeerResult("postgraphile", "graphql", "B", load(420, p99=72.0)),
            PeerResult("postgraphile", "graphql", "C", load(3100, p99=10.0)),
            PeerResult("directus", "rest", "A", load(200)),
            PeerResult("directus", "rest", "B", load(125)),
            PeerResult("directus", "graphql", "A", load(220)),
        ]
    else:
        report.peers = [
            PeerStatus("postgraphile", False, "not installed: nothing answers"),
            PeerStatus("directus", False, "not installed: nothing answers"),
        ]
    return report
