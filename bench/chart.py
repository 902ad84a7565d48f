"""The run as a PNG bar chart: dexgate and the peers per scenario, requests/s and p99 latency.

matplotlib is an optional dependency (``pip install -e '.[bench]'``, which ``make bench`` does):
without it the chart is skipped with a note and everything else is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.peers import DIRECTUS, LABELS, POSTGRAPHILE
from bench.report import workers
from bench.results import Failure, LoadResult, Report
from bench.scenarios import ALL_SCENARIOS, Scenario
from bench.targets import API_LABELS

Series = tuple[str, list[LoadResult | None]]


def charted(report: Report) -> list[Scenario]:
    """The PostgreSQL scenarios measured: entities.json's, and the Spryker-style ones when run."""
    return [s for s in ALL_SCENARIOS if any(s.name in run.http for run in report.dexgate)]


def label(scenario: Scenario) -> str:
    """``REST A``, or ``Spryker-style`` above it for that configuration's scenarios."""
    name = f"{API_LABELS[scenario.api]} {scenario.key}"
    configuration = scenario.configuration
    return f"{configuration.label}\n{name}" if configuration.prefix else name


def series(report: Report) -> list[Series]:
    """One bar series per dexgate run and per measured peer, a value (or None) per scenario."""
    drawn: list[Series] = []
    scenarios = charted(report)
    for run in report.dexgate:
        values = [_loaded(report.http(s.name, run)) for s in scenarios]
        drawn.append((f"dexgate, {workers(run.workers)}", values))
    peers: list[tuple[str, Callable[[str, str], LoadResult | None]]] = [
        (LABELS[POSTGRAPHILE], lambda _api, key: report.peer(POSTGRAPHILE, "graphql", key)),
        (LABELS[DIRECTUS], lambda api, key: report.peer(DIRECTUS, api, key)),
    ]
    for label, find in peers:
        values = [find(s.api, s.key) for s in scenarios]
        if any(v is not None for v in values):
            drawn.append((label, values))
    return drawn


def draw(report: Report, path: Path) -> Path | None:
    """Write the chart to ``path``; None when matplotlib is not installed."""
    try:
        import matplotlib  # type: ignore[import-not-found,unused-ignore]  # optional: [bench]
    except ImportError:
        return None
    matplotlib.use("Agg")
    from matplotlib import pyplot  # type: ignore[import-not-found,unused-ignore]

    drawn = series(report)
    labels = [label(s) for s in charted(report)]
    figure, (rates, latencies) = pyplot.subplots(2, 1, figsize=(14, 8), sharex=True)
    width = 0.8 / max(1, len(drawn))
    for index, (name, values) in enumerate(drawn):
        offsets = [x + (index - (len(drawn) - 1) / 2) * width for x in range(len(labels))]
        rps = [v.rps if v else 0.0 for v in values]
        p99 = [v.p99_ms if v else 0.0 for v in values]
        bars = rates.bar(offsets, rps, width, label=name)
        rates.bar_label(bars, labels=[f"{r:,.0f}" if r else "" for r in rps], fontsize=7)
        latencies.bar(offsets, p99, width, label=name)
    rates.set_ylabel("requests/s (higher is better)")
    latencies.set_ylabel("p99 latency, ms (lower is better)")
    latencies.set_xticks(range(len(labels)), labels)
    rates.legend(fontsize=8)
    connections = report.options.get("connections")
    compared = "dexgate vs peers" if len(drawn) > len(report.dexgate) else "dexgate (no peers)"
    rates.set_title(f"{compared}, {connections} connections, {report.started}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def _loaded(result: LoadResult | Failure | None) -> LoadResult | None:
    return result if isinstance(result, LoadResult) else None
