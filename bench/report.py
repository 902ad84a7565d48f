"""Writing a run down: the JSON document and the Markdown tables (the chart is ``chart.py``).

The Markdown puts dexgate next to the raw database and the peers per scenario (both
configurations of the data on PostgreSQL), with the ratios that the targets are judged on, then
dexgate on SQLite next to datasette, the statements per request, the write and schema figures,
the raw database rates, the targets with pass/fail, and the notes (what failed or was skipped,
and why).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from statistics import median

from bench.configurations import DEXGATE
from bench.peers import DIRECTUS, LABELS, POSTGRAPHILE
from bench.results import (
    DATABASE_LABELS,
    AggregateResult,
    ConfigChangeResult,
    DeliveryResult,
    DexgateRun,
    Failure,
    FeedWriteResult,
    LoadResult,
    MixedResult,
    PgbenchResult,
    Report,
    SchemaBuildResult,
    WriteResult,
)
from bench.scenarios import ALL_SCENARIOS, SCENARIOS, Scenario
from bench.sqlite_peers import LABELS as SQLITE_LABELS
from bench.targets import API_LABELS, SQLITE_PEERS, Verdict, ratio, times

NOT_AVAILABLE = "-"
STATUS_MARKS = {"pass": "**pass**", "fail": "**FAIL**", "n/a": "n/a"}


def to_json(report: Report, verdicts: Sequence[Verdict]) -> str:
    document = dataclasses.asdict(report)
    document["schema_build"] = _with_total(report.schema_build, document["schema_build"])
    document["targets"] = [dataclasses.asdict(v) for v in verdicts]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(report: Report, verdicts: Sequence[Verdict], directory: Path, stem: str) -> list[Path]:
    """Write ``stem.json`` and ``stem.md`` into ``directory``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / f"{stem}.json", directory / f"{stem}.md"
    json_path.write_text(to_json(report, verdicts))
    md_path.write_text(markdown(report, verdicts))
    return [json_path, md_path]


def markdown(report: Report, verdicts: Sequence[Verdict]) -> str:
    sections = [
        _header(report),
        _http_table(report),
        _mariadb_table(report),
        _mariadb_writes_table(report),
        _sqlite_table(report),
        _sqlite_writes_table(report),
        _statements_table(report),
        _other_table(report),
        aggregates_table(report.aggregates),
        delivery_table(report.deliveries),
        _raw_table(report),
        _targets_table(verdicts, report),
    ]
    if report.notes:
        sections.append("## Notes\n\n" + "\n".join(f"- {n}" for n in report.notes))
    return "\n\n".join(sections) + "\n"


def load_cell(result: LoadResult | Failure | None) -> str:
    """``1,234 (p50 4.1 / p99 12.0 ms)``, ``failed`` or a dash."""
    if result is None:
        return NOT_AVAILABLE
    if isinstance(result, Failure):
        return "failed"
    if result.requests == 0:
        return "no request completed"
    cell = f"{result.rps:,.0f} ({result.p50_ms:.1f} / {result.p99_ms:.1f} ms)"
    if result.cpu_us is not None:
        cell += f" {result.cpu_us:,.0f} µs CPU"
    if result.non2xx or result.socket_errors:
        cell += f" ⚠ {result.non2xx} non-2xx, {result.socket_errors} socket errors"
    return cell


def cpu_ratio_cell(ours: LoadResult | Failure | None, theirs: LoadResult | Failure | None) -> str:
    """Their CPU time per request over ours (above 1: ours costs less), or a dash."""
    if not isinstance(ours, LoadResult) or not isinstance(theirs, LoadResult):
        return NOT_AVAILABLE
    if not ours.cpu_us or theirs.cpu_us is None:
        return NOT_AVAILABLE
    return times(theirs.cpu_us / ours.cpu_us)


def ratio_cell(ours: LoadResult | Failure | None, theirs: float | None) -> str:
    if not isinstance(ours, LoadResult) or theirs is None or theirs <= 0:
        return NOT_AVAILABLE
    return times(ratio(ours.rps, theirs))


def _header(report: Report) -> str:
    machine = report.machine
    load = f"load {machine.load_before[0]:.2f} before"
    if machine.load_after is not None:
        load += f", {machine.load_after[0]:.2f} after"
    options = report.options
    peers = "; ".join(f"{LABELS.get(p.system, p.system)}: {p.detail}" for p in report.peers)
    return "\n".join(
        [
            f"# dexgate benchmark, {report.started}",
            "",
            f"- machine: {machine.cpu}, {machine.cores} cores ({load}); {machine.platform}",
            f"- software: Python {machine.python}, PostgreSQL {machine.postgres}, "
            f"MariaDB {machine.mariadb or 'not measured'}, "
            f"SQLite {machine.sqlite or 'unknown'}, {machine.wrk}; dexgate at {machine.commit}",
            f"- load: wrk {options.get('threads')} threads x {options.get('connections')} "
            f"connections, {options.get('duration')} s after {options.get('warmup')} s of "
            f"warm-up{' (--quick)' if options.get('quick') else ''}; pgbench -M prepared, "
            "the same",
            f"- peers: {peers or 'not looked for (--skip peers)'}",
        ]
    )


def _http_table(report: Report) -> str:
    runs = report.dexgate
    primary = report.primary
    header = ["scenario"]
    header += [_dexgate_label(r) for r in runs]
    header += [
        "dexgate's SQL on PostgreSQL",
        LABELS[POSTGRAPHILE],
        LABELS[DIRECTUS],
        f"÷ {LABELS[POSTGRAPHILE]}",
        f"÷ {LABELS[DIRECTUS]}",
        "÷ its SQL",
    ]
    rows = []
    for scenario in ALL_SCENARIOS:
        ours = report.http(scenario.name)
        if ours is None and scenario.configuration is not DEXGATE:
            continue
        sql = report.raw_rate("dexgate", scenario.name)
        postgraphile = report.peer(POSTGRAPHILE, "graphql", scenario.key)
        directus = report.peer(DIRECTUS, scenario.api, scenario.key)
        row = [scenario_label(scenario)]
        row += [load_cell(report.http(scenario.name, run)) for run in runs]
        row += [
            f"{sql.tps:,.0f}" if sql else NOT_AVAILABLE,
            load_cell(postgraphile),
            load_cell(directus),
            ratio_cell(ours, postgraphile.rps if postgraphile else None),
            ratio_cell(ours, directus.rps if directus else None),
            ratio_cell(ours, sql.tps if sql else None),
        ]
        rows.append(row)
    at = f" at {workers(primary.workers)}" if primary else ""
    title = (
        "## Requests/s (p50 / p99 latency)\n\n"
        f"Ratios: dexgate's requests/s{at} over the other's. PostGraphile serves GraphQL only "
        'and is the reference for both APIs; Directus is compared API for API. "its SQL" is '
        "the statements dexgate sent for the request, replayed by pgbench. Spryker-style: the "
        "same data registered as a Spryker installer file declares it (four types, camelCase "
        "visible names), on copies of the tables."
    )
    return title + "\n\n" + _table(header, rows)


def scenario_label(scenario: Scenario) -> str:
    """``REST A: 100 products, flat``, ``Spryker-style REST A: ...``."""
    configuration = scenario.configuration
    prefix = "" if configuration is DEXGATE else f"{configuration.label} "
    return f"{prefix}{API_LABELS[scenario.api]} {scenario.key}: {scenario.title}"


def _mariadb_table(report: Report) -> str:
    run = report.mariadb
    if run is None:
        return "## MariaDB\n\nNot measured."
    header = [
        "scenario",
        "dexgate on MariaDB, 1 worker",
        "dexgate on PostgreSQL, 1 worker",
        "÷ PostgreSQL",
        "÷ PostgreSQL (CPU per request)",
        "its SQL on MariaDB (driver loop)",
        "÷ its SQL",
    ]
    rows = []
    for scenario in ALL_SCENARIOS:
        ours = run.http.get(scenario.name)
        if ours is None:
            continue
        postgresql = report.http(scenario.name)
        sql = report.mariadb_raw_rate(scenario.name)
        rows.append(
            [
                scenario_label(scenario),
                load_cell(ours),
                load_cell(postgresql),
                ratio_cell(ours, postgresql.rps if isinstance(postgresql, LoadResult) else None),
                cpu_ratio_cell(ours, postgresql),
                f"{sql.tps:,.0f}" if sql else NOT_AVAILABLE,
                ratio_cell(ours, sql.tps if sql else None),
            ]
        )
    title = (
        "## MariaDB: the same data, the same scenarios\n\n"
        "Requests/s (p50 / p99 latency) and the server's CPU time per request (its processes' "
        "user + system time over the measured run, from /proc, divided by the requests: the "
        "figure that moves least with the machine's other load). dexgate on PostgreSQL is the "
        "same run's (1 worker); \"÷ PostgreSQL (CPU per request)\" is PostgreSQL's CPU per "
        'request over MariaDB\'s. "its SQL" is the statements dexgate sent on MariaDB for the '
        "request, sent again by a driver loop as dexgate's read pool sends them (asyncmy, "
        "prepared) at the same concurrency (requests/s)."
    )
    return title + "\n\n" + _table(header, rows)


def delivery_table(results: Sequence[DeliveryResult]) -> str:
    """Scenario G, delivery: webhook throughput from one process, and latency at a steady rate."""
    if not results:
        return "## G: webhook delivery\n\nNot measured."
    header = ["database", "backlog delivered", "events/s", "written/s", "p50 ms", "p99 ms"]
    rows = [
        [
            DATABASE_LABELS.get(r.database, r.database),
            f"{r.events:,}",
            f"{r.events_per_second:,.0f}",
            f"{r.rate:,.0f}",
            f"{r.p50_ms:,.0f}",
            f"{r.p99_ms:,.0f}",
        ]
        for r in results
    ]
    title = (
        "## G: webhook delivery\n\n"
        "One `dexgate serve` process delivering a backlog of changes to a local receiver "
        "(events/s, first arrival to last), then the latency from commit to arrival while a "
        "writer commits changes at a steady rate (bench/changefeed_delivery.py)."
    )
    return title + "\n\n" + _table(header, rows)


def aggregates_table(results: Sequence[AggregateResult]) -> str:
    """Scenario F: grouped totals next to the raw rate of the statement dexgate compiles."""
    if not results:
        return "## F: grouped totals\n\nNot measured."
    header = [
        "database, configuration",
        "groups",
        "its SQL (raw)",
        "REST",
        "÷ its SQL",
        "GraphQL",
        "÷ its SQL",
        "PostGraphile + pg-aggregates",
        "÷ it (REST / GraphQL)",
    ]
    rows = [
        [
            f"{DATABASE_LABELS.get(row.database, row.database)}, {row.configuration}",
            str(row.groups),
            f"{row.raw:,.0f}" if row.raw else NOT_AVAILABLE,
            load_cell(row.rest),
            ratio_cell(row.rest, row.raw or None),
            load_cell(row.graphql),
            ratio_cell(row.graphql, row.raw or None),
            load_cell(row.peer),
            _peer_ratios(row),
        ]
        for row in results
    ]
    title = (
        "## F: grouped totals (sum of stock quantity and products, per category and month)\n\n"
        "Requests/s (p50 / p99 latency) and the server's CPU time per request, at one worker. "
        '"its SQL" is the statement dexgate compiles for the REST request, sent again at the '
        "same concurrency: pgbench on PostgreSQL, sqlite3 threads on SQLite, a driver loop "
        "on MariaDB (statements/s). On PostgreSQL, PostGraphile 5 with @graphile/pg-aggregates "
        "asked the same question (a view joining the stocks to their products, grouped by "
        "the category and the creation time truncated to the month), same wrk settings."
    )
    return title + "\n\n" + _table(header, rows)


def _peer_ratios(row: AggregateResult) -> str:
    """dexgate's REST and GraphQL rates over the peer's: ``2.10x / 1.95x``, or a dash."""
    peer = row.peer
    if not isinstance(peer, LoadResult) or peer.rps <= 0:
        return NOT_AVAILABLE
    return f"{ratio_cell(row.rest, peer.rps)} / {ratio_cell(row.graphql, peer.rps)}"


def _mariadb_writes_table(report: Report) -> str:
    run = report.mariadb
    if run is None:
        return ""
    primary = report.primary
    rows = [
        [
            "D: POST 1,000-row batches",
            write_cell(run),
            write_cell(primary) if primary else NOT_AVAILABLE,
        ],
        [
            "G: D with the change feed on",
            feed_write_cell(run),
            feed_write_cell(primary) if primary else NOT_AVAILABLE,
        ],
        ["CSV import (`dexgate import`, batches of 1,000)", import_cell(run), NOT_AVAILABLE],
        [
            "E: configuration change served (REST / GraphQL)",
            _change_cell(run),
            _change_cell(primary) if primary else NOT_AVAILABLE,
        ],
    ]
    header = ["measurement", "dexgate on MariaDB, 1 worker", "dexgate on PostgreSQL, 1 worker"]
    return "## MariaDB: writes and configuration\n\n" + _table(header, rows)


def import_cell(run: DexgateRun) -> str:
    """``24,000 rows/s (100,000 rows; the command 21,000 rows/s in 4.8 s)``, or a dash."""
    result = run.csv_import
    if result is None:
        return NOT_AVAILABLE
    if isinstance(result, Failure):
        return "failed"
    return (
        f"{result.rows_per_second:,.0f} rows/s ({result.rows:,} rows; the whole command "
        f"{result.command_rows_per_second:,.0f} rows/s in {result.command_seconds:.1f} s)"
    )


def _sqlite_table(report: Report) -> str:
    run = report.sqlite
    if run is None:
        return "## SQLite\n\nNot measured."
    header = ["scenario", "dexgate on SQLite, 1 worker", "peer", "the peer", "÷ the peer"]
    rows = []
    for scenario in SCENARIOS:
        ours = run.http.get(scenario.name)
        system = SQLITE_PEERS.get((scenario.api, scenario.key))
        theirs = report.peer(system, scenario.api, scenario.key) if system else None
        rows.append(
            [
                scenario_label(scenario),
                load_cell(ours),
                SQLITE_LABELS[system] if system else NOT_AVAILABLE,
                load_cell(theirs),
                ratio_cell(ours, theirs.rps if theirs else None),
            ]
        )
    title = (
        "## SQLite: dexgate and datasette on the same file\n\n"
        "Requests/s (p50 / p99 latency). datasette 0.65 (JSON API) and datasette-graphql serve "
        "an immutable copy of the SQLite file dexgate serves; datasette-graphql is asked for "
        "every column but `created_at` (it types that TIMESTAMP column as a Float and fails on "
        "its text)."
    )
    return title + "\n\n" + _table(header, rows)


def _sqlite_writes_table(report: Report) -> str:
    """D on SQLite, and reads by id alone and with 20 % single-row updates (issue 18)."""
    run = report.sqlite
    if run is None or (run.write is None and run.read_only is None and run.mixed is None):
        return "## SQLite: writes, and reads while others write\n\nNot measured."
    read_only, mixed = run.read_only, run.mixed
    proportion = NOT_AVAILABLE
    if isinstance(read_only, MixedResult) and isinstance(mixed, MixedResult) and read_only.rps:
        proportion = times(ratio(mixed.rps, read_only.rps))
    clients = next((r.clients for r in (read_only, mixed) if isinstance(r, MixedResult)), None)
    rows = [
        ["D on SQLite: POST 1,000-row batches", write_cell(run), NOT_AVAILABLE],
        ["G on SQLite: D with the change feed on", feed_write_cell(run), NOT_AVAILABLE],
        ["reads by id (REST and GraphQL)", mixed_cell(read_only), NOT_AVAILABLE],
        ["80 % those reads, 20 % single-row updates", mixed_cell(mixed), proportion],
    ]
    title = (
        "## SQLite: writes, and reads while others write\n\n"
        "dexgate on the SQLite file, 1 worker. Reads and updates: "
        f"{clients if clients is not None else 'the'} clients of the harness's own (httpx, one "
        "connection each; not wrk, so not comparable with the rates above), one request after "
        "the other, a random product of the first 500 each time: requests/s (p50 / p99 "
        "latency), and the updates' rate and p99."
    )
    header = ["measurement", "dexgate on SQLite, 1 worker", "÷ reads alone"]
    return title + "\n\n" + _table(header, rows)


def mixed_cell(result: MixedResult | Failure | None) -> str:
    """``1,234 (p50 4.1 / p99 12.0 ms); updates 250/s, p99 30.0 ms``, ``failed`` or a dash."""
    if result is None:
        return NOT_AVAILABLE
    if isinstance(result, Failure):
        return "failed"
    if result.requests == 0:
        return "no request completed"
    cell = f"{result.rps:,.0f} ({result.p50_ms:.1f} / {result.p99_ms:.1f} ms)"
    if result.write_share > 0:
        cell += f"; updates {result.writes_per_second:,.0f}/s, p99 {result.write_p99_ms:.1f} ms"
    if result.errors:
        cell += f" ⚠ {result.errors} errors"
    return cell


def _statements_table(report: Report) -> str:
    if not report.statements:
        return "## Statements per request\n\nNot captured."
    header = ["scenario", "PostgreSQL", "MariaDB", "SQLite"]
    rows = []
    for scenario in ALL_SCENARIOS:
        counts = [
            report.statement_count(db, scenario.name) for db in ("postgresql", "mariadb", "sqlite")
        ]
        if all(count is None for count in counts):
            continue
        rows.append(
            [scenario_label(scenario)]
            + [NOT_AVAILABLE if count is None else str(count) for count in counts]
        )
    title = (
        "## Statements per request\n\n"
        "Statements on the dataset's tables that one request sent (the second of two, captured "
        "from SQLAlchemy's statement log)."
    )
    return title + "\n\n" + _table(header, rows)


def _other_table(report: Report) -> str:
    runs = report.dexgate
    header = [
        "scenario",
        *[_dexgate_label(r) for r in runs],
    ]
    rows = [
        ["D: POST 1,000-row batches", *[write_cell(r) for r in runs]],
        ["G: D with the change feed on", *[feed_write_cell(r) for r in runs]],
        ["E: configuration change served (REST / GraphQL)", *[_change_cell(r) for r in runs]],
    ]
    build = report.schema_build
    build_cell = _build_cell(build)
    rows.append(["E: schema build, 500 entities x 20 fields", *[build_cell] * len(runs)])
    return "## Writes and configuration\n\n" + _table(header, rows)


def _raw_table(report: Report) -> str:
    rows = []
    for raw in report.mariadb_raw:
        if isinstance(raw.result, PgbenchResult):
            figures = [f"{raw.result.tps:,.0f}", f"{raw.result.mean_ms:.2f}"]
        else:
            figures = ["failed", NOT_AVAILABLE]
        rows.append(
            [
                f"dexgate's {raw.name} on MariaDB (driver loop)",
                raw.scenario,
                str(raw.statements),
                *figures,
            ]
        )
    for raw in report.raw:
        what = f"peer bed's `{raw.name}`" if raw.source == "reference" else f"dexgate's {raw.name}"
        if isinstance(raw.result, PgbenchResult):
            figures = [f"{raw.result.tps:,.0f}", f"{raw.result.mean_ms:.2f}"]
        else:
            figures = ["failed", NOT_AVAILABLE]
        rows.append([what, raw.scenario, str(raw.statements), *figures])
    if not rows:
        return "## Raw database\n\nNot measured."
    header = ["SQL", "scenario", "statements", "transactions/s", "mean ms"]
    title = (
        "## Raw database (pgbench on PostgreSQL, a driver loop on MariaDB; one transaction per "
        "request)"
    )
    return title + "\n\n" + _table(header, rows)


def _targets_table(verdicts: Sequence[Verdict], report: Report) -> str:
    primary = report.primary
    at = f"dexgate at {workers(primary.workers)}" if primary else ""
    rows = [[v.target, v.measured, STATUS_MARKS[v.status]] for v in verdicts]
    counts = {s: sum(v.status == s for v in verdicts) for s in STATUS_MARKS}
    summary = f"{counts['pass']} pass, {counts['fail']} fail, {counts['n/a']} n/a"
    title = f"## Targets ({at}; {summary})" if at else f"## Targets ({summary})"
    return title + "\n\n" + _table(["target", "measured", "verdict"], rows, numbers=False)


def workers(count: int) -> str:
    """``1 worker``, ``2 workers``."""
    return f"{count} worker{'s' if count != 1 else ''}"


def _dexgate_label(run: DexgateRun) -> str:
    return f"dexgate, {workers(run.workers)}"


def write_cell(run: DexgateRun) -> str:
    write = run.write
    if write is None:
        return NOT_AVAILABLE
    if isinstance(write, Failure):
        return "failed"
    assert isinstance(write, WriteResult)
    return (
        f"{write.rows_per_second:,.0f} rows/s ({write.batches} x {write.batch_size:,}, "
        f"{write.ms_per_request:,.0f} ms per request)"
    )


def feed_write_cell(run: DexgateRun) -> str:
    """G's write overhead: rows/s with the change feed on and off, alternating rounds."""
    result = run.write_feed
    if result is None:
        return NOT_AVAILABLE
    if isinstance(result, Failure):
        return "failed"
    assert isinstance(result, FeedWriteResult)
    return (
        f"{result.on.rows_per_second:,.0f} rows/s on, {result.off.rows_per_second:,.0f} off: "
        f"{times(result.ratio)} ({result.rounds} rounds of {result.on.batches // result.rounds} "
        "batches each)"
    )


def _change_cell(run: DexgateRun) -> str:
    change = run.config_change
    if change is None:
        return NOT_AVAILABLE
    if isinstance(change, Failure):
        return "failed"
    assert isinstance(change, ConfigChangeResult)
    return (
        f"median {median(change.rest_ms):,.0f} / {median(change.graphql_ms):,.0f} ms, "
        f"worst {max(change.rest_ms):,.0f} / {max(change.graphql_ms):,.0f} ms "
        f"({len(change.rest_ms)} changes; the CLI itself took {median(change.cli_ms):,.0f} ms)"
    )


def _build_cell(build: SchemaBuildResult | Failure | None) -> str:
    if build is None:
        return NOT_AVAILABLE
    if isinstance(build, Failure):
        return "failed"
    return (
        f"{build.total_ms:,.0f} ms (catalog {build.catalog_ms:,.0f} + schema "
        f"{build.schema_ms:,.0f}; median of {build.repeats}, in memory)"
    )


def _with_total(build: SchemaBuildResult | Failure | None, document: object) -> object:
    if isinstance(build, SchemaBuildResult) and isinstance(document, dict):
        return {**document, "total_ms": build.total_ms}
    return document


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numbers: bool = True) -> str:
    """A Markdown table; the columns after the first are right-aligned when ``numbers``."""
    aligns = ["---"] + ["--:" if numbers else "---"] * (len(header) - 1)
    lines = [_line(header), _line(aligns)] + [_line(row) for row in rows]
    return "\n".join(lines)


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
