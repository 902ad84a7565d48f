"""Judging the issue's targets on a run's figures."""

from __future__ import annotations

from bench.results import Failure, LoadResult
from bench.targets import (
    Verdict,
    evaluate,
    judge_bound,
    judge_mixed,
    judge_p99,
    judge_ratio,
    times,
)

from .reports import load, make_report, mixed


def verdicts_by_target(peers: bool = True) -> dict[str, Verdict]:
    return {v.target: v for v in evaluate(make_report(peers=peers))}


def test_ratio_at_the_minimum_passes_and_below_fails() -> None:
    assert judge_ratio("t", load(1000), 1000.0, 1.0, "peer").status == "pass"
    assert judge_ratio("t", load(999), 1000.0, 1.0, "peer").status == "fail"
    assert judge_ratio("t", load(3000), 1000.0, 3.0, "peer").measured == "3.00x (3,000 / 1,000)"


def test_ratio_without_the_other_side_or_with_a_failure_is_not_judged() -> None:
    assert judge_ratio("t", load(1000), None, 1.0, "PostGraphile 5") == Verdict(
        "t", "no figure for PostGraphile 5", "n/a"
    )
    assert judge_ratio("t", Failure("boom"), 10.0, 1.0, "peer").status == "n/a"
    assert judge_ratio("t", None, 10.0, 1.0, "peer").status == "n/a"


def test_a_rate_with_error_answers_is_invalid_not_fast() -> None:
    errors = LoadResult(50_000, 500_000, 0.1, 0.1, 0.2, non2xx=3)
    verdict = judge_ratio("t", errors, 1000.0, 1.0, "peer")
    assert verdict.status == "n/a"
    assert "3 non-2xx" in verdict.measured


def test_p99_no_worse_than_the_peer_passes() -> None:
    assert judge_p99("t", load(1, p99=30.0), load(1, p99=30.0), "peer").status == "pass"
    assert judge_p99("t", load(1, p99=30.1), load(1, p99=30.0), "peer").status == "fail"


def test_bounds_at_least_and_at_most() -> None:
    assert judge_bound("t", 10_000, 10_000, "rows/s", at_least=True).status == "pass"
    assert judge_bound("t", 9_999, 10_000, "rows/s", at_least=True).status == "fail"
    assert judge_bound("t", 300, 300, "ms", at_least=False).status == "pass"
    assert judge_bound("t", 301, 300, "ms", at_least=False).status == "fail"
    assert judge_bound("t", None, 300, "ms", at_least=False).status == "n/a"


def test_times_formats_a_ratio() -> None:
    assert times(0.0412) == "0.04x"


def test_targets_are_judged_at_one_worker_against_the_peers() -> None:
    verdicts = verdicts_by_target()
    # 1 worker: 1,100 vs PostGraphile's 1,000 (2 workers' 1,900 is not what is judged)
    assert verdicts["REST A ≥ 1.0x PostGraphile 5"].measured == "1.10x (1,100 / 1,000)"
    assert verdicts["REST A ≥ 1.0x PostGraphile 5"].status == "pass"
    assert verdicts["REST A ≥ 3x Directus 12 REST"].status == "pass"  # 5.5x
    assert verdicts["REST B ≥ 1.0x PostGraphile 5"].status == "fail"  # 300 / 420
    assert verdicts["REST B ≥ 3x Directus 12 REST"].status == "fail"  # 2.4x
    assert verdicts["GraphQL A ≥ 3x Directus 12 GraphQL"].status == "pass"  # 900 / 220
    assert verdicts["GraphQL B ≥ 1.0x PostGraphile 5"].status == "n/a"  # failed
    assert verdicts["GraphQL B ≥ 3x Directus 12 GraphQL"].status == "n/a"
    assert verdicts["REST C ≥ 1.0x PostGraphile 5"].status == "fail"  # 2,000 / 3,100
    assert verdicts["GraphQL C ≥ 1.0x PostGraphile 5"].status == "n/a"  # non-2xx answers


def test_raw_database_write_and_schema_targets() -> None:
    verdicts = verdicts_by_target()
    raw = verdicts["REST A ≥ 0.1x the raw database (a_flat)"]
    assert (raw.measured, raw.status) == ("0.11x (1,100 / 10,000)", "pass")
    assert verdicts["D ≥ 10,000 rows/s"].status == "pass"
    assert verdicts["E: schema build ≤ 300 ms (500 x 20)"].status == "pass"  # 42 + 258
    change = verdicts["E: configuration change served ≤ 1,000 ms"]
    assert (change.measured, change.status) == ("1,200 ms (worst sample)", "fail")


def test_p99_targets_compare_with_postgraphile_per_scenario() -> None:
    verdicts = verdicts_by_target()
    assert verdicts["REST A: p99 ≤ PostGraphile 5's"].status == "pass"  # 25 vs 30
    assert verdicts["REST B: p99 ≤ PostGraphile 5's"].status == "fail"  # 80 vs 72
    assert verdicts["GraphQL A: p99 ≤ PostGraphile 5's"].status == "fail"  # 40 vs 30


def test_without_peers_only_the_peer_targets_are_not_judged() -> None:
    verdicts = verdicts_by_target(peers=False)
    peer_targets = [t for t in verdicts if "PostGraphile" in t or "Directus" in t]
    assert peer_targets
    assert all(verdicts[t].status == "n/a" for t in peer_targets)
    assert (
        verdicts["REST A ≥ 3x Directus 12 REST"].measured
        == "no figure for Directus 12 (not installed)"
    )
    assert verdicts["REST A ≥ 0.1x the raw database (a_flat)"].status == "pass"


def test_both_configurations_are_judged_against_twice_postgraphile_and_c_one_and_a_half() -> None:
    verdicts = verdicts_by_target()
    # entities.json at 1 worker: 1,100 / 1,000 is below 2x
    assert verdicts["entities.json: REST A ≥ 2.0x PostGraphile 5"].status == "fail"
    # Spryker-style: 2,500 / 1,000; B 700 / 420; C 4,650 / 3,100 = 1.5x exactly
    spryker_a = verdicts["Spryker-style: REST A ≥ 2.0x PostGraphile 5"]
    assert (spryker_a.measured, spryker_a.status) == ("2.50x (2,500 / 1,000)", "pass")
    assert verdicts["Spryker-style: REST B ≥ 2.0x PostGraphile 5"].status == "fail"
    assert verdicts["Spryker-style: REST C ≥ 1.5x PostGraphile 5"].status == "pass"
    assert verdicts["Spryker-style: GraphQL A ≥ 2.0x PostGraphile 5"].status == "fail"  # 1.9x
    assert verdicts["Spryker-style: GraphQL B ≥ 2.0x PostGraphile 5"].status == "pass"


def test_the_spryker_style_p99_is_judged_against_postgraphile() -> None:
    verdicts = verdicts_by_target()
    assert verdicts["Spryker-style: REST A: p99 ≤ PostGraphile 5's"].status == "pass"  # 12/30
    assert verdicts["Spryker-style: REST B: p99 ≤ PostGraphile 5's"].status == "fail"  # 90/72
    assert verdicts["Spryker-style: GraphQL C: p99 ≤ PostGraphile 5's"].status == "fail"  # 11/10


def test_sqlite_is_judged_against_datasette_and_datasette_graphql() -> None:
    verdicts = verdicts_by_target()
    rest_a = verdicts["SQLite: REST A ≥ 2.0x datasette 0.65"]
    assert (rest_a.measured, rest_a.status) == ("1.80x (1,800 / 1,000)", "fail")
    assert verdicts["SQLite: REST C ≥ 2.0x datasette 0.65"].status == "fail"  # 3,000 / 1,600
    assert verdicts["SQLite: GraphQL A ≥ 2.0x datasette-graphql"].status == "pass"  # 15x
    assert verdicts["SQLite: GraphQL B ≥ 2.0x datasette-graphql"].status == "n/a"  # failed
    assert "SQLite: REST B ≥ 2.0x datasette 0.65" not in verdicts  # datasette has no B


def test_without_datasette_the_sqlite_targets_say_it_is_not_installed() -> None:
    verdicts = verdicts_by_target(peers=False)
    rest_a = verdicts["SQLite: REST A ≥ 2.0x datasette 0.65"]
    assert (rest_a.measured, rest_a.status) == (
        "no figure for datasette 0.65 (not installed)",
        "n/a",
    )


def test_statements_per_request_are_judged_per_database_and_configuration() -> None:
    verdicts = verdicts_by_target()
    postgres = verdicts["PostgreSQL, entities.json: ≤ 1 statement per request (A, B, C)"]
    assert postgres.status == "pass"
    assert (
        postgres.measured == "REST A 1, REST B 1, REST C 1, GraphQL A 1, GraphQL B 1, GraphQL C 1"
    )
    spryker = verdicts["PostgreSQL, Spryker-style: ≤ 1 statement per request (A, B, C)"]
    assert (spryker.measured, spryker.status) == ("REST A 1, REST B 3", "fail")
    sqlite = verdicts["SQLite, entities.json: ≤ 1 statement per request (A, B, C)"]
    assert (sqlite.measured, sqlite.status) == ("REST A 1, GraphQL C 1", "pass")


def test_statements_not_captured_are_not_judged() -> None:
    report = make_report()
    report.statements = []
    verdicts = {v.target: v for v in evaluate(report)}
    sqlite = verdicts["SQLite, entities.json: ≤ 1 statement per request (A, B, C)"]
    assert (sqlite.measured, sqlite.status) == ("not captured", "n/a")


def test_a_run_in_which_no_request_completed_is_not_judged_on_either_side() -> None:
    nothing = LoadResult(0.0, 0, 0.0, 0.0, 0.0)
    ours = judge_ratio("t", nothing, 100.0, 2.0, "peer")
    assert (ours.measured, ours.status) == ("invalid: no request completed", "n/a")
    theirs = judge_ratio("t", load(100), 0.0, 2.0, "datasette-graphql")
    assert (theirs.measured, theirs.status) == (
        "no request of datasette-graphql completed in the run",
        "n/a",
    )


def test_sqlite_d_and_the_mixed_load_are_judged_on_the_sqlite_run() -> None:
    verdicts = verdicts_by_target()
    d = verdicts["SQLite: D ≥ 10,000 rows/s"]
    assert (d.measured, d.status) == ("11,000 rows/s", "pass")
    mixed_target = verdicts["SQLite: 80 % reads + 20 % updates ≥ 0.5x the read-only rate"]
    assert (mixed_target.measured, mixed_target.status) == ("0.45x (360 / 800)", "fail")


def test_the_mixed_load_at_half_the_read_only_rate_passes() -> None:
    assert judge_mixed("t", mixed(0.2, 400.0), mixed(0.0, 800.0), 0.5).status == "pass"
    assert judge_mixed("t", mixed(0.2, 399.0), mixed(0.0, 800.0), 0.5).status == "fail"


def test_errors_under_the_mixed_load_fail_whatever_the_rate() -> None:
    busy = mixed(0.2, 900.0, errors={"rest_patch 503": 40, "graphql_update graphql-errors": 2})
    verdict = judge_mixed("t", busy, mixed(0.0, 800.0), 0.5)
    assert verdict == Verdict(
        "t",
        "42 errors under the mixed load (rest_patch 503 x40, graphql_update graphql-errors x2)",
        "fail",
    )


def test_the_mixed_load_without_a_valid_read_only_rate_is_not_judged() -> None:
    reads_failed = judge_mixed("t", mixed(0.2, 400.0), mixed(0.0, 800.0, {"rest_get 503": 1}), 0.5)
    assert reads_failed == Verdict("t", "invalid: 1 errors under the read-only load", "n/a")
    assert judge_mixed("t", mixed(0.2, 400.0), None, 0.5) == Verdict(
        "t", "the read-only load: not measured", "n/a"
    )
    assert judge_mixed("t", Failure("boom"), mixed(0.0, 800.0), 0.5) == Verdict(
        "t", "the mixed load: failed (see notes)", "n/a"
    )


def test_without_a_sqlite_run_its_write_targets_are_not_judged() -> None:
    outcome = make_report()
    outcome.sqlite = None
    verdicts = {v.target: v for v in evaluate(outcome)}
    assert verdicts["SQLite: D ≥ 10,000 rows/s"].status == "n/a"
    target = "SQLite: 80 % reads + 20 % updates ≥ 0.5x the read-only rate"
    assert verdicts[target] == Verdict(target, "the mixed load: not measured", "n/a")


def test_mariadb_is_judged_against_its_raw_rate_and_dexgate_on_postgresql() -> None:
    verdicts = verdicts_by_target()
    raw = verdicts["MariaDB: REST A ≥ 0.1x the raw database (its SQL, driver loop)"]
    assert (raw.measured, raw.status) == ("0.25x (1,000 / 4,000)", "pass")
    rest_a = verdicts["MariaDB, entities.json: REST A ≥ 0.75x dexgate on PostgreSQL"]
    assert (rest_a.measured, rest_a.status) == ("0.91x (1,000 / 1,100)", "pass")
    rest_b = verdicts["MariaDB, entities.json: REST B ≥ 0.75x dexgate on PostgreSQL"]
    assert (rest_b.measured, rest_b.status) == ("0.67x (200 / 300)", "fail")
    graphql_b = verdicts["MariaDB, entities.json: GraphQL B ≥ 0.75x dexgate on PostgreSQL"]
    assert graphql_b.status == "n/a"  # neither side measured it
    spryker = verdicts["MariaDB, Spryker-style: REST A ≥ 0.75x dexgate on PostgreSQL"]
    assert (spryker.measured, spryker.status) == ("0.80x (2,000 / 2,500)", "pass")


def test_mariadb_writes_import_and_statements_are_judged() -> None:
    verdicts = verdicts_by_target()
    assert verdicts["MariaDB: D ≥ 10,000 rows/s"].status == "pass"
    assert verdicts["MariaDB: CSV import ≥ 10,000 rows/s"].measured == "25,000 rows/s"
    statements = verdicts["MariaDB, entities.json: ≤ 1 statement per request (A, B, C)"]
    assert statements.status == "pass"
    assert verdicts["MariaDB, Spryker-style: ≤ 1 statement per request (A, B, C)"].status == "n/a"


def test_without_a_mariadb_run_its_targets_are_not_judged() -> None:
    outcome = make_report()
    outcome.mariadb = None
    verdicts = [v for v in evaluate(outcome) if v.target.startswith("MariaDB")]
    assert verdicts == [Verdict("MariaDB: every target", "not measured", "n/a")]


def test_f_is_judged_against_half_the_raw_rate_of_its_sql_per_database() -> None:
    verdicts = verdicts_by_target()
    rest = verdicts["F, PostgreSQL, entities.json: REST ≥ 0.5x its SQL (raw)"]
    assert (rest.measured, rest.status) == ("0.75x (300 / 400)", "pass")
    graphql = verdicts["F, PostgreSQL, entities.json: GraphQL ≥ 0.5x its SQL (raw)"]
    assert (graphql.measured, graphql.status) == ("0.38x (150 / 400)", "fail")
    assert verdicts["F, SQLite, entities.json: REST ≥ 0.5x its SQL (raw)"].status == "n/a"
    assert verdicts["F, SQLite, entities.json: GraphQL ≥ 0.5x its SQL (raw)"].status == "n/a"


def test_f_on_postgresql_is_judged_against_twice_postgraphile_with_pg_aggregates() -> None:
    verdicts = verdicts_by_target()
    target = "F, PostgreSQL, entities.json: {} ≥ 2x PostGraphile with pg-aggregates"
    rest = verdicts[target.format("REST")]
    assert (rest.measured, rest.status) == ("2.14x (300 / 140)", "pass")
    graphql = verdicts[target.format("GraphQL")]
    assert (graphql.measured, graphql.status) == ("1.07x (150 / 140)", "fail")


def test_f_without_the_pg_aggregates_peer_says_why_and_is_not_judged() -> None:
    verdicts = verdicts_by_target()
    target = "F, PostgreSQL, Spryker-style: {} ≥ 2x PostGraphile with pg-aggregates"
    for api in ("REST", "GraphQL"):
        verdict = verdicts[target.format(api)]
        assert verdict.status == "n/a"
        assert verdict.measured == (
            "PostGraphile 5 with @graphile/pg-aggregates not measured: no npm"
        )
    # asked on PostgreSQL only
    assert not [t for t in verdicts if t.startswith("F, SQLite") and "pg-aggregates" in t]


def test_without_f_its_targets_are_not_judged() -> None:
    outcome = make_report()
    outcome.aggregates = []
    verdicts = [v for v in evaluate(outcome) if v.target.startswith("F")]
    assert verdicts == [Verdict("F: every target", "not measured", "n/a")]


def test_g_write_overhead_is_judged_against_d_of_the_same_server_per_database() -> None:
    verdicts = verdicts_by_target()
    postgresql = verdicts["G, PostgreSQL: D with the change feed on ≥ 0.8x it off"]
    assert (postgresql.measured, postgresql.status) == ("0.80x (10,000 / 12,500)", "pass")
    mariadb = verdicts["G, MariaDB: D with the change feed on ≥ 0.8x it off"]
    assert (mariadb.measured, mariadb.status) == ("0.50x (10,000 / 20,000)", "fail")
    sqlite = verdicts["G, SQLite: D with the change feed on ≥ 0.8x it off"]
    assert (sqlite.measured, sqlite.status) == ("failed", "n/a")


def test_without_a_sqlite_or_mariadb_run_only_postgresql_g_is_judged() -> None:
    outcome = make_report()
    outcome.sqlite = None
    outcome.mariadb = None
    verdicts = [v.target for v in evaluate(outcome) if "change feed on" in v.target]
    assert verdicts == ["G, PostgreSQL: D with the change feed on ≥ 0.8x it off"]


def test_g_delivery_is_judged_on_throughput_and_latency_per_database() -> None:
    verdicts = verdicts_by_target()
    rate = "G, PostgreSQL: delivery ≥ 2,000 events/s from one process"
    assert (verdicts[rate].measured, verdicts[rate].status) == ("2,400 events/s", "pass")
    assert verdicts["G, MariaDB: delivery ≥ 2,000 events/s from one process"].status == "fail"
    p50 = "G, MariaDB: commit to receiver p50 ≤ 100 ms (at 500 events/s)"
    assert (verdicts[p50].measured, verdicts[p50].status) == ("120 ms", "fail")
    p99 = "G, PostgreSQL: commit to receiver p99 ≤ 1,000 ms (at 500 events/s)"
    assert verdicts[p99].status == "pass"
    assert verdicts["G, MariaDB: commit to receiver p99 ≤ 1,000 ms (at 500 events/s)"].status == (
        "fail"
    )


def test_without_g_delivery_its_targets_are_not_judged() -> None:
    outcome = make_report()
    outcome.deliveries = []
    verdicts = [v for v in evaluate(outcome) if v.target.startswith("G, delivery")]
    assert verdicts == [Verdict("G, delivery: every target", "not measured", "n/a")]
