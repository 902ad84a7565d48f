"""The targets of issue 7, judged on the figures of one run (ratios measured together).

- REST and GraphQL, A and B: at least 1.0x PostGraphile's requests/s and 3x Directus's (the
  Directus API of the same kind: REST against its REST, GraphQL against its GraphQL);
- C, REST and GraphQL: at least 1.0x PostGraphile;
- REST A: at least 0.1x the raw database rate of the reference flat page (``a_flat``, the
  statement the peers' ratios are quoted against);
- D: at least 10,000 rows/s; E: schema build at most 300 ms, configuration change served within
  1 s (the worst sample, REST or GraphQL);
- p99 latency no worse than PostGraphile's, in each of A, B, C over REST and GraphQL.

Then the targets of issue 14 (one read pipeline), after those:

- PostgreSQL, for both configurations (entities.json and the Spryker-style one): A and B at least
  2x PostGraphile's requests/s, C at least 1.5x, over REST and GraphQL; p99 below PostGraphile's
  (judged above for entities.json, here for the Spryker-style configuration);
- SQLite: REST A and C at least 2x datasette's JSON API, GraphQL A and B at least 2x
  datasette-graphql;
- one statement per request for A, B and C on PostgreSQL (both configurations) and on SQLite.

Then issue 18's (SQLite under concurrency), on the SQLite file:

- D (POST batches of 1,000 rows) at least 10,000 rows/s;
- the mixed load (80 % reads by id, 20 % single-row updates) at least 0.5x the requests/s of
  the same reads alone, with no error: an error under the mixed load fails the target (a
  request refused because another one writes is what the issue is about).

Then issue 15's (MariaDB), on the same data in a MariaDB database, dexgate at one worker:

- REST A at least 0.1x the raw rate of the statement dexgate sent for it there (sent again by
  a driver loop as dexgate sends it, at the same concurrency);
- A, B and C, REST and GraphQL, both configurations: within 25 % of dexgate's own PostgreSQL
  figures in the same run (at least 0.75x its requests/s);
- D (POST batches of 1,000 rows) and a CSV import (``dexgate import``, batches of 1,000) at
  least 10,000 rows/s;
- one statement per request for A, B and C (both configurations).

Then issue 16's (aggregates): scenario F (grouped totals) over REST and GraphQL at least 0.5x
the raw rate of the statement dexgate compiles for it, on each database and configuration.

dexgate is judged at one worker, as the peers run one process. A target whose figures are
missing (a peer not installed, a scenario that failed) is ``n/a`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bench.configurations import CONFIGURATIONS, DEXGATE, SPRYKER
from bench.peers import DIRECTUS, LABELS, POSTGRAPHILE
from bench.results import (
    DATABASE_LABELS,
    MARIADB,
    POSTGRESQL,
    SQLITE,
    AggregateResult,
    ConfigChangeResult,
    Failure,
    FeedWriteResult,
    ImportResult,
    LoadResult,
    MixedResult,
    Report,
    SchemaBuildResult,
    WriteResult,
)
from bench.sqlite_peers import DATASETTE, DATASETTE_GRAPHQL
from bench.sqlite_peers import LABELS as SQLITE_LABELS

Status = Literal["pass", "fail", "n/a"]
API_LABELS = {"rest": "REST", "graphql": "GraphQL"}
MIN_VS_POSTGRAPHILE = 1.0
MIN_VS_DIRECTUS = 3.0
MIN_VS_RAW = 0.1
MIN_ROWS_PER_SECOND = 10_000
MAX_SCHEMA_BUILD_MS = 300
MAX_CONFIG_CHANGE_MS = 1_000
# issue 14
MIN_VS_POSTGRAPHILE_PIPELINE = {"A": 2.0, "B": 2.0, "C": 1.5}
MIN_VS_DATASETTE = 2.0
MAX_STATEMENTS = 1
# issue 18
MIN_MIXED_VS_READ_ONLY = 0.5
# issue 15
MIN_MARIADB_VS_POSTGRESQL = 0.75
MIN_AGGREGATE_VS_RAW = 0.5
MIN_AGGREGATE_VS_PG_AGGREGATES = 2.0
# Issue 17: D with the change feed on, against D with it off (same run, same server).
MIN_FEED_WRITE_VS_D = 0.8
# Issue 17: webhook delivery from one process, and latency from commit at 500 events/s.
MIN_DELIVERY_PER_SECOND = 2_000
MAX_DELIVERY_P50_MS = 100
MAX_DELIVERY_P99_MS = 1_000
# The SQLite scenarios and the peer each is compared with (datasette's JSON has no B).
SQLITE_PEERS = {
    ("rest", "A"): DATASETTE,
    ("rest", "C"): DATASETTE,
    ("graphql", "A"): DATASETTE_GRAPHQL,
    ("graphql", "B"): DATASETTE_GRAPHQL,
}


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    status: Status


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def times(value: float) -> str:
    """A ratio as the report prints it: ``1.23x``."""
    return f"{value:.2f}x"


def judge_ratio(
    target: str, ours: LoadResult | Failure | None, theirs: float | None, minimum: float, what: str
) -> Verdict:
    """``ours.rps / theirs`` against ``minimum``; n/a when either side is missing."""
    missing = _missing(ours)
    if missing is not None or not isinstance(ours, LoadResult):
        return Verdict(target, missing or "not measured", "n/a")
    if theirs is None:
        return Verdict(target, f"no figure for {what}", "n/a")
    if theirs <= 0:
        return Verdict(target, f"no request of {what} completed in the run", "n/a")
    value = ratio(ours.rps, theirs)
    measured = f"{times(value)} ({ours.rps:,.0f} / {theirs:,.0f})"
    return Verdict(target, measured, "pass" if value >= minimum else "fail")


def judge_p99(
    target: str, ours: LoadResult | Failure | None, theirs: LoadResult | None, what: str
) -> Verdict:
    """``ours.p99_ms`` no worse than ``theirs``; n/a when either side is missing."""
    missing = _missing(ours)
    if missing is not None or not isinstance(ours, LoadResult):
        return Verdict(target, missing or "not measured", "n/a")
    if theirs is None:
        return Verdict(target, f"no figure for {what}", "n/a")
    measured = f"{ours.p99_ms:.1f} ms vs {theirs.p99_ms:.1f} ms"
    return Verdict(target, measured, "pass" if ours.p99_ms <= theirs.p99_ms else "fail")


def judge_bound(
    target: str, value: float | None, bound: float, unit: str, at_least: bool
) -> Verdict:
    if value is None:
        return Verdict(target, "not measured", "n/a")
    passed = value >= bound if at_least else value <= bound
    return Verdict(target, f"{value:,.0f} {unit}", "pass" if passed else "fail")


def evaluate(report: Report) -> list[Verdict]:
    """Every target, in the issue's order."""
    installed = {p.system for p in report.peers if p.installed}

    def peer(system: str) -> str:
        """How a peer is named when its figure is missing."""
        return LABELS[system] + ("" if system in installed else " (not installed)")

    verdicts: list[Verdict] = []
    for api in ("rest", "graphql"):
        for key in ("A", "B"):
            name, label = f"{api} {key}", f"{API_LABELS[api]} {key}"
            ours = report.http(name)
            verdicts.append(
                judge_ratio(
                    f"{label} ≥ {MIN_VS_POSTGRAPHILE:.1f}x {LABELS[POSTGRAPHILE]}",
                    ours,
                    _rps(report.peer(POSTGRAPHILE, "graphql", key)),
                    MIN_VS_POSTGRAPHILE,
                    peer(POSTGRAPHILE),
                )
            )
            verdicts.append(
                judge_ratio(
                    f"{label} ≥ {MIN_VS_DIRECTUS:.0f}x {LABELS[DIRECTUS]} {API_LABELS[api]}",
                    ours,
                    _rps(report.peer(DIRECTUS, api, key)),
                    MIN_VS_DIRECTUS,
                    peer(DIRECTUS),
                )
            )
    for api in ("rest", "graphql"):
        verdicts.append(
            judge_ratio(
                f"{API_LABELS[api]} C ≥ {MIN_VS_POSTGRAPHILE:.1f}x {LABELS[POSTGRAPHILE]}",
                report.http(f"{api} C"),
                _rps(report.peer(POSTGRAPHILE, "graphql", "C")),
                MIN_VS_POSTGRAPHILE,
                peer(POSTGRAPHILE),
            )
        )
    raw = report.raw_rate("reference", "a_flat")
    verdicts.append(
        judge_ratio(
            f"REST A ≥ {MIN_VS_RAW}x the raw database (a_flat)",
            report.http("rest A"),
            raw.tps if raw else None,
            MIN_VS_RAW,
            "the raw database rate",
        )
    )
    primary = report.primary
    write = primary.write if primary else None
    verdicts.append(
        judge_bound(
            f"D ≥ {MIN_ROWS_PER_SECOND:,} rows/s",
            write.rows_per_second if isinstance(write, WriteResult) else None,
            MIN_ROWS_PER_SECOND,
            "rows/s",
            at_least=True,
        )
    )
    build = report.schema_build
    verdicts.append(
        judge_bound(
            f"E: schema build ≤ {MAX_SCHEMA_BUILD_MS} ms (500 x 20)",
            build.total_ms if isinstance(build, SchemaBuildResult) else None,
            MAX_SCHEMA_BUILD_MS,
            "ms",
            at_least=False,
        )
    )
    change = primary.config_change if primary else None
    verdicts.append(
        judge_bound(
            f"E: configuration change served ≤ {MAX_CONFIG_CHANGE_MS:,} ms",
            change.worst_ms if isinstance(change, ConfigChangeResult) else None,
            MAX_CONFIG_CHANGE_MS,
            "ms (worst sample)",
            at_least=False,
        )
    )
    for api in ("rest", "graphql"):
        for key in ("A", "B", "C"):
            verdicts.append(
                judge_p99(
                    f"{API_LABELS[api]} {key}: p99 ≤ {LABELS[POSTGRAPHILE]}'s",
                    report.http(f"{api} {key}"),
                    report.peer(POSTGRAPHILE, "graphql", key),
                    peer(POSTGRAPHILE),
                )
            )
    verdicts.extend(pipeline_verdicts(report, installed))
    verdicts.extend(sqlite_write_verdicts(report))
    verdicts.extend(mariadb_verdicts(report))
    verdicts.extend(aggregate_verdicts(report))
    verdicts.extend(feed_write_verdicts(report))
    verdicts.extend(delivery_verdicts(report))
    return verdicts


def delivery_verdicts(report: Report) -> list[Verdict]:
    """Issue 17's delivery targets on every database measured."""
    if not report.deliveries:
        return [Verdict("G, delivery: every target", "not measured", "n/a")]
    verdicts = []
    for row in report.deliveries:
        label = DATABASE_LABELS.get(row.database, row.database)
        at = f"at {row.rate:,.0f} events/s"
        verdicts += [
            judge_bound(
                f"G, {label}: delivery ≥ {MIN_DELIVERY_PER_SECOND:,} events/s from one process",
                row.events_per_second,
                MIN_DELIVERY_PER_SECOND,
                "events/s",
                at_least=True,
            ),
            judge_bound(
                f"G, {label}: commit to receiver p50 ≤ {MAX_DELIVERY_P50_MS} ms ({at})",
                row.p50_ms,
                MAX_DELIVERY_P50_MS,
                "ms",
                at_least=False,
            ),
            judge_bound(
                f"G, {label}: commit to receiver p99 ≤ {MAX_DELIVERY_P99_MS:,} ms ({at})",
                row.p99_ms,
                MAX_DELIVERY_P99_MS,
                "ms",
                at_least=False,
            ),
        ]
    return verdicts


def feed_write_verdicts(report: Report) -> list[Verdict]:
    """Issue 17's write overhead: D's batches with the change feed on at least 0.8x with it
    off (alternating rounds against the same server), on every database measured."""
    runs = [
        (label, run)
        for label, run in (
            (DATABASE_LABELS[POSTGRESQL], report.primary),
            (DATABASE_LABELS[MARIADB], report.mariadb),
            (DATABASE_LABELS[SQLITE], report.sqlite),
        )
        if run is not None
    ]
    verdicts = []
    for label, run in runs:
        target = f"G, {label}: D with the change feed on ≥ {MIN_FEED_WRITE_VS_D}x it off"
        result = run.write_feed
        if not isinstance(result, FeedWriteResult):
            failed = isinstance(result, Failure)
            verdicts.append(Verdict(target, "failed" if failed else "not measured", "n/a"))
            continue
        measured = (
            f"{times(result.ratio)} ({result.on.rows_per_second:,.0f} / "
            f"{result.off.rows_per_second:,.0f})"
        )
        passed = result.ratio >= MIN_FEED_WRITE_VS_D
        verdicts.append(Verdict(target, measured, "pass" if passed else "fail"))
    return verdicts


def aggregate_verdicts(report: Report) -> list[Verdict]:
    """Issue 16's target: F over REST and GraphQL at least half the raw rate of the statement
    dexgate compiles for it, on each database and configuration measured."""
    if not report.aggregates:
        return [Verdict("F: every target", "not measured", "n/a")]
    verdicts = []
    for row in report.aggregates:
        label = f"{DATABASE_LABELS.get(row.database, row.database)}, {row.configuration}"
        for api, result in (("rest", row.rest), ("graphql", row.graphql)):
            verdicts.append(
                judge_ratio(
                    f"F, {label}: {API_LABELS[api]} ≥ {MIN_AGGREGATE_VS_RAW}x its SQL (raw)",
                    result,
                    row.raw or None,
                    MIN_AGGREGATE_VS_RAW,
                    "the raw rate of its SQL",
                )
            )
        if row.database == POSTGRESQL:
            verdicts.extend(_against_pg_aggregates(label, row))
    return verdicts


def _against_pg_aggregates(label: str, row: AggregateResult) -> list[Verdict]:
    """F on PostgreSQL against PostGraphile with pg-aggregates: n/a with the reason when the
    peer was not measured."""
    peer = row.peer
    verdicts = []
    for api, result in (("rest", row.rest), ("graphql", row.graphql)):
        target = (
            f"F, {label}: {API_LABELS[api]} ≥ {MIN_AGGREGATE_VS_PG_AGGREGATES:.0f}x "
            "PostGraphile with pg-aggregates"
        )
        if isinstance(peer, LoadResult):
            verdicts.append(
                judge_ratio(
                    target,
                    result,
                    peer.rps,
                    MIN_AGGREGATE_VS_PG_AGGREGATES,
                    "PostGraphile with pg-aggregates",
                )
            )
        else:
            reason = peer.error if isinstance(peer, Failure) else "not measured"
            verdicts.append(Verdict(target, reason, "n/a"))
    return verdicts


def mariadb_verdicts(report: Report) -> list[Verdict]:
    """Issue 15's targets: MariaDB against its raw rate and against dexgate's PostgreSQL
    figures of the same run, D and the CSV import, one statement per request."""
    run = report.mariadb
    if run is None:
        return [Verdict("MariaDB: every target", "not measured", "n/a")]
    raw = report.mariadb_raw_rate("rest A")
    verdicts = [
        judge_ratio(
            f"MariaDB: REST A ≥ {MIN_VS_RAW}x the raw database (its SQL, driver loop)",
            run.http.get("rest A"),
            raw.tps if raw else None,
            MIN_VS_RAW,
            "the raw MariaDB rate",
        )
    ]
    for configuration in CONFIGURATIONS:
        for api in ("rest", "graphql"):
            for key in ("A", "B", "C"):
                name = f"{configuration.prefix}{api} {key}"
                postgresql = report.http(name)
                verdicts.append(
                    judge_ratio(
                        f"MariaDB, {configuration.label}: {API_LABELS[api]} {key} ≥ "
                        f"{MIN_MARIADB_VS_POSTGRESQL}x dexgate on PostgreSQL",
                        run.http.get(name),
                        postgresql.rps if isinstance(postgresql, LoadResult) else None,
                        MIN_MARIADB_VS_POSTGRESQL,
                        "dexgate on PostgreSQL",
                    )
                )
    write = run.write
    verdicts.append(
        judge_bound(
            f"MariaDB: D ≥ {MIN_ROWS_PER_SECOND:,} rows/s",
            write.rows_per_second if isinstance(write, WriteResult) else None,
            MIN_ROWS_PER_SECOND,
            "rows/s",
            at_least=True,
        )
    )
    imported = run.csv_import
    verdicts.append(
        judge_bound(
            f"MariaDB: CSV import ≥ {MIN_ROWS_PER_SECOND:,} rows/s",
            imported.rows_per_second if isinstance(imported, ImportResult) else None,
            MIN_ROWS_PER_SECOND,
            "rows/s",
            at_least=True,
        )
    )
    verdicts.append(judge_statements(report, "mariadb", DEXGATE.label, DEXGATE.prefix))
    verdicts.append(judge_statements(report, "mariadb", SPRYKER.label, SPRYKER.prefix))
    return verdicts


def pipeline_verdicts(report: Report, installed: set[str]) -> list[Verdict]:
    """Issue 14's targets: both configurations against PostGraphile, SQLite against datasette,
    one statement per request."""

    def missing(system: str, labels: dict[str, str]) -> str:
        return labels[system] + ("" if system in installed else " (not installed)")

    verdicts: list[Verdict] = []
    for configuration in CONFIGURATIONS:
        for api in ("rest", "graphql"):
            for key, minimum in MIN_VS_POSTGRAPHILE_PIPELINE.items():
                verdicts.append(
                    judge_ratio(
                        f"{configuration.label}: {API_LABELS[api]} {key} ≥ {minimum:.1f}x "
                        f"{LABELS[POSTGRAPHILE]}",
                        report.http(f"{configuration.prefix}{api} {key}"),
                        _rps(report.peer(POSTGRAPHILE, "graphql", key)),
                        minimum,
                        missing(POSTGRAPHILE, LABELS),
                    )
                )
    for api in ("rest", "graphql"):
        for key in ("A", "B", "C"):
            verdicts.append(
                judge_p99(
                    f"{SPRYKER.label}: {API_LABELS[api]} {key}: p99 ≤ {LABELS[POSTGRAPHILE]}'s",
                    report.http(f"{SPRYKER.prefix}{api} {key}"),
                    report.peer(POSTGRAPHILE, "graphql", key),
                    missing(POSTGRAPHILE, LABELS),
                )
            )
    for (api, key), system in SQLITE_PEERS.items():
        verdicts.append(
            judge_ratio(
                f"SQLite: {API_LABELS[api]} {key} ≥ {MIN_VS_DATASETTE:.1f}x "
                f"{SQLITE_LABELS[system]}",
                report.sqlite.http.get(f"{api} {key}") if report.sqlite else None,
                _rps(report.peer(system, api, key)),
                MIN_VS_DATASETTE,
                missing(system, SQLITE_LABELS),
            )
        )
    verdicts.append(judge_statements(report, "postgresql", DEXGATE.label, DEXGATE.prefix))
    verdicts.append(judge_statements(report, "postgresql", SPRYKER.label, SPRYKER.prefix))
    verdicts.append(judge_statements(report, "sqlite", DEXGATE.label, DEXGATE.prefix))
    return verdicts


def sqlite_write_verdicts(report: Report) -> list[Verdict]:
    """Issue 18's targets: D on SQLite, and the mixed load against the read-only one."""
    run = report.sqlite
    write = run.write if run else None
    return [
        judge_bound(
            f"SQLite: D ≥ {MIN_ROWS_PER_SECOND:,} rows/s",
            write.rows_per_second if isinstance(write, WriteResult) else None,
            MIN_ROWS_PER_SECOND,
            "rows/s",
            at_least=True,
        ),
        judge_mixed(
            f"SQLite: 80 % reads + 20 % updates ≥ {MIN_MIXED_VS_READ_ONLY}x the read-only rate",
            run.mixed if run else None,
            run.read_only if run else None,
            MIN_MIXED_VS_READ_ONLY,
        ),
    ]


def judge_mixed(
    target: str,
    mixed: MixedResult | Failure | None,
    read_only: MixedResult | Failure | None,
    minimum: float,
) -> Verdict:
    """``mixed.rps / read_only.rps`` against ``minimum``; errors under the mixed load fail,
    a read-only rate with errors (or none) cannot be judged against."""
    missing = _missing_mixed(mixed, "the mixed load") or _missing_mixed(
        read_only, "the read-only load"
    )
    if missing is not None or not isinstance(mixed, MixedResult):
        return Verdict(target, missing or "not measured", "n/a")
    if not isinstance(read_only, MixedResult):
        return Verdict(target, "the read-only load: not measured", "n/a")
    if mixed.errors:
        kinds = ", ".join(f"{kind} x{count}" for kind, count in mixed.errors_by_kind.items())
        return Verdict(target, f"{mixed.errors} errors under the mixed load ({kinds})", "fail")
    if read_only.errors:
        measured = f"invalid: {read_only.errors} errors under the read-only load"
        return Verdict(target, measured, "n/a")
    if read_only.rps <= 0 or mixed.requests == 0:
        return Verdict(target, "invalid: no request completed", "n/a")
    value = ratio(mixed.rps, read_only.rps)
    measured = f"{times(value)} ({mixed.rps:,.0f} / {read_only.rps:,.0f})"
    return Verdict(target, measured, "pass" if value >= minimum else "fail")


def _missing_mixed(result: MixedResult | Failure | None, name: str) -> str | None:
    if result is None:
        return f"{name}: not measured"
    if isinstance(result, Failure):
        return f"{name}: failed (see notes)"
    return None


def judge_statements(report: Report, database: str, label: str, prefix: str) -> Verdict:
    """At most one statement per request in each of A, B, C over REST and GraphQL."""
    where = {"postgresql": "PostgreSQL", "mariadb": "MariaDB"}.get(database, "SQLite")
    target = f"{where}, {label}: ≤ {MAX_STATEMENTS} statement per request (A, B, C)"
    counted = [
        (f"{API_LABELS[api]} {key}", report.statement_count(database, f"{prefix}{api} {key}"))
        for api in ("rest", "graphql")
        for key in ("A", "B", "C")
    ]
    known = [(name, count) for name, count in counted if count is not None]
    if not known:
        return Verdict(target, "not captured", "n/a")
    measured = ", ".join(f"{name} {count}" for name, count in known)
    passed = all(count <= MAX_STATEMENTS for _name, count in known)
    return Verdict(target, measured, "pass" if passed else "fail")


def _rps(result: LoadResult | None) -> float | None:
    return result.rps if result else None


def _missing(ours: LoadResult | Failure | None) -> str | None:
    """Why dexgate's figure cannot be judged, or None when it can."""
    if ours is None:
        return "not measured"
    if isinstance(ours, Failure):
        return "failed (see notes)"
    if ours.requests == 0:
        return "invalid: no request completed"
    if ours.non2xx or ours.socket_errors:
        return f"invalid: {ours.non2xx} non-2xx answers, {ours.socket_errors} socket errors"
    return None
