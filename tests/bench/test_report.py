"""The Markdown and JSON a run writes."""

from __future__ import annotations

import json
from pathlib import Path

from bench import report
from bench.results import Failure, LoadResult
from bench.targets import evaluate

from .reports import make_report, mixed


def rendered(peers: bool = True) -> str:
    outcome = make_report(peers=peers)
    return report.markdown(outcome, evaluate(outcome))


def row(markdown: str, starts: str) -> list[str]:
    """The cells of the table row whose first cell starts with ``starts``."""
    for line in markdown.splitlines():
        if line.startswith(f"| {starts}"):
            return [cell.strip() for cell in line.strip("|").split(" | ")]
    raise AssertionError(f"no row {starts!r} in:\n{markdown}")


def test_http_row_shows_both_worker_counts_the_sql_the_peers_and_the_ratios() -> None:
    cells = row(rendered(), "REST A")
    assert cells == [
        "REST A: 100 products, flat",
        "1,900 (8.0 / 20.0 ms)",  # 2 workers, in the order measured
        "1,100 (8.0 / 25.0 ms)",  # 1 worker
        "20,000",  # dexgate's own statements on PostgreSQL
        "1,000 (8.0 / 30.0 ms)",  # PostGraphile
        "200 (8.0 / 20.0 ms)",  # Directus REST
        "1.10x",
        "5.50x",
        "0.06x",  # 1,100 / 20,000
    ]


def test_failed_and_erroneous_measurements_are_marked() -> None:
    markdown = rendered()
    assert row(markdown, "GraphQL B")[2] == "failed"
    assert "⚠ 12 non-2xx" in row(markdown, "GraphQL C")[2]
    assert "- dexgate, 1 worker, graphql B: HTTP 500" in markdown


def test_missing_peers_show_dashes_and_say_not_installed() -> None:
    markdown = rendered(peers=False)
    cells = row(markdown, "REST A")
    assert cells[4:8] == ["-", "-", "-", "-"]
    assert "PostGraphile 5: not installed: nothing answers" in markdown


def test_writes_configuration_schema_and_raw_rows() -> None:
    markdown = rendered()
    assert row(markdown, "D: POST")[2] == "12,500 rows/s (10 x 1,000, 80 ms per request)"
    change = row(markdown, "E: configuration change")[2]
    assert change.startswith("median 50 / 622 ms, worst 60 / 1,200 ms (2 changes")
    assert row(markdown, "E: schema build")[1].startswith("300 ms (catalog 42 + schema 258")
    assert row(markdown, "peer bed's `a_flat`") == [
        "peer bed's `a_flat`",
        "A",
        "1",
        "10,000",
        "0.80",
    ]
    assert row(markdown, "peer bed's `b_nested_rows`")[3] == "failed"


def test_targets_table_counts_and_marks_verdicts() -> None:
    markdown = rendered()
    assert "## Targets (dexgate at 1 worker; " in markdown
    assert row(markdown, "REST B ≥ 1.0x PostGraphile 5")[2] == "**FAIL**"
    assert row(markdown, "REST A ≥ 1.0x PostGraphile 5")[2] == "**pass**"


def test_json_and_markdown_files_hold_the_figures_and_verdicts(tmp_path: Path) -> None:
    outcome = make_report()
    paths = report.write(outcome, evaluate(outcome), tmp_path, "bench-test")
    assert [p.name for p in paths] == ["bench-test.json", "bench-test.md"]
    document = json.loads(paths[0].read_text())
    assert document["dexgate"][1]["http"]["rest A"]["rps"] == 1100
    assert document["dexgate"][1]["http"]["graphql B"] == {"error": "graphql B: HTTP 500"}
    assert document["schema_build"]["total_ms"] == 300
    assert {"target", "measured", "status"} <= set(document["targets"][0])
    assert paths[1].read_text().startswith("# dexgate benchmark, 2026-11-27 10:00 UTC")


def test_spryker_style_rows_follow_with_the_same_peers() -> None:
    cells = row(rendered(), "Spryker-style REST A")
    assert cells[0] == "Spryker-style REST A: 100 products, flat"
    assert cells[2] == "2,500 (8.0 / 12.0 ms)"  # 1 worker; 2 workers did not measure it
    assert cells[1] == "-"
    assert cells[4] == "1,000 (8.0 / 30.0 ms)"  # PostGraphile's A
    assert cells[6] == "2.50x"


def test_spryker_style_rows_are_left_out_when_not_measured() -> None:
    outcome = make_report()
    for run in outcome.dexgate:
        run.http = {k: v for k, v in run.http.items() if not k.startswith("spryker")}
    assert (
        "Spryker-style REST A"
        not in report.markdown(outcome, evaluate(outcome)).split("## MariaDB")[0]
    )


def test_sqlite_table_puts_dexgate_next_to_datasette() -> None:
    markdown = rendered()
    section = markdown.split("## SQLite: dexgate and datasette on the same file")[1]
    cells = row(section, "REST A")
    assert cells == [
        "REST A: 100 products, flat",
        "1,800 (8.0 / 15.0 ms)",
        "datasette 0.65",
        "1,000 (8.0 / 20.0 ms)",
        "1.80x",
    ]
    assert row(section, "REST B")[2:] == ["-", "-", "-"]  # datasette's JSON has no B
    assert row(section, "GraphQL A")[2:] == ["datasette-graphql", "100 (8.0 / 20.0 ms)", "15.00x"]
    assert row(section, "GraphQL B")[1] == "failed"


def test_statements_table_counts_per_database() -> None:
    section = rendered().split("## Statements per request")[1]
    assert row(section, "REST A") == ["REST A: 100 products, flat", "1", "1", "1"]
    assert row(section, "GraphQL C") == ["GraphQL C: one product by id", "1", "1", "1"]
    assert row(section, "Spryker-style REST B") == [
        "Spryker-style REST B: 100 products + category + stocks",
        "3",
        "-",
        "-",
    ]
    assert "Spryker-style GraphQL A" not in section


def test_json_holds_the_sqlite_run_and_the_statement_counts(tmp_path: Path) -> None:
    outcome = make_report()
    paths = report.write(outcome, evaluate(outcome), tmp_path, "bench-test")
    document = json.loads(paths[0].read_text())
    assert document["sqlite"]["http"]["rest A"]["rps"] == 1800
    assert {"database": "sqlite", "scenario": "rest A", "statements": 1} in document["statements"]


def test_a_run_in_which_no_request_completed_says_so() -> None:
    nothing = LoadResult(0.0, 0, 0.0, 0.0, 0.0)
    assert report.load_cell(nothing) == "no request completed"
    assert report.ratio_cell(LoadResult(10.0, 100, 1.0, 1.0, 1.0), 0.0) == "-"


def test_sqlite_writes_table_puts_the_mixed_load_next_to_reads_alone() -> None:
    section = rendered().split("## SQLite: writes, and reads while others write")[1]
    section = section.split("\n## ")[0]
    assert "16 clients of the harness's own" in section
    assert row(section, "D on SQLite") == [
        "D on SQLite: POST 1,000-row batches",
        "11,000 rows/s (10 x 1,000, 90 ms per request)",
        "-",
    ]
    assert row(section, "reads by id") == [
        "reads by id (REST and GraphQL)",
        "800 (15.0 / 60.0 ms)",
        "-",
    ]
    assert row(section, "80 % those reads") == [
        "80 % those reads, 20 % single-row updates",
        "360 (15.0 / 60.0 ms); updates 72/s, p99 90.0 ms",
        "0.45x",
    ]


def test_errors_under_the_mixed_load_are_marked_and_a_failure_shown() -> None:
    assert report.mixed_cell(mixed(0.2, 500.0, {"rest_patch 503": 7})).endswith("⚠ 7 errors")
    assert report.mixed_cell(Failure("reads with updates: ConnectError")) == "failed"
    assert report.mixed_cell(None) == "-"
    outcome = make_report()
    assert outcome.sqlite is not None
    outcome.sqlite.write = outcome.sqlite.read_only = outcome.sqlite.mixed = None
    markdown = report.markdown(outcome, evaluate(outcome))
    assert "## SQLite: writes, and reads while others write\n\nNot measured." in markdown


def test_json_holds_the_sqlite_writes_and_mixed_load(tmp_path: Path) -> None:
    outcome = make_report()
    paths = report.write(outcome, evaluate(outcome), tmp_path, "bench-test")
    document = json.loads(paths[0].read_text())
    assert document["sqlite"]["write"]["rows_per_second"] == 11_000
    assert document["sqlite"]["mixed"]["rps"] == 360
    assert document["sqlite"]["read_only"]["write_share"] == 0.0


def test_mariadb_table_puts_it_next_to_postgresql_and_its_raw_rate() -> None:
    section = rendered().split("## MariaDB: the same data, the same scenarios")[1]
    assert row(section, "REST A") == [
        "REST A: 100 products, flat",
        "1,000 (15.0 / 30.0 ms) 250 µs CPU",
        "1,100 (8.0 / 25.0 ms)",
        "0.91x",  # 1,000 / 1,100
        "-",  # PostgreSQL's CPU time was not measured
        "4,000",
        "0.25x",  # 1,000 / 4,000
    ]
    assert row(section, "REST B")[5:] == ["-", "-"]  # the replay failed
    assert "GraphQL B" not in section.split("## MariaDB: writes")[0]  # not measured there


def test_mariadb_writes_import_and_configuration_change() -> None:
    section = rendered().split("## MariaDB: writes and configuration")[1]
    assert row(section, "D: POST")[1:] == [
        "20,000 rows/s (10 x 1,000, 50 ms per request)",
        "12,500 rows/s (10 x 1,000, 80 ms per request)",
    ]
    assert row(section, "G: D with the change feed on")[1:] == [
        "10,000 rows/s on, 20,000 off: 0.50x (3 rounds of 10 batches each)",
        "10,000 rows/s on, 12,500 off: 0.80x (3 rounds of 10 batches each)",
    ]
    assert row(section, "CSV import")[1] == (
        "25,000 rows/s (100,000 rows; the whole command 20,000 rows/s in 5.0 s)"
    )
    assert row(section, "E: configuration change")[1].startswith("median 350 / 365 ms")


def test_the_raw_table_holds_the_mariadb_replays() -> None:
    markdown = rendered()
    assert row(markdown, "dexgate's rest A on MariaDB") == [
        "dexgate's rest A on MariaDB (driver loop)",
        "rest A",
        "1",
        "4,000",
        "4.00",
    ]
    assert row(markdown, "dexgate's rest B on MariaDB")[3] == "failed"


def test_without_a_mariadb_run_its_tables_say_so() -> None:
    outcome = make_report()
    outcome.mariadb = None
    markdown = report.markdown(outcome, evaluate(outcome))
    assert "## MariaDB\n\nNot measured." in markdown
    assert "## MariaDB: writes" not in markdown


def test_f_table_puts_rest_and_graphql_next_to_the_raw_rate_of_its_sql() -> None:
    section = rendered().split("## F: grouped totals")[1]
    assert row(section, "PostgreSQL, entities.json") == [
        "PostgreSQL, entities.json",
        "350",
        "400",
        "300 (8.0 / 20.0 ms)",
        "0.75x",  # 300 / 400
        "150 (8.0 / 20.0 ms)",
        "0.38x",  # 150 / 400
        "140 (8.0 / 20.0 ms)",
        "2.14x / 1.07x",  # 300 / 140, 150 / 140
    ]
    # no raw rate (the replay failed), a failed GraphQL measurement, no peer on SQLite
    assert row(section, "SQLite, entities.json")[2:] == [
        "-",
        "90 (8.0 / 20.0 ms)",
        "-",
        "failed",
        "-",
        "-",
        "-",
    ]


def test_f_table_shows_a_peer_that_could_not_be_measured_as_failed() -> None:
    section = rendered().split("## F: grouped totals")[1]
    assert row(section, "PostgreSQL, Spryker-style")[-2:] == ["failed", "-"]
    assert "PostGraphile + pg-aggregates | ÷ it (REST / GraphQL)" in section


def test_without_f_its_table_says_so() -> None:
    outcome = make_report()
    outcome.aggregates = []
    assert "## F: grouped totals\n\nNot measured." in report.markdown(outcome, evaluate(outcome))


def test_g_write_overhead_is_shown_beside_d_on_sqlite_and_postgresql() -> None:
    text = rendered()
    sqlite = text.split("## SQLite: writes, and reads while others write")[1]
    assert row(sqlite, "G on SQLite")[1] == "failed"
    writes = text.split("## Writes and configuration")[1]
    assert row(writes, "G: D with the change feed on")[1:] == [
        "-",  # not measured at 2 workers
        "10,000 rows/s on, 12,500 off: 0.80x (3 rounds of 10 batches each)",
    ]


def test_g_delivery_table_gives_throughput_and_latency_per_database() -> None:
    section = rendered().split("## G: webhook delivery")[1]
    assert row(section, "PostgreSQL") == ["PostgreSQL", "20,000", "2,400", "500", "46", "89"]
    assert row(section, "MariaDB")[2] == "1,736"


def test_without_g_delivery_its_table_says_so() -> None:
    outcome = make_report()
    outcome.deliveries = []
    text = report.markdown(outcome, evaluate(outcome))
    assert "## G: webhook delivery\n\nNot measured." in text
