"""CSV import: ``dexgate import products FILE`` (batches of 1,000, transactional), rows/s.

The file holds ``rows`` new products (SKUs of their own, ``IMPORT-...``, deleted afterwards, so
the dataset is the same for what follows). Two rates are kept: the one the command reports on
its last line (``imported N of N records into products (R rows/s)``: reading, checking and
writing, from the first record to the commit), which the target is judged on, and the whole
command's, Python's start and the CLI's imports included.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from bench.dataset import Dataset
from bench.process import BenchError, dexgate_executable
from bench.results import Failure, ImportResult

ALIAS = "products"
SKU_PREFIX = "IMPORT-"
_SUMMARY = re.compile(
    r"imported ([\d,]+) of ([\d,]+) records into \S+ \((?:[\d.,]+ s, )?([\d,]+) rows/s\)"
)


def write_csv(path: Path, rows: int) -> None:
    """``rows`` new products in the entities.json configuration's visible names."""
    with path.open("w", encoding="utf-8") as out:
        out.write("sku,name,price,is_active,category_id\n")
        for i in range(rows):
            price = f"{(i * 7919) % 100_000 / 100 + 1:.2f}"
            active = "true" if i % 10 else "false"
            out.write(f"{SKU_PREFIX}{i:08d},Imported product {i},{price},{active},{i % 50 + 1}\n")


def measure(built: Dataset, rows: int, work: Path) -> ImportResult | Failure:
    """Import ``rows`` products from a CSV file with dexgate's command line; its rates."""
    source = work / f"import-{rows}.csv"
    write_csv(source, rows)
    argv = [dexgate_executable(), "import", ALIAS, str(source), "--batch-size", "1000"]
    started = time.perf_counter()
    try:
        completed = run_import(argv, built.environ)
    except BenchError as exc:
        return Failure(f"CSV import: {exc}")
    seconds = time.perf_counter() - started
    summary = summary_rate(completed)
    if summary is None:
        return Failure(f"CSV import: no summary line in {completed[-300:]!r}")
    imported, rate = summary
    if imported != rows:
        return Failure(f"CSV import: {imported:,} of {rows:,} rows imported")
    return ImportResult(
        rows=rows,
        batch_size=1000,
        rows_per_second=rate,
        command_seconds=round(seconds, 3),
        command_rows_per_second=rows / seconds,
    )


def summary_rate(stderr: str) -> tuple[int, float] | None:
    """The rows imported and the rate of the command's summary line, or None without one."""
    found = _SUMMARY.search(stderr)
    if found is None:
        return None
    return int(found.group(1).replace(",", "")), float(found.group(3).replace(",", ""))


def run_import(argv: list[str], environ: dict[str, str]) -> str:
    """Run the import; what it wrote on stderr (its summary), stdout being empty."""
    completed = subprocess.run(  # noqa: S603 - our own console script
        argv, env=environ, capture_output=True, text=True, timeout=600, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"dexgate import exited with {completed.returncode}: {completed.stderr}")
    return completed.stderr
