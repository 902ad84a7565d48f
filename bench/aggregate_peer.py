"""Scenario F's peer: PostGraphile 5 with ``@graphile/pg-aggregates``, asked the same question.

The bench installs it itself, as the peer bed does (``../shared/peerbench``): Node 22 from the
npm package ``node@22`` and PostGraphile with the plugin, each in a directory of its own under
``/tmp`` (kept between runs). pg-aggregates groups a table by its own columns, and truncates
timestamps to the hour or the day only; F groups the stocks by their product's category and
month of creation. So the peer is given, in a schema of its own (``f_peer``, the only one it
exposes), one view per configuration joining the stocks to their products::

    CREATE VIEW f_peer.stock_product AS
      SELECT s.id, s.product_id, s.quantity, p.category_id AS product_category_id,
             p.created_at AS product_created_at
      FROM public.stock s JOIN public.product p ON p.id = s.product_id;

and one more group-by spec, ``truncated-to-month`` (``date_trunc('month', …)``, the plugin's
documented way to add a truncation), in the configuration the bench writes. The question is
then ``stockProducts { groupedAggregates(groupBy: [PRODUCT_CATEGORY_ID,
PRODUCT_CREATED_AT_TRUNCATED_TO_MONTH]) { keys sum { quantity } distinctCount { productId } } }``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import server
from bench.client import Client
from bench.process import BenchError, run

# Kept between runs (an install takes a minute or more), like the peer bed's /tmp/peerbench.
ROOT = Path(tempfile.gettempdir()) / "dexgate-bench-pg-aggregates"
NODE_PACKAGE = "node@22"
PACKAGES = (
    "postgraphile@5",
    "@graphile/simplify-inflection@8",
    "@graphile/pg-aggregates@0.2.0-rc.2",
)
SCHEMA = "f_peer"
LABEL = "PostGraphile 5 with @graphile/pg-aggregates"
INSTALL_TIMEOUT = 900.0
READY_TIMEOUT = 120.0

# One group of F's answer: category, month (YYYY-MM), sum of quantity, distinct products.
Group = tuple[str, str, int, int]

CONFIG = """\
// Written by dexgate's bench (bench/aggregate_peer.py): PostGraphile 5 + pg-aggregates for F.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { makePgService } from "postgraphile/adaptors/pg";

// F groups by month: the plugin truncates to the hour and the day; this adds the month.
const TruncatedToMonthPlugin = {
  name: "TruncatedToMonthPlugin",
  version: "0.0.0",
  after: ["PgAggregatesSpecsPlugin"],
  schema: {
    hooks: {
      build(build) {
        const { sql } = build;
        const { TYPES } = build.dataplanPg;
        build.pgAggregateGroupBySpecs.push({
          id: "truncated-to-month",
          isSuitableType: (codec) => codec === TYPES.timestamp || codec === TYPES.timestamptz,
          sqlWrap: (fragment) => sql`date_trunc('month', ${fragment})`,
          sqlWrapCodec: (codec) => codec,
        });
        return build;
      },
    },
  },
};

export default {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset, PgAggregatesPreset],
  plugins: [TruncatedToMonthPlugin],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: [process.env.PEER_SCHEMA],
      poolConfig: { max: Number(process.env.PG_POOL_MAX ?? 10) },
    }),
  ],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PORT), graphiql: true, watch: false },
  grafast: { explain: false },
};
"""


@dataclass(frozen=True)
class Installed:
    """Where the peer is: Node 22's binary and PostGraphile's installation."""

    node: Path
    directory: Path

    @property
    def cli(self) -> Path:
        return self.directory / "node_modules" / "postgraphile" / "dist" / "cli-run.js"


def install(root: Path = ROOT) -> Installed:
    """Node 22 and PostGraphile with the plugin under ``root`` (installed once, then reused),
    or BenchError saying what is missing."""
    npm = shutil.which("npm")
    if npm is None:
        raise BenchError("npm is not installed (apt-get install npm)")
    node = root / "node22" / "node_modules" / "node" / "bin" / "node"
    if not node.exists():
        _npm_install(npm, root / "node22", "dexgate-bench-node22", (NODE_PACKAGE,))
    installed = Installed(node, root / "postgraphile")
    plugin = installed.directory / "node_modules" / "@graphile" / "pg-aggregates"
    if not installed.cli.exists() or not plugin.exists():
        _npm_install(npm, installed.directory, "dexgate-bench-pg-aggregates", PACKAGES)
    version = run([str(node), "--version"], timeout=30).strip()
    if not version.startswith("v22."):
        raise BenchError(f"{node} is Node {version}, PostGraphile 5 needs Node 22")
    return installed


def _npm_install(npm: str, directory: Path, name: str, packages: Sequence[str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "package.json").exists():
        run([npm, "init", "-y"], cwd=directory, timeout=120)
    # The package must not be named like one it depends on.
    run([npm, "pkg", "set", f"name={name}"], cwd=directory, timeout=120)
    try:
        run(
            [npm, "install", "--no-audit", "--no-fund", *packages],
            cwd=directory,
            timeout=INSTALL_TIMEOUT,
        )
    except BenchError as exc:
        raise BenchError(f"npm could not install {' '.join(packages)}: {exc}") from exc


def view_name(stock_table: str) -> str:
    return f"{stock_table}_product"


def views_sql(tables: Sequence[tuple[str, str]]) -> str:
    """The schema the peer exposes: per (stock table, product table), the stocks joined to
    their products, with the product's category and creation time as columns of their own."""
    statements = [f"CREATE SCHEMA IF NOT EXISTS {SCHEMA};"]
    for stock, product in tables:
        statements.append(
            f"CREATE OR REPLACE VIEW {SCHEMA}.{view_name(stock)} AS\n"  # noqa: S608 - fixed names
            f"  SELECT s.id, s.product_id, s.quantity, p.category_id AS product_category_id,\n"
            f"         p.created_at AS product_created_at\n"
            f"  FROM public.{stock} s JOIN public.{product} p ON p.id = s.product_id;"
        )
    return "\n".join(statements) + "\n"


def root_field(stock_table: str) -> str:
    """The view's connection field, as PostGraphile names it (simplified inflection)."""
    first, *rest = view_name(stock_table).split("_")
    return first + "".join(word.capitalize() for word in rest) + "s"


def query(stock_table: str) -> str:
    return (
        f"{{ {root_field(stock_table)} {{ groupedAggregates(groupBy: [PRODUCT_CATEGORY_ID, "
        f"PRODUCT_CREATED_AT_TRUNCATED_TO_MONTH]) {{ keys sum {{ quantity }} "
        f"distinctCount {{ productId }} }} }} }}"
    )


def peer_groups(answer: dict[str, Any]) -> list[Group]:
    """F's groups in the peer's answer, sorted; ValueError when it answered an error."""
    if answer.get("errors"):
        raise ValueError(f"{LABEL} answered {answer['errors']}")
    (connection,) = answer["data"].values()
    return sorted(
        (
            str(group["keys"][0]),
            str(group["keys"][1])[:7],
            _integer(group["sum"]["quantity"]),
            _integer(group["distinctCount"]["productId"]),
        )
        for group in connection["groupedAggregates"]
    )


def dexgate_groups(
    groups: Sequence[dict[str, Any]], keys: tuple[str, str], measures: tuple[str, str]
) -> list[Group]:
    """F's groups in dexgate's REST answer (keys as written in ``groupBy[]``; the visible
    names of quantity and product_id), sorted like :func:`peer_groups`."""
    quantity, product = measures
    return sorted(
        (
            str(group[keys[0]]),
            str(group[keys[1]])[:7],
            _integer(group["sum"][quantity]),
            _integer(group["countDistinct"][product]),
        )
        for group in groups
    )


def _integer(value: object) -> int:
    number = Decimal(str(value))
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


@contextmanager
def running(installed: Installed, database_url: str, log: Path) -> Iterator[server.Served]:
    """PostGraphile on a free loopback port over ``database_url``'s schema ``f_peer``: its
    base URL and process id once it answers a query; stopped by its process id on leaving,
    also on errors."""
    # The configuration imports the packages: Node resolves them from the file's directory.
    config = installed.directory / f"f-{os.getpid()}.config.mjs"
    config.write_text(CONFIG)
    port = server.free_port()
    environ = {
        "PATH": f"{installed.node.parent}:{os.environ.get('PATH', '')}",
        "DATABASE_URL": database_url,
        "PEER_SCHEMA": SCHEMA,
        "PORT": str(port),
        "GRAPHILE_ENV": "production",
        "NODE_ENV": "production",
    }
    command = [str(installed.node), str(installed.cli), "-C", str(config)]
    with log.open("ab") as sink:
        process = subprocess.Popen(  # noqa: S603 - argv is built by the bench
            command, env=environ, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://{server.HOST}:{port}"
    try:
        _wait_ready(process, base_url, log)
        yield server.Served(base_url, process.pid)
    finally:
        server.stop(process)
        config.unlink(missing_ok=True)


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    with Client(base_url, None, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise BenchError(f"{LABEL} exited with {process.returncode}:\n{tail}")
            try:
                if client.post_json("/graphql", {"query": "{ __typename }"}).status == 200:
                    return
            except OSError:
                client.close()
            time.sleep(0.2)
    raise BenchError(f"{LABEL} did not answer within {READY_TIMEOUT:.0f} s (see {log})")
