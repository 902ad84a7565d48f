"""The command line of python -m bench."""

from __future__ import annotations

import pytest

from bench.options import parse


def test_full_run_defaults_match_the_peer_bed() -> None:
    options = parse([])
    assert options.workers == (1,)
    assert (options.load.connections, options.load.threads) == (16, 2)
    assert (options.load.duration, options.load.warmup) == (10, 3)
    assert (options.batches, options.batch_size) == (10, 1000)


def test_quick_shortens_runs_unless_told_otherwise() -> None:
    options = parse(["--quick", "--duration", "5", "--workers", "1,2"])
    assert (options.load.duration, options.load.warmup) == (5, 1)
    assert options.batches == 3
    assert options.workers == (1, 2)


def test_skip_names_parts(capsys: pytest.CaptureFixture[str]) -> None:
    options = parse(["--skip", "peers,raw"])
    assert not options.runs("peers")
    assert options.runs("rest")
    with pytest.raises(SystemExit):
        parse(["--skip", "peers,nothing"])
    assert "unknown part(s) nothing" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["0", "1,x", ""])
def test_worker_counts_must_be_positive_integers(workers: str) -> None:
    with pytest.raises(SystemExit):
        parse(["--workers", workers])


def test_the_spryker_configuration_and_sqlite_can_be_skipped() -> None:
    options = parse(["--skip", "spryker,sqlite"])
    assert not options.runs("spryker")
    assert not options.runs("sqlite")
    assert options.runs("peers")
    assert parse([]).runs("sqlite")


def test_the_mixed_load_on_sqlite_can_be_skipped_apart() -> None:
    options = parse(["--skip", "mixed"])
    assert not options.runs("mixed")
    assert options.runs("sqlite")
    assert options.runs("write")


def test_mariadb_is_measured_on_the_local_server_unless_skipped() -> None:
    options = parse([])
    assert options.mariadb == "mysql://root@127.0.0.1:3306"
    assert options.import_rows == 100_000
    assert parse(["--quick"]).import_rows == 20_000
    skipped = parse(["--skip", "mariadb,import", "--mariadb", "mysql://bench@db:3307"])
    assert not skipped.runs("mariadb")
    assert not skipped.runs("import")
    assert skipped.mariadb == "mysql://bench@db:3307"
