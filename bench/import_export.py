"""Rows/s and peak memory of ``dexgate import`` and ``dexgate export`` on PostgreSQL.

Usage: ``python bench/import_export.py [--rows 100000] [--export-rows 1000000] [--batch-size N]``

Creates a database of its own (``dexgate_bench_import``, dropped at the end) with psql, loads the
demo and then, each command run as its own process (peak RSS of that process, from wait4):

1. imports ``--rows`` generated products from CSV (rows/s, peak RSS);
2. tops the table up to ``--export-rows`` rows (INSERT ... SELECT generate_series) and exports it
   as CSV and as NDJSON (rows/s, peak RSS);
3. imports that CSV export into an empty copy of the table registered as a second entity
   (``product-copies``, identifier creatable) and checks that both tables hold the same rows.

``--export-rows 0`` skips steps 2 and 3. Peak RSS is counted from the command's start, after
Python has imported the CLI (see RUN); the baseline is that of ``dexgate entities list``: what a
command needs before any data. Needs the ``.venv`` of ``make install`` and a
PostgreSQL server on 127.0.0.1:5432 (user ``postgres``) with ``psql``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEXGATE = ROOT / ".venv" / "bin" / "dexgate"
PYTHON = ROOT / ".venv" / "bin" / "python"
# `dexgate ARGS`, with the peak RSS counted from the command's start: importing the CLI peaks at
# ~110 MiB on its own (auth.passwords hashes a dummy password with argon2's 64 MiB at import),
# which would hide what the command itself uses. Writing 5 to clear_refs resets the peak.
RUN = (
    "import sys\n"
    "from app.cli.main import main\n"
    "with open('/proc/self/clear_refs', 'w') as peak:\n"
    "    peak.write('5')\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
DATABASE = "dexgate_bench_import"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt"]
ENVIRON = {
    **{k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")},
    "DEXGATE_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}",
}
# The same rows in product and product_copy: one digest over every column, in key order.
DIGEST = (
    "SELECT count(*), md5(string_agg(concat_ws('|', id_product, sku, name, description, price, "
    "is_active, category_id), ',' ORDER BY id_product)) FROM {table}"
)


def psql(sql: str, database: str = DATABASE) -> str:
    result = subprocess.run(  # noqa: S603 - psql with our own fixed statements
        [*PSQL, "-d", database, "-c", sql], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def measured(*args: str, stdout_path: Path | None = None) -> tuple[float, float, str]:
    """Run ``dexgate args``: seconds, peak RSS in MiB from the command's start, and stderr."""
    with open(stdout_path or os.devnull, "wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [str(PYTHON), "-c", RUN, *args], env=ENVIRON, stdout=sink, stderr=subprocess.PIPE
        )
        assert process.stderr is not None
        stderr = process.stderr.read().decode()
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"dexgate {' '.join(args)} failed ({process.returncode}):\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stderr


def write_products(path: Path, count: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("sku,name,description,price,is_active,category_id\n")
        for i in range(count):
            description = '"A product, with a comma"' if i % 2 else ""
            price = f"{(i * 7919) % 1_000_000 / 100:.2f}"
            active = "true" if i % 3 else "false"
            out.write(
                f"{prefix}-{i:08d},Bench product {i},{description},{price},{active},{i % 12 + 1}\n"
            )


def line(label: str, rows: int, seconds: float, rss: float) -> None:
    print(
        f"{label:<44} {rows:>11,} rows {seconds:>7.1f} s {rows / seconds:>9,.0f} rows/s "
        f"  peak RSS {rss:>6.0f} MiB",
        flush=True,
    )


def copy_entry() -> str:
    """The registered products entry, on product_copy, with a creatable identifier."""
    entries = json.loads(
        subprocess.run(  # noqa: S603 - our own console script
            [str(DEXGATE), "entities", "export"],
            env=ENVIRON,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    entry = next(e for e in entries if e["tableAlias"] == "products")
    entry.update(
        tableName="product_copy", tableAlias="product-copies", childRelations=[], parentRelations=[]
    )
    entry["definition"]["fields"][0]["isCreatable"] = True
    return json.dumps([entry])


def run(rows: int, export_rows: int, batch_size: str, work: Path) -> None:
    subprocess.run(  # noqa: S603 - our own console script
        [str(DEXGATE), "demo"], env=ENVIRON, capture_output=True, check=True
    )
    _, baseline, _ = measured("entities", "list")
    print(f"{'baseline (dexgate entities list)':<44} {'':>39}   peak RSS {baseline:>6.0f} MiB")

    source = work / "products.csv"
    write_products(source, rows, "BENCH")
    seconds, rss, _ = measured("import", "products", str(source), "--batch-size", batch_size)
    line(f"import csv (batch {batch_size}, transactional)", rows, seconds, rss)
    if not export_rows:
        return

    missing = export_rows - int(psql("SELECT count(*) FROM product"))
    psql(
        "INSERT INTO product (sku, name, description, price, is_active, category_id) "  # noqa: S608 - the one value is an int we computed
        "SELECT 'FILL-' || g, 'Filler ' || g, CASE WHEN g % 2 = 0 THEN 'text, \"quoted\"' END, "
        "(g % 100000) / 100.0, g % 3 > 0, g % 12 + 1 "
        f"FROM generate_series(1, {int(missing)}) g"
    )
    total = int(psql("SELECT count(*) FROM product"))
    for format_ in ("csv", "ndjson"):
        target = work / f"export.{format_}"
        seconds, rss, _ = measured("export", "products", "-o", str(target))
        line(f"export {format_} ({target.stat().st_size / 2**20:,.0f} MiB)", total, seconds, rss)

    psql("CREATE TABLE product_copy (LIKE product INCLUDING ALL)")
    entries = work / "copy.json"
    entries.write_text(copy_entry())
    subprocess.run(  # noqa: S603 - our own console script
        [str(DEXGATE), "entities", "apply", str(entries)],
        env=ENVIRON,
        capture_output=True,
        check=True,
    )
    seconds, rss, _ = measured(
        "import", "product-copies", str(work / "export.csv"), "--batch-size", batch_size
    )
    line("import the csv export into an empty copy", total, seconds, rss)
    original = psql(DIGEST.format(table="product"))
    copied = psql(DIGEST.format(table="product_copy"))
    verdict = "the same rows" if original == copied else f"DIFFERENT rows: {original} / {copied}"
    print(f"round trip: product and product_copy hold {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import (default 100000)")
    parser.add_argument(
        "--export-rows", type=int, default=1_000_000, help="rows to export (default 1000000)"
    )
    parser.add_argument("--batch-size", default="1000")
    args = parser.parse_args()
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {DATABASE}", "postgres")
    try:
        with tempfile.TemporaryDirectory(prefix="dexgate-bench-") as work:
            run(args.rows, max(args.export_rows, 0), args.batch_size, Path(work))
    finally:
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", "postgres")


if __name__ == "__main__":
    main()
