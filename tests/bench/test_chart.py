"""The chart's series and labels (drawing needs matplotlib: see bench/chart.py)."""

from __future__ import annotations

from bench.chart import charted, label, series

from .reports import make_report


def test_both_configurations_are_charted_with_their_own_labels() -> None:
    scenarios = charted(make_report())
    assert [label(s) for s in scenarios][:3] == ["REST A", "REST B", "REST C"]
    assert label(scenarios[6]) == "Spryker-style\nREST A"
    assert len(scenarios) == 12


def test_each_series_has_a_value_per_charted_scenario() -> None:
    report = make_report()
    drawn = dict(series(report))
    assert set(drawn) == {
        "dexgate, 2 workers",
        "dexgate, 1 worker",
        "PostGraphile 5",
        "Directus 12",
    }
    one = drawn["dexgate, 1 worker"]
    assert len(one) == 12
    spryker_a = one[6]  # Spryker-style REST A
    assert spryker_a is not None
    assert spryker_a.rps == 2500
    assert drawn["PostGraphile 5"][6] is not None  # compared with PostGraphile's A
