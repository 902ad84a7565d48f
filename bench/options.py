"""The command line of ``python -m bench``, read into one frozen Options object."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.load import LoadSettings

ROOT = Path(__file__).resolve().parent.parent
PARTS = (
    "rest",
    "graphql",
    "spryker",
    "sqlite",
    "mariadb",
    "import",
    "mixed",
    "write",
    "schema",
    "aggregates",
    "changefeed",
    "config",
    "raw",
    "peers",
)


@dataclass(frozen=True)
class Options:
    quick: bool
    workers: tuple[int, ...]
    load: LoadSettings
    batches: int
    batch_size: int
    schema_repeats: int
    config_changes: int
    skip: frozenset[str]
    postgres: str
    mariadb: str
    import_rows: int
    database: str
    peerbench: Path
    output: Path
    keep_database: bool

    def runs(self, part: str) -> bool:
        return part not in self.skip

    def summary(self) -> dict[str, object]:
        """What the report's JSON records of how the run was made."""
        return {
            "quick": self.quick,
            "workers": list(self.workers),
            "connections": self.load.connections,
            "threads": self.load.threads,
            "duration": self.load.duration,
            "warmup": self.load.warmup,
            "batches": self.batches,
            "batch_size": self.batch_size,
            "schema_repeats": self.schema_repeats,
            "config_changes": self.config_changes,
            "import_rows": self.import_rows,
            "skip": sorted(self.skip),
        }


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Benchmark dexgate against the raw database and the peers (PostGraphile, Directus) "
            "on the peer bed's dataset; writes JSON, Markdown and a PNG chart."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs (under two minutes), for a smoke test"
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=(1,),
        help="uvicorn worker counts to measure, comma-separated (default 1; e.g. 1,2)",
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk and pgbench -c (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t and pgbench -j (2)")
    parser.add_argument("--duration", type=int, help="seconds per measurement (10; quick 3)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up before each (3; quick 1)")
    parser.add_argument("--batches", type=int, help="D: batches of 1,000 rows (10; quick 3)")
    parser.add_argument(
        "--skip",
        type=_parts,
        default=frozenset(),
        help=f"leave parts out, comma-separated: {', '.join(PARTS)}",
    )
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="the PostgreSQL server to create the benchmark database on (libpq URL)",
    )
    parser.add_argument(
        "--mariadb",
        default="mysql://root@127.0.0.1:3306",
        help="the MariaDB server to create the benchmark database on as well (mysql:// URL)",
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        help="CSV import on MariaDB: rows in the file (100000; quick 20000)",
    )
    parser.add_argument(
        "--database",
        default="dexgate_bench",
        help="name of the database created for the run and dropped after it (dexgate_bench)",
    )
    parser.add_argument(
        "--keep-database", action="store_true", help="do not drop the database at the end"
    )
    parser.add_argument(
        "--peerbench",
        type=Path,
        default=ROOT.parent / "shared" / "peerbench",
        help="the peer bed's directory (default ../shared/peerbench)",
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results", help="where results go"
    )
    return parser


def parse(argv: Sequence[str] | None = None) -> Options:
    args = parser().parse_args(argv)
    quick: bool = args.quick
    load = LoadSettings(
        connections=args.connections,
        threads=args.threads,
        duration=args.duration if args.duration is not None else (3 if quick else 10),
        warmup=args.warmup if args.warmup is not None else (1 if quick else 3),
    )
    return Options(
        quick=quick,
        workers=args.workers,
        load=load,
        batches=args.batches if args.batches is not None else (3 if quick else 10),
        batch_size=1000,
        schema_repeats=2 if quick else 5,
        config_changes=2 if quick else 6,
        skip=args.skip,
        postgres=args.postgres,
        mariadb=args.mariadb,
        import_rows=args.import_rows
        if args.import_rows is not None
        else (20_000 if quick else 100_000),
        database=args.database,
        peerbench=args.peerbench,
        output=args.output,
        keep_database=args.keep_database,
    )


def _workers(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        counts = ()
    if not counts or any(c < 1 for c in counts):
        raise argparse.ArgumentTypeError(f"expected worker counts such as 1 or 1,2, not {text!r}")
    return counts


def _parts(text: str) -> frozenset[str]:
    parts = frozenset(p.strip() for p in text.split(",") if p.strip())
    unknown = parts - set(PARTS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}"
        )
    return parts
