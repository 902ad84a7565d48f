"""``python -m bench``: the whole run, in order, and what it writes.

1. build the database (the peer bed's data and its Spryker-style copy, both configurations'
   entities, a role and an API key), and a SQLite file with the same rows;
2. capture the SQL dexgate sends per scenario (its statement count per request), and replay it
   and the peer bed's reference SQL with pgbench (the raw database rate), while nothing else
   runs;
3. for each worker count: serve, then A, B, C over REST and GraphQL with wrk for both
   configurations, D (writes) and the configuration change of E;
3b. MariaDB: the same rows in a database of its own there, both configurations registered;
   capture dexgate's statements, replay them with a driver loop (the raw rate), serve (one
   worker), A, B, C for both configurations, D, E's configuration change, a CSV import;
4. SQLite: capture dexgate's statements, serve the SQLite file, A, B, C over REST and GraphQL,
   reads by id alone and with 20 % single-row updates, D (writes); then datasette and
   datasette-graphql on a copy of the same file, when installed;
5. E's schema build, in memory; 6. the peers, when their bed is installed;
7. drop the database, judge the targets, write JSON, Markdown and PNG into ``bench/results/``
   (a time-stamped set and ``latest.*``) and print the Markdown.

The exit status is 1 when a dexgate measurement failed (the report says which and why), not
when a target is missed.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from bench import (
    aggregates,
    changefeed_capture,
    changefeed_delivery,
    chart,
    config_change,
    cpu,
    csv_import,
    dataset,
    mariadb_raw,
    peers,
    raw,
    replay,
    report,
    scenarios,
    sql_capture,
    sqlite_mixed,
    sqlite_peers,
    write,
)
from bench.configurations import DEXGATE
from bench.mariadb import MariaDB
from bench.options import ROOT, Options, parse
from bench.postgres import Postgres
from bench.process import BenchError, require
from bench.results import (
    DATABASE_LABELS,
    MARIADB,
    POSTGRESQL,
    SQLITE,
    DexgateRun,
    Failure,
    LoadResult,
    Machine,
    MixedResult,
    PgbenchResult,
    RawRun,
    Report,
    SchemaBuildResult,
    StatementCount,
)
from bench.server import (
    free_port,
    last_error,
    running,
    running_server,
    serve_command,
    uvicorn_command,
)
from bench.targets import evaluate

_STARTED = time.monotonic()


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        outcome = execute(options)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    verdicts = evaluate(outcome)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    written = report.write(outcome, verdicts, options.output, f"bench-{stamp}")
    png = chart.draw(outcome, options.output / f"bench-{stamp}.png")
    if png is None:
        print("bench: no chart: matplotlib is missing (pip install -e '.[bench]')", file=sys.stderr)
    else:
        written.append(png)
    for path in written:
        shutil.copyfile(path, options.output / f"latest{path.suffix}")
    print(report.markdown(outcome, verdicts))
    print(f"bench: wrote {', '.join(str(p) for p in written)} (and latest.*)", file=sys.stderr)
    return 1 if _failed(outcome) else 0


def execute(options: Options) -> Report:
    """Run every part the options ask for; the Report (figures, failures in notes)."""
    postgres = Postgres.from_url(options.postgres)
    if any(options.runs(part) for part in ("rest", "graphql", "aggregates")):
        require("wrk", "apt-get install wrk")
    outcome = Report(started=_now(), machine=_machine(postgres), options=options.summary())
    with tempfile.TemporaryDirectory(prefix="dexgate-bench-") as directory:
        work = Path(directory)
        try:
            progress(f"building {options.database} (the peer bed's dataset) and registering it")
            built = dataset.build(postgres, options.database, work)
            sqlite = _build_sqlite(options, postgres, work, outcome)
            captured = _capture(options, built, work, outcome, POSTGRESQL, pg_scenarios(options))
            if options.runs("raw"):
                _raw(options, postgres, captured, work, outcome)
            for workers in options.workers:
                outcome.dexgate.append(_dexgate(options, postgres, built, workers, work, outcome))
            if options.runs("mariadb"):
                _mariadb(options, postgres, work, outcome)
            if sqlite is not None:
                _sqlite(options, sqlite, work, outcome)
        finally:
            if not options.keep_database:
                postgres.drop_database(options.database)
        if options.runs("aggregates"):
            _aggregates(options, postgres, work, outcome)
        if options.runs("changefeed"):
            _delivery(options, postgres, work, outcome)
        if options.runs("schema"):
            progress("E: schema build, 500 entities x 20 fields, in memory")
            outcome.schema_build = _schema_build(options)
        if options.runs("peers"):
            _peers(options, work, outcome)
    outcome.finished = _now()
    outcome.machine = _with_load_after(outcome.machine)
    return outcome


def progress(message: str) -> None:
    print(f"bench [{time.monotonic() - _STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)


def pg_scenarios(options: Options) -> list[scenarios.Scenario]:
    """The scenarios measured on PostgreSQL: both configurations', unless ``spryker`` is
    skipped, over the APIs not skipped."""
    apis = {api for api in ("rest", "graphql") if options.runs(api)}
    return [
        s
        for s in scenarios.selected(apis, scenarios.ALL_SCENARIOS)
        if s.configuration is DEXGATE or options.runs("spryker")
    ]


def sqlite_scenarios(options: Options) -> list[scenarios.Scenario]:
    """The scenarios measured on SQLite: entities.json's, over the APIs not skipped."""
    return scenarios.selected({api for api in ("rest", "graphql") if options.runs(api)})


def _build_sqlite(
    options: Options, postgres: Postgres, work: Path, outcome: Report
) -> dataset.SqliteDataset | None:
    if not options.runs("sqlite"):
        return None
    progress("SQLite: copying the rows into a SQLite file and registering it")
    try:
        return dataset.build_sqlite(postgres, options.database, work)
    except BenchError as exc:
        outcome.notes.append(f"dexgate, SQLite: the SQLite copy could not be built: {exc}")
        return None


def _raw(
    options: Options,
    postgres: Postgres,
    captured: dict[str, list[sql_capture.Captured]],
    work: Path,
    outcome: Report,
) -> None:
    if shutil.which("pgbench") is None:
        outcome.notes.append("raw database rate not measured: pgbench is not installed")
        return
    for reference in raw.REFERENCES:
        if options.quick and not reference.quick:
            continue
        progress(f"raw database: pgbench, the peer bed's {reference.name}")
        result = raw.pgbench(postgres, options.database, reference.path, options.load)
        outcome.raw.append(
            RawRun(reference.name, "reference", reference.scenario, reference.statements, result)
        )
    scripts: dict[replay.Script, PgbenchResult | Failure] = {}
    for name, statements in captured.items():
        if not statements:
            outcome.notes.append(f"no SQL on the dataset's tables was captured for {name}")
            continue
        try:
            script = replay.script(statements)
        except replay.NotReplayableError as exc:
            failed = Failure(f"not replayed: {exc}")
            outcome.raw.append(RawRun(name, "dexgate", name, len(statements), failed))
            continue
        if script not in scripts:
            progress(f"raw database: pgbench, dexgate's SQL for {name}")
            path = work / f"dexgate-{name.replace(' ', '-')}.sql"
            path.write_text(script.text)
            scripts[script] = raw.pgbench(
                postgres, options.database, path, options.load, script.variables
            )
        outcome.raw.append(RawRun(name, "dexgate", name, len(statements), scripts[script]))
    for run in outcome.raw:
        if isinstance(run.result, Failure):
            outcome.notes.append(f"pgbench {run.name}: {run.result.error}")


def _capture(
    options: Options,
    built: dataset.Dataset,
    work: Path,
    outcome: Report,
    database: str,
    selected: Sequence[scenarios.Scenario],
) -> dict[str, list[sql_capture.Captured]]:
    """The statements dexgate sends per scenario on ``database`` (none when capturing failed:
    see the notes); their count per request goes into the report."""
    if not selected:
        outcome.notes.append(
            f"dexgate's SQL on {DATABASE_LABELS[database]} was not captured: it is captured from"
            " the rest and graphql scenarios, both skipped"
        )
        return {}
    progress(f"capturing the SQL dexgate sends on {DATABASE_LABELS[database]} for each scenario")
    capture_file = work / f"statements-{database}.jsonl"
    log_config = work / f"log-config-{database}.json"
    log_config.write_text(json.dumps(sql_capture.log_config(capture_file, database)))
    port = free_port()
    # The logging configuration names bench.sql_capture's handler: importable from the root.
    environ = {**built.environ, "PYTHONPATH": str(ROOT)}
    command = uvicorn_command(port, log_config)
    log = work / f"capture-{database}.log"
    try:
        with running(command, port, environ, log, built.api_key) as base_url:
            captured = sql_capture.capture(selected, base_url, built.api_key, capture_file)
    except BenchError as exc:
        label = DATABASE_LABELS[database]
        outcome.notes.append(f"dexgate's SQL on {label} was not captured: {exc}")
        return {}
    for name, statements in captured.items():
        outcome.statements.append(StatementCount(database, name, len(statements)))
    return captured


def _dexgate(
    options: Options,
    postgres: Postgres,
    built: dataset.Dataset,
    workers: int,
    work: Path,
    outcome: Report,
) -> DexgateRun:
    run = DexgateRun(workers=workers)
    port = free_port()
    label = report.workers(workers)
    progress(f"serving with {label} on port {port}")
    log = work / f"serve-{workers}.log"
    command = serve_command(port, workers)
    try:
        with running_server(command, port, built.environ, log, built.api_key) as served:
            base = served.base_url
            selected = pg_scenarios(options)
            _measure_served(options, built, base, label, selected, run, cpu.meter(served.pid))
            _measure_changes(options, postgres, built, base, label, work, run)
    except BenchError as exc:
        outcome.notes.append(f"dexgate, {label}: the server failed: {exc}")
    for name, failed in _failures(run):
        outcome.notes.append(f"dexgate, {label}, {name}: {failed.error}")
    _note_refusals(run, label, log, outcome)
    return run


def _sqlite(options: Options, built: dataset.SqliteDataset, work: Path, outcome: Report) -> None:
    """dexgate on the SQLite file (statements, then A, B, C, the mixed load and D at one
    worker), then datasette."""
    selected = sqlite_scenarios(options)
    _capture(options, built, work, outcome, SQLITE, selected)
    run = DexgateRun(workers=1)
    port = free_port()
    label = f"SQLite, {report.workers(1)}"
    progress(f"{label}: serving the SQLite file on port {port}")
    log = work / "serve-sqlite.log"
    try:
        with running_server(serve_command(port, 1), port, built.environ, log, built.api_key) as on:
            base = on.base_url
            _measure_served(options, built, base, label, selected, run, cpu.meter(on.pid))
            _measure_sqlite_writes(options, built, base, label, run)
    except BenchError as exc:
        outcome.notes.append(f"dexgate, {label}: the server failed: {exc}")
    for name, failed in _failures(run):
        outcome.notes.append(f"dexgate, {label}, {name}: {failed.error}")
    _note_refusals(run, label, log, outcome)
    _note_mixed_errors(run, label, log, outcome)
    outcome.sqlite = run
    if options.runs("peers"):
        _datasette(options, built, work, outcome)


def _mariadb(options: Options, postgres: Postgres, work: Path, outcome: Report) -> None:
    """The same data on MariaDB: statements, a driver loop's replay of them, then dexgate at one
    worker: A, B, C for both configurations, D, E's configuration change and a CSV import."""
    server = MariaDB.from_url(options.mariadb)
    label = f"MariaDB, {report.workers(1)}"
    try:
        outcome.machine = dataclasses.replace(outcome.machine, mariadb=server.server_version())
        progress("MariaDB: copying the rows into a database there and registering it")
        built = dataset.build_mariadb(postgres, server, options.database, work)
    except BenchError as exc:
        outcome.notes.append(f"dexgate, MariaDB: the database could not be built: {exc}")
        server_drop(options, server)
        return
    try:
        selected = pg_scenarios(options)
        captured = _capture(options, built, work, outcome, MARIADB, selected)
        if options.runs("raw"):
            _mariadb_raw(options, built.environ["DEXGATE_DATABASE_URL"], captured, outcome)
        run = DexgateRun(workers=1)
        port = free_port()
        progress(f"{label}: serving on port {port}")
        log = work / "serve-mariadb.log"
        try:
            with running_server(
                serve_command(port, 1), port, built.environ, log, built.api_key
            ) as on:
                base = on.base_url
                _measure_served(options, built, base, label, selected, run, cpu.meter(on.pid))
                _measure_mariadb_writes(options, server, built, base, label, work, run)
        except BenchError as exc:
            outcome.notes.append(f"dexgate, {label}: the server failed: {exc}")
        if options.runs("import"):
            progress(f"{label}: CSV import of {options.import_rows:,} products")
            run.csv_import = csv_import.measure(built, options.import_rows, work)
            write.clean_up_mariadb(server, options.database)
            progress(f"{label}: CSV import: {report.import_cell(run)}")
        for name, failed in _failures(run):
            outcome.notes.append(f"dexgate, {label}, {name}: {failed.error}")
        _note_refusals(run, label, log, outcome)
        outcome.mariadb = run
    finally:
        server_drop(options, server)


def server_drop(options: Options, server: MariaDB) -> None:
    if not options.keep_database:
        try:
            server.drop_database(options.database)
        except BenchError as exc:
            print(f"bench: MariaDB's {options.database} was not dropped: {exc}", file=sys.stderr)


def _mariadb_raw(
    options: Options,
    url: str,
    captured: dict[str, list[sql_capture.Captured]],
    outcome: Report,
) -> None:
    """A driver loop replays the statements dexgate sent for each scenario on MariaDB, as
    its read pool sends them (``mariadb_raw``)."""
    replayed: dict[mariadb_raw.Request, PgbenchResult | Failure] = {}
    for name, statements in captured.items():
        if not statements:
            outcome.notes.append(
                f"no SQL on the dataset's tables was captured on MariaDB for {name}"
            )
            continue
        try:
            request = mariadb_raw.request(statements)
        except mariadb_raw.NotReplayableError as exc:
            failed = Failure(f"not replayed: {exc}")
            outcome.mariadb_raw.append(RawRun(name, "dexgate", name, len(statements), failed))
            continue
        if request not in replayed:
            progress(f"raw MariaDB: the driver loop, dexgate's SQL for {name}")
            replayed[request] = mariadb_raw.replay(url, request, options.load)
        outcome.mariadb_raw.append(
            RawRun(name, "dexgate", name, len(statements), replayed[request])
        )
    for run in outcome.mariadb_raw:
        if isinstance(run.result, Failure):
            outcome.notes.append(f"raw MariaDB {run.name}: {run.result.error}")


def _measure_mariadb_writes(
    options: Options,
    server: MariaDB,
    built: dataset.Dataset,
    base: str,
    label: str,
    work: Path,
    run: DexgateRun,
) -> None:
    """D and E's configuration change, against the MariaDB server."""
    if options.runs("write"):
        progress(f"{label}: D, {options.batches} POSTs of {options.batch_size:,} products")
        run.write = write.post_batches(base, built.api_key, options.batches, options.batch_size)
        write.clean_up_mariadb(server, options.database)
        progress(f"{label}: D: {report.write_cell(run)}")

        def clean_up(sql: str) -> None:
            write.clean_up_mariadb(server, options.database)
            server.sql(sql, options.database)

        _measure_feed_writes(options, built, base, label, run, clean_up)
    if options.runs("config"):
        progress(f"{label}: E, {options.config_changes} configuration changes by the CLI")
        run.config_change = config_change.measure(built, base, options.config_changes, work)


def _datasette(options: Options, built: dataset.SqliteDataset, work: Path, outcome: Report) -> None:
    statuses = sqlite_peers.detect()
    outcome.peers.extend(statuses)
    installed = {s.system for s in statuses if s.installed}
    if not installed:
        progress("SQLite peers: datasette is not installed, skipped")
        return
    progress(f"SQLite peers: {', '.join(sorted(installed))} on a copy of the same file")
    results, errors = sqlite_peers.measure(installed, built.peer_copy, options.load, work)
    outcome.peer_results.extend(results)
    outcome.notes.extend(f"SQLite peers: {error}" for error in errors)


def _measure_served(
    options: Options,
    built: dataset.Dataset,
    base: str,
    label: str,
    selected: Sequence[scenarios.Scenario],
    run: DexgateRun,
    meter: Callable[[], float] | None = None,
) -> None:
    """The scenarios ``selected`` (A, B, C over each API), against one server (``meter``:
    its CPU seconds so far, for the CPU time per request)."""
    for scenario in selected:
        progress(f"{label}: {scenario.name} ({scenario.title})")
        result = scenarios.measure(scenario, base, built.api_key, options.load, meter)
        run.http[scenario.name] = result
        progress(f"{label}: {scenario.name}: {report.load_cell(result)}")


def _measure_changes(
    options: Options,
    postgres: Postgres,
    built: dataset.Dataset,
    base: str,
    label: str,
    work: Path,
    run: DexgateRun,
) -> None:
    """D and E's configuration change, against one server."""
    if options.runs("write"):
        progress(f"{label}: D, {options.batches} POSTs of {options.batch_size:,} products")
        run.write = write.post_batches(base, built.api_key, options.batches, options.batch_size)
        write.clean_up(postgres, options.database)

        def clean_up(sql: str) -> None:
            write.clean_up(postgres, options.database)
            postgres.psql(sql, options.database)

        _measure_feed_writes(options, built, base, label, run, clean_up)
    if options.runs("config"):
        progress(f"{label}: E, {options.config_changes} configuration changes by the CLI")
        run.config_change = config_change.measure(built, base, options.config_changes, work)


def _measure_sqlite_writes(
    options: Options, built: dataset.SqliteDataset, base: str, label: str, run: DexgateRun
) -> None:
    """Reads by id alone, then with 20 % single-row updates; then D, against the SQLite
    file's server."""
    if options.runs("mixed"):
        clients = options.load.connections
        progress(f"{label}: reads by id, {clients} clients, alone then with 20 % updates")
        run.read_only, run.mixed = sqlite_mixed.measure(
            base, built.api_key, options.load, DEXGATE.id_field
        )
        for name, result in (("reads alone", run.read_only), ("with updates", run.mixed)):
            progress(f"{label}: {name}: {report.mixed_cell(result)}")
    if options.runs("write"):
        progress(f"{label}: D, {options.batches} POSTs of {options.batch_size:,} products")
        run.write = write.post_batches(base, built.api_key, options.batches, options.batch_size)
        write.clean_up_sqlite(Path(built.database))
        progress(f"{label}: D: {report.write_cell(run)}")

        def clean_up(sql: str) -> None:
            write.clean_up_sqlite(Path(built.database), sql)

        _measure_feed_writes(options, built, base, label, run, clean_up)


def _measure_feed_writes(
    options: Options,
    built: dataset.Dataset,
    base: str,
    label: str,
    run: DexgateRun,
    clean_up: Callable[[str], None],
) -> None:
    """G's write overhead: D again with the change feed of ``products`` on."""
    if not options.runs("changefeed"):
        return
    progress(f"{label}: G, D again with the change feed on")
    run.write_feed = changefeed_capture.measure(
        built, base, options.batches, options.batch_size, clean_up
    )
    progress(f"{label}: G: {report.feed_write_cell(run)}")


def _aggregates(options: Options, postgres: Postgres, work: Path, outcome: Report) -> None:
    """F: grouped totals on every database measured, on a dataset of its own (the stocks
    given a belongsTo ``product``), against the raw rate of the statement dexgate compiles."""
    mariadb = options.mariadb if options.runs("mariadb") else None
    f_work = work / "f"
    f_work.mkdir()
    try:
        results, notes = aggregates.run(
            postgres, mariadb, options.runs("sqlite"), options.load, f_work, progress
        )
    except BenchError as exc:
        outcome.notes.append(f"F could not run: {exc}")
        return
    outcome.aggregates.extend(results)
    outcome.notes.extend(notes)
    for result in results:
        for failed in (result.rest, result.graphql):
            if isinstance(failed, Failure):
                outcome.notes.append(failed.error)


def _delivery(options: Options, postgres: Postgres, work: Path, outcome: Report) -> None:
    """G, delivery: webhook throughput and latency on every database measured, each on a
    database of its own."""
    mariadb = options.mariadb if options.runs("mariadb") else None
    g_work = work / "g"
    g_work.mkdir()
    results, notes = changefeed_delivery.run(
        postgres, mariadb, options.runs("sqlite"), g_work, progress
    )
    outcome.deliveries.extend(results)
    outcome.notes.extend(notes)


def _schema_build(options: Options) -> SchemaBuildResult | Failure:
    try:
        from bench import schema_build

        catalog_ms, schema_ms = schema_build.measure(500, 20, options.schema_repeats)
    except Exception as exc:
        return Failure(f"schema build: {type(exc).__name__}: {exc}")
    return SchemaBuildResult(500, 20, options.schema_repeats, catalog_ms, schema_ms)


def _peers(options: Options, work: Path, outcome: Report) -> None:
    statuses = peers.detect(options.peerbench)
    outcome.peers[:0] = statuses
    installed = [p.system for p in statuses if p.installed]
    if not installed:
        progress("peers: not installed, skipped")
        return
    progress(f"peers: running the bed's run_load.sh for {', '.join(installed)}")
    results, error = peers.measure(options.peerbench, installed, options.load, work)
    outcome.peer_results[:0] = results
    if error is not None:
        outcome.notes.append(f"peers: {error}")


def _note_refusals(run: DexgateRun, label: str, log: Path, outcome: Report) -> None:
    """Which scenarios had non-2xx answers (not judged), and the last error in the log."""
    refused = [
        f"{name} {result.non2xx}"
        for name, result in run.http.items()
        if isinstance(result, LoadResult) and result.non2xx
    ]
    if refused:
        error = last_error(log)
        cause = f"; the last error in the server's log: {error}" if error else ""
        outcome.notes.append(
            f"{label}: non-2xx answers under load ({', '.join(refused)}), not judged{cause}"
        )


def _note_mixed_errors(run: DexgateRun, label: str, log: Path, outcome: Report) -> None:
    """Errors under the reads alone or with updates, by kind, and the last error in the log."""
    for name, result in (("reads alone", run.read_only), ("reads with updates", run.mixed)):
        if isinstance(result, MixedResult) and result.errors:
            kinds = ", ".join(f"{kind} x{count}" for kind, count in result.errors_by_kind.items())
            error = last_error(log)
            cause = f"; the last error in the server's log: {error}" if error else ""
            outcome.notes.append(f"{label}, {name}: {result.errors} errors ({kinds}){cause}")


def _failures(run: DexgateRun) -> list[tuple[str, Failure]]:
    found = [(name, r) for name, r in run.http.items() if isinstance(r, Failure)]
    if isinstance(run.write, Failure):
        found.append(("D", run.write))
    if isinstance(run.config_change, Failure):
        found.append(("E configuration change", run.config_change))
    if isinstance(run.mixed, Failure):  # read_only fails with it, for the same reason
        found.append(("reads with updates", run.mixed))
    if isinstance(run.csv_import, Failure):
        found.append(("CSV import", run.csv_import))
    if isinstance(run.write_feed, Failure):
        found.append(("G with the change feed", run.write_feed))
    return found


def _failed(outcome: Report) -> bool:
    runs = [
        *outcome.dexgate,
        *([outcome.sqlite] if outcome.sqlite else []),
        *([outcome.mariadb] if outcome.mariadb else []),
    ]
    return (
        any(_failures(run) for run in runs)
        or any(
            n.startswith(("dexgate, ", "F could not run"))
            or (n.startswith("G delivery on ") and " failed: " in n)
            for n in outcome.notes
        )
        or isinstance(outcome.schema_build, Failure)
        or any(
            isinstance(r.rest, Failure) or isinstance(r.graphql, Failure)
            for r in outcome.aggregates
        )
    )


def _machine(postgres: Postgres) -> Machine:
    return Machine(
        cpu=_cpu(),
        cores=os.cpu_count() or 0,
        platform=platform.platform(),
        python=platform.python_version(),
        postgres=postgres.server_version(),
        wrk=_first_line(["wrk", "-v"]).split(" Copyright")[0],
        commit=_commit(),
        load_before=os.getloadavg(),
        sqlite=sqlite3.sqlite_version,
    )


def _with_load_after(machine: Machine) -> Machine:
    return dataclasses.replace(machine, load_after=os.getloadavg())


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _commit() -> str:
    commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    changed = _first_line(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return f"{commit} (with local changes)" if changed else commit


def _first_line(argv: list[str]) -> str:
    """The first output line of a version-like command, whatever its exit status."""
    try:
        completed = subprocess.run(  # noqa: S603 - fixed commands of the harness
            argv, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return "unknown"
    lines = (completed.stdout or completed.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
