"""A Report with known figures, for the target and rendering tests."""

from __future__ import annotations

import dataclasses

from bench.results import (
    AggregateResult,
    ConfigChangeResult,
    DeliveryResult,
    DexgateRun,
    Failure,
    FeedWriteResult,
    ImportResult,
    LoadResult,
    Machine,
    MixedResult,
    PeerResult,
    PeerStatus,
    PgbenchResult,
    RawRun,
    Report,
    SchemaBuildResult,
    StatementCount,
    WriteResult,
)

API = ("rest", "graphql")


def load(rps: float, p99: float = 20.0) -> LoadResult:
    return LoadResult(rps=rps, requests=int(rps * 10), mean_ms=10.0, p50_ms=8.0, p99_ms=p99)


def mixed(write_share: float, rps: float, errors: dict[str, int] | None = None) -> MixedResult:
    """Reads by id (and updates at ``write_share``) from 16 clients for 10 s."""
    failed = sum((errors or {}).values())
    return MixedResult(
        write_share=write_share,
        clients=16,
        seconds=10.0,
        requests=int(rps * 10),
        rps=rps,
        p50_ms=15.0,
        p99_ms=60.0,
        writes_per_second=rps * write_share,
        write_p99_ms=90.0 if write_share else 0.0,
        errors=failed,
        errors_by_kind=errors or {},
    )


def make_report(*, peers: bool = True) -> Report:
    """dexgate at 1 and 2 workers (both configurations at 1), on SQLite and on MariaDB (with
    the raw rate of its SQL there); PostGraphile and Directus as in the peer bed's README,
    datasette and datasette-graphql."""
    one = DexgateRun(
        workers=1,
        http={
            "rest A": load(1100, p99=25.0),
            "rest B": load(300, p99=80.0),
            "rest C": load(2000, p99=9.0),
            "graphql A": load(900, p99=40.0),
            "graphql B": Failure("graphql B: HTTP 500"),
            "graphql C": LoadResult(3500, 35000, 4.0, 3.0, 8.0, non2xx=12),
            "spryker rest A": load(2500, p99=12.0),
            "spryker rest B": load(700, p99=90.0),
            "spryker rest C": load(4650, p99=4.0),
            "spryker graphql A": load(1900, p99=20.0),
            "spryker graphql B": load(900, p99=50.0),
            "spryker graphql C": load(5000, p99=11.0),
        },
        write=WriteResult(10, 1000, 0.8, 12_500.0, 80.0),
        write_feed=FeedWriteResult(
            3,
            WriteResult(30, 1000, 2.4, 12_500.0, 80.0),
            WriteResult(30, 1000, 3.0, 10_000.0, 100.0),
        ),
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
        sqlite=DexgateRun(
            workers=1,
            http={
                "rest A": load(1800, p99=15.0),
                "rest B": load(600),
                "rest C": load(3000, p99=6.0),
                "graphql A": load(1500),
                "graphql B": Failure("graphql B: HTTP 500"),
                "graphql C": load(2500),
            },
            write=WriteResult(10, 1000, 0.9, 11_000.0, 90.0),
            write_feed=Failure("write G (feed on): HTTP 500"),
            read_only=mixed(0.0, 800.0),
            mixed=mixed(0.2, 360.0),
        ),
        statements=[
            *(StatementCount("postgresql", f"{api} {key}", 1) for api in API for key in "ABC"),
            StatementCount("postgresql", "spryker rest A", 1),
            StatementCount("postgresql", "spryker rest B", 3),
            StatementCount("sqlite", "rest A", 1),
            StatementCount("sqlite", "graphql C", 1),
            *(StatementCount("mariadb", f"{api} {key}", 1) for api in API for key in "ABC"),
        ],
        mariadb=DexgateRun(
            workers=1,
            http={
                "rest A": LoadResult(1000, 10_000, 16.0, 15.0, 30.0, cpu_us=250.0),
                "rest B": load(200),
                "rest C": load(1600),
                "graphql A": load(800),
                "graphql C": load(2800),
                "spryker rest A": load(2000),
            },
            write=WriteResult(10, 1000, 0.5, 20_000.0, 50.0),
            write_feed=FeedWriteResult(
                3,
                WriteResult(30, 1000, 1.5, 20_000.0, 50.0),
                WriteResult(30, 1000, 3.0, 10_000.0, 100.0),
            ),
            config_change=ConfigChangeResult([300.0, 400.0], [310.0, 420.0], [900.0, 950.0]),
            csv_import=ImportResult(100_000, 1000, 25_000.0, 5.0, 20_000.0),
        ),
        mariadb_raw=[
            RawRun("rest A", "dexgate", "rest A", 1, PgbenchResult(4_000.0, 4.0, 40_000)),
            RawRun("rest B", "dexgate", "rest B", 1, Failure("OperationalError: boom")),
        ],
        aggregates=[
            AggregateResult(
                "postgresql", "entities.json", 350, 400.0, load(300), load(150), load(140)
            ),
            AggregateResult(
                "postgresql",
                "Spryker-style",
                350,
                400.0,
                load(300),
                load(280),
                Failure("PostGraphile 5 with @graphile/pg-aggregates not measured: no npm"),
            ),
            AggregateResult(
                "sqlite", "entities.json", 350, 0.0, load(90), Failure("F on sqlite: boom")
            ),
        ],
        deliveries=[
            DeliveryResult("postgresql", 20_000, 2_400.0, 46.0, 89.0, 500.0),
            DeliveryResult("mariadb", 20_000, 1_736.0, 120.0, 1_100.0, 500.0),
        ],
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
            PeerResult("datasette", "rest", "A", load(1000)),
            PeerResult("datasette", "rest", "C", load(1600)),
            PeerResult("datasette-graphql", "graphql", "A", load(100)),
            PeerResult("datasette-graphql", "graphql", "B", load(20)),
        ]
        report.peers += [
            PeerStatus("datasette", True, "datasette 0.65.5"),
            PeerStatus("datasette-graphql", True, "datasette-graphql 2.2"),
        ]
    else:
        report.peers = [
            PeerStatus("postgraphile", False, "not installed: nothing answers"),
            PeerStatus("directus", False, "not installed: nothing answers"),
            PeerStatus("datasette", False, "not installed: no `datasette` command"),
            PeerStatus("datasette-graphql", False, "not installed: no `datasette` command"),
        ]
        # F's peer is installed by F itself; "no peers" here means it could not be either.
        missing = Failure("PostGraphile 5 with @graphile/pg-aggregates not measured: no npm")
        report.aggregates = [
            dataclasses.replace(row, peer=missing) if row.peer is not None else row
            for row in report.aggregates
        ]
    return report
