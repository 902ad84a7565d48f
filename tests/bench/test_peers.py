"""Reading the peer bed's TSV, and finding no bed."""

from __future__ import annotations

from pathlib import Path

from bench.peers import DIRECTUS, POSTGRAPHILE, detect, parse_tsv

TSV = (
    "system\tcase\tapi\trps\tavg_ms\tp50_ms\tp99_ms\trequests\terrors\tnon2xx\n"
    "postgres-15\ta_flat\tpgbench -M prepared\t20184.7\t0.79\t-\t-\t201602\t0\t0\n"
    "postgraphile-5\ta_flat\tgraphql\t1082.3\t14.82\t14.43\t27.01\t10845\t0\t0\n"
    "postgraphile-5\tc_one\tgraphql\t3130.1\t5.14\t4.62\t10.97\t31362\t0\t0\n"
    "directus-12\tb_nested\trest\t123.0\t129.46\t124.57\t244.64\t1234\t1\t2\n"
    "directus-12\tb_brief\trest\t136.3\t117.79\t109.91\t254.98\t1367\t0\t0\n"
    "directus-12-admintoken\ta_flat\trest\t210.3\t76.29\t68.68\t130.06\t2108\t0\t0\n"
)


def test_tsv_keeps_the_scenario_rows_of_known_peers() -> None:
    rows = parse_tsv(TSV)
    assert [(r.system, r.api, r.scenario) for r in rows] == [
        (POSTGRAPHILE, "graphql", "A"),
        (POSTGRAPHILE, "graphql", "C"),
        (DIRECTUS, "rest", "B"),
    ]


def test_tsv_row_becomes_a_load_result() -> None:
    directus = parse_tsv(TSV)[2].result
    assert directus.rps == 123.0
    assert (directus.mean_ms, directus.p50_ms, directus.p99_ms) == (129.46, 124.57, 244.64)
    assert (directus.requests, directus.socket_errors, directus.non2xx) == (1234, 1, 2)


def test_without_a_peer_bed_both_peers_are_not_installed(tmp_path: Path) -> None:
    statuses = detect(tmp_path / "nowhere")
    assert [(s.system, s.installed) for s in statuses] == [
        (POSTGRAPHILE, False),
        (DIRECTUS, False),
    ]
    assert all("not installed" in s.detail for s in statuses)
