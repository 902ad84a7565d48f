"""The SQLite peers: datasette 0.65 (its JSON API) and datasette-graphql, on the same data.

Both are PyPI packages of the optional dependency group ``bench`` (``pip install -e
'.[bench]'``; they install beside dexgate without changing any of its dependencies' versions).
They are optional peers, like PostGraphile: when the ``datasette`` command is not installed
next to the running interpreter, or the datasette-graphql plugin is missing, the peer is
reported "not installed" and the run goes on.

datasette serves an untouched copy of the SQLite file dexgate serves (``dataset.build_sqlite``)
as an immutable database named ``bench``, started by ``datasette_serve.py`` (``datasette
serve -i`` without the access log, ``suggest_facets`` off), with datasette-graphql's
``num_queries_limit`` raised to 1,000: it runs one query per nested list, 100 for B's stocks,
which its default of 100 refuses. Its cases, each checked once before it is driven by wrk like
dexgate's:

- REST A: ``/bench/product.json?_size=100&_shape=array&_nocount=1``; REST C:
  ``/bench/product/4242.json?_shape=array`` (datasette's JSON has no nested rows: no B);
- GraphQL A and B against datasette-graphql. It types a column by SQLite's affinity, so the
  ``TIMESTAMP`` column ``created_at`` is a Float and its text fails every query that asks for
  it: ``created_at`` is left out of both (the peer returns one field fewer than dexgate). A
  foreign key column is its row (``category_id { id }``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.client import Client
from bench.load import HttpRequest, LoadSettings, drive
from bench.process import BenchError, CommandError, run
from bench.results import Failure, LoadResult, PeerResult, PeerStatus
from bench.scenarios import PRODUCT_ID
from bench.server import free_port, running

DATASETTE = "datasette"
DATASETTE_GRAPHQL = "datasette-graphql"
LABELS = {DATASETTE: "datasette 0.65", DATASETTE_GRAPHQL: "datasette-graphql"}
VERSION_PREFIX = "0.65."
DATABASE = "bench"
NUM_QUERIES_LIMIT = 1000
LAUNCHER = Path(__file__).resolve().parent / "datasette_serve.py"
INSTALL_HINT = "pip install -e '.[bench]'"

FLAT = "id sku name price is_active category_id { id }"
NESTED = (
    "id sku name price is_active category_id { id name } "
    "stock_list { nodes { id warehouse quantity } }"
)


class PeerCheckError(BenchError):
    """A peer's answer did not hold what the case asks for."""


@dataclass(frozen=True)
class Case:
    """One request to a SQLite peer, for dexgate's scenario ``api key``."""

    system: str
    api: str
    key: str
    path: str
    graphql: str | None = None
    rows: int = 100
    nested: bool = False

    @property
    def name(self) -> str:
        return f"{LABELS[self.system]} {self.api} {self.key}"

    @property
    def body(self) -> str | None:
        return None if self.graphql is None else json.dumps({"query": self.graphql})


CASES: tuple[Case, ...] = (
    Case(DATASETTE, "rest", "A", f"/{DATABASE}/product.json?_size=100&_shape=array&_nocount=1"),
    Case(DATASETTE, "rest", "C", f"/{DATABASE}/product/{PRODUCT_ID}.json?_shape=array", rows=1),
    Case(
        DATASETTE_GRAPHQL,
        "graphql",
        "A",
        "/graphql",
        f"{{ product(first: 100) {{ nodes {{ {FLAT} }} }} }}",
    ),
    Case(
        DATASETTE_GRAPHQL,
        "graphql",
        "B",
        "/graphql",
        f"{{ product(first: 100) {{ nodes {{ {NESTED} }} }} }}",
        nested=True,
    ),
)


def metadata() -> dict[str, Any]:
    """datasette's metadata: datasette-graphql's query limit raised for B."""
    return {"plugins": {DATASETTE_GRAPHQL: {"num_queries_limit": NUM_QUERIES_LIMIT}}}


def executable() -> str | None:
    """The ``datasette`` command next to the running interpreter, else on the PATH."""
    beside = Path(sys.executable).parent / "datasette"
    if beside.exists():
        return str(beside)
    return shutil.which("datasette")


def detect() -> list[PeerStatus]:
    """Whether datasette 0.65 and datasette-graphql are installed."""
    command = executable()
    if command is None:
        reason = f"not installed: no `datasette` command ({INSTALL_HINT})"
        return [PeerStatus(DATASETTE, False, reason), PeerStatus(DATASETTE_GRAPHQL, False, reason)]
    try:
        version = parse_version(run([command, "--version"], timeout=60))
        plugins = parse_plugins(run([command, "plugins"], timeout=60))
    except (CommandError, ValueError) as exc:
        reason = f"not installed: `datasette` does not run ({str(exc)[:200]})"
        return [PeerStatus(DATASETTE, False, reason), PeerStatus(DATASETTE_GRAPHQL, False, reason)]
    return statuses(version, plugins)


def statuses(version: str, plugins: dict[str, str]) -> list[PeerStatus]:
    """The two peers' statuses from datasette's version and its plugins' versions."""
    if not version.startswith(VERSION_PREFIX):
        reason = f"not installed: datasette {version}, not {VERSION_PREFIX}x ({INSTALL_HINT})"
        return [PeerStatus(DATASETTE, False, reason), PeerStatus(DATASETTE_GRAPHQL, False, reason)]
    found = [PeerStatus(DATASETTE, True, f"datasette {version}")]
    graphql = plugins.get(DATASETTE_GRAPHQL)
    if graphql is None:
        found.append(
            PeerStatus(DATASETTE_GRAPHQL, False, f"not installed: no plugin ({INSTALL_HINT})")
        )
    else:
        found.append(PeerStatus(DATASETTE_GRAPHQL, True, f"datasette-graphql {graphql}"))
    return found


def parse_version(output: str) -> str:
    """``0.65.5`` from ``datasette, version 0.65.5``."""
    words = output.strip().split()
    if len(words) < 2 or words[-2] != "version":
        raise ValueError(f"unexpected `datasette --version` output {output.strip()[:100]!r}")
    return words[-1]


def parse_plugins(output: str) -> dict[str, str]:
    """Plugin name -> version, from ``datasette plugins`` (a JSON list)."""
    listed = json.loads(output)
    return {p["name"]: str(p.get("version")) for p in listed if isinstance(p, dict)}


def serve_command(database: Path, port: int, metadata_file: Path) -> list[str]:
    """The launcher, run by the interpreter datasette is installed for."""
    command = executable()
    if command is None:
        raise BenchError(f"`datasette` is not installed ({INSTALL_HINT})")
    python = Path(command).parent / "python"
    interpreter = str(python) if python.exists() else sys.executable
    return [interpreter, str(LAUNCHER), str(database), str(port), str(metadata_file)]


def check(case: Case, status: int, body: bytes) -> None:
    """PeerCheckError unless the answer holds the case's rows (and related rows for B)."""
    if status != 200:
        raise PeerCheckError(f"{case.name}: HTTP {status}: {body[:300]!r}")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise PeerCheckError(f"{case.name}: not JSON: {body[:300]!r}") from exc
    rows = _rows(case, document)
    if len(rows) != case.rows:
        raise PeerCheckError(f"{case.name}: {len(rows)} rows, expected {case.rows}")
    if case.nested:
        for row in rows:
            stocks = row.get("stock_list")
            nodes = stocks.get("nodes") if isinstance(stocks, dict) else None
            if not isinstance(row.get("category_id"), dict) or not nodes:
                raise PeerCheckError(f"{case.name}: product {row.get('id')} lacks related rows")


def _rows(case: Case, document: Any) -> list[dict[str, Any]]:
    if case.api == "graphql":
        if not isinstance(document, dict) or document.get("errors"):
            raise PeerCheckError(f"{case.name}: errors in {document!r:.300}")
        data = document.get("data")
        product = data.get("product") if isinstance(data, dict) else None
        document = product.get("nodes") if isinstance(product, dict) else None
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise PeerCheckError(f"{case.name}: no rows in {document!r:.300}")
    return document


def measure(
    installed: set[str], database: Path, settings: LoadSettings, work: Path
) -> tuple[list[PeerResult], list[str]]:
    """Serve ``database`` with datasette and measure the installed peers' cases; the rows
    and what failed."""
    cases = [c for c in CASES if c.system in installed]
    if not cases:
        return [], []
    metadata_file = work / "datasette-metadata.json"
    metadata_file.write_text(json.dumps(metadata()))
    port = free_port()
    command = serve_command(database, port, metadata_file)
    results: list[PeerResult] = []
    errors: list[str] = []
    try:
        log = work / "datasette.log"
        with running(command, port, dict(os.environ), log, None, "/-/versions.json") as base:
            for case in cases:
                outcome = measure_case(case, base, settings)
                if isinstance(outcome, Failure):
                    errors.append(outcome.error)
                else:
                    results.append(PeerResult(case.system, case.api, case.key, outcome))
    except BenchError as exc:
        errors.append(f"datasette did not start: {exc}")
    return results, errors


def measure_case(case: Case, base_url: str, settings: LoadSettings) -> LoadResult | Failure:
    """Check the case's answer once, then drive it with wrk."""
    try:
        with Client(base_url, None) as client:
            answer = client.request(
                "POST" if case.body else "GET",
                case.path,
                case.body.encode() if case.body else None,
            )
        check(case, answer.status, answer.body)
        return drive(HttpRequest(base_url + case.path, body=case.body), None, settings)
    except BenchError as exc:
        return Failure(str(exc))
    except OSError as exc:
        return Failure(f"{case.name}: {exc}")
