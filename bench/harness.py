"""``python -m bench``: the whole run, in order, and what it writes.

1. build the database (the peer bed's data, entities, a role and an API key);
2. capture the SQL dexgate sends per scenario, and replay it and the peer bed's reference SQL
   with pgbench (the raw database rate), while nothing else runs;
3. for each worker count: serve, then A, B, C over REST and GraphQL with wrk, D (writes) and
   the configuration change of E;
4. E's schema build, in memory; 5. the peers, when their bed is installed;
6. drop the database, judge the targets, write JSON, Markdown and PNG into ``bench/results/``
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
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from bench import (
    chart,
    config_change,
    dataset,
    peers,
    raw,
    replay,
    report,
    scenarios,
    sql_capture,
    write,
)
from bench.options import ROOT, Options, parse
from bench.postgres import Postgres
from bench.process import BenchError, require
from bench.results import (
    DexgateRun,
    Failure,
    Machine,
    PgbenchResult,
    RawRun,
    Report,
    SchemaBuildResult,
)
from bench.server import free_port, running, serve_command, uvicorn_command
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
    if options.runs("rest") or options.runs("graphql"):
        require("wrk", "apt-get install wrk")
    outcome = Report(started=_now(), machine=_machine(postgres), options=options.summary())
    with tempfile.TemporaryDirectory(prefix="dexgate-bench-") as directory:
        work = Path(directory)
        try:
            progress(f"building {options.database} (the peer bed's dataset) and registering it")
            built = dataset.build(postgres, options.database, work)
            if options.runs("raw"):
                _raw(options, postgres, built, work, outcome)
            for workers in options.workers:
                outcome.dexgate.append(_dexgate(options, postgres, built, workers, work, outcome))
        finally:
            if not options.keep_database:
                postgres.drop_database(options.database)
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


def _raw(
    options: Options, postgres: Postgres, built: dataset.Dataset, work: Path, outcome: Report
) -> None:
    if shutil.which("pgbench") is None:
        outcome.notes.append("raw database rate not measured: pgbench is not installed")
        return
    captured = _capture(options, built, work, outcome)
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
    options: Options, built: dataset.Dataset, work: Path, outcome: Report
) -> dict[str, list[sql_capture.Captured]]:
    """The statements dexgate sends per scenario (none when capturing failed: see the notes)."""
    apis = {api for api in ("rest", "graphql") if options.runs(api)}
    if not apis:
        outcome.notes.append(
            "dexgate's SQL was not captured: it is captured from the rest and graphql scenarios,"
            " both skipped"
        )
        return {}
    progress("capturing the SQL dexgate sends for each scenario")
    capture_file = work / "statements.jsonl"
    log_config = work / "log-config.json"
    log_config.write_text(json.dumps(sql_capture.log_config(capture_file)))
    port = free_port()
    # The logging configuration names bench.sql_capture's handler: importable from the root.
    environ = {**built.environ, "PYTHONPATH": str(ROOT)}
    command = uvicorn_command(port, log_config)
    try:
        with running(command, port, environ, work / "capture.log", built.api_key) as base_url:
            return sql_capture.capture(
                scenarios.selected(apis), base_url, built.api_key, capture_file
            )
    except BenchError as exc:
        outcome.notes.append(f"dexgate's SQL was not captured: {exc}")
        return {}


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
    try:
        with running(serve_command(port, workers), port, built.environ, log, built.api_key) as base:
            _measure_served(options, postgres, built, base, label, work, run)
    except BenchError as exc:
        outcome.notes.append(f"dexgate, {label}: the server failed: {exc}")
    for name, failed in _failures(run):
        outcome.notes.append(f"dexgate, {label}, {name}: {failed.error}")
    return run


def _measure_served(
    options: Options,
    postgres: Postgres,
    built: dataset.Dataset,
    base: str,
    label: str,
    work: Path,
    run: DexgateRun,
) -> None:
    """A, B, C over each API, then D and E's configuration change, against one server."""
    for scenario in scenarios.SCENARIOS:
        if not options.runs(scenario.api):
            continue
        progress(f"{label}: {scenario.name} ({scenario.title})")
        result = scenarios.measure(scenario, base, built.api_key, options.load)
        run.http[scenario.name] = result
        progress(f"{label}: {scenario.name}: {report.load_cell(result)}")
    if options.runs("write"):
        progress(f"{label}: D, {options.batches} POSTs of {options.batch_size:,} products")
        run.write = write.post_batches(base, built.api_key, options.batches, options.batch_size)
        write.clean_up(postgres, options.database)
    if options.runs("config"):
        progress(f"{label}: E, {options.config_changes} configuration changes by the CLI")
        run.config_change = config_change.measure(built, base, options.config_changes, work)


def _schema_build(options: Options) -> SchemaBuildResult | Failure:
    try:
        from bench import schema_build

        catalog_ms, schema_ms = schema_build.measure(500, 20, options.schema_repeats)
    except Exception as exc:
        return Failure(f"schema build: {type(exc).__name__}: {exc}")
    return SchemaBuildResult(500, 20, options.schema_repeats, catalog_ms, schema_ms)


def _peers(options: Options, work: Path, outcome: Report) -> None:
    outcome.peers = peers.detect(options.peerbench)
    installed = [p.system for p in outcome.peers if p.installed]
    if not installed:
        progress("peers: not installed, skipped")
        return
    progress(f"peers: running the bed's run_load.sh for {', '.join(installed)}")
    outcome.peer_results, error = peers.measure(options.peerbench, installed, options.load, work)
    if error is not None:
        outcome.notes.append(f"peers: {error}")


def _failures(run: DexgateRun) -> list[tuple[str, Failure]]:
    found = [(name, r) for name, r in run.http.items() if isinstance(r, Failure)]
    if isinstance(run.write, Failure):
        found.append(("D", run.write))
    if isinstance(run.config_change, Failure):
        found.append(("E configuration change", run.config_change))
    return found


def _failed(outcome: Report) -> bool:
    return (
        any(_failures(run) for run in outcome.dexgate)
        or any(n.startswith("dexgate, ") for n in outcome.notes)
        or isinstance(outcome.schema_build, Failure)
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
