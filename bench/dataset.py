"""The benchmark's database: the peer bed's data, registered with dexgate's own command line.

``seed.sql`` is the peer bed's dataset unchanged (50 categories, 10,000 products, 20,000 stock
rows); ``entities.json`` registers it as ``products`` (with the relationships ``category`` and
``stocks``), ``categories`` and ``stocks``. ``spryker_seed.sql`` copies the three tables (same
rows) for the Spryker-style configuration, ``spryker_entities.json``, registered in the same
database as ``spryker-products``, ``spryker-categories`` and ``spryker-stocks`` (see
``configurations.py``). One more small table, ``bench_probe``, registered as ``probes``, is what
the configuration-change scenario edits, so that no measured entity changes.

:func:`build_mariadb` creates the same database on a MariaDB server (``mariadb_data.py``: the
same rows, copied from the PostgreSQL one) and registers both configurations there.
:func:`build_sqlite` makes a SQLite file with the same rows (``sqlite_data.py``), keeps an
untouched copy of it for datasette, and registers ``entities.json`` in the other one.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import mariadb_data, sqlite_data
from bench.configurations import CONFIGURATIONS, DEXGATE, SPRYKER_SEED
from bench.mariadb import MariaDB
from bench.postgres import Postgres
from bench.process import BenchError, dexgate_executable, environ_without, run

HERE = Path(__file__).resolve().parent
SEED = HERE / "seed.sql"
ENTITIES = HERE / "entities.json"
ROLE = "bench"
PROBE_ALIAS = "probes"
PROBE_FIELD = "note"
PROBE_SQL = (
    "CREATE TABLE bench_probe (id serial PRIMARY KEY, label text NOT NULL, note text);"
    "INSERT INTO bench_probe (label, note) VALUES ('probe', 'served');"
)
EXPECTED_ROWS = {"category": 50, "product": 10_000, "stock": 20_000}


@dataclass(frozen=True)
class Dataset:
    """A built database: where it is, the environment dexgate's CLI needs, the API key."""

    database: str
    environ: dict[str, str]
    api_key: str


@dataclass(frozen=True)
class SqliteDataset(Dataset):
    """The SQLite copy: dexgate's file (``database``) and datasette's untouched copy of it."""

    peer_copy: Path


def probe_entry(with_note: bool) -> dict[str, Any]:
    """The ``probes`` entity, with or without its ``note`` field (the change E makes)."""
    fields: list[dict[str, Any]] = [
        _field("id", "integer", creatable=False),
        _field("label", "string", required=True),
    ]
    if with_note:
        fields.append(_field(PROBE_FIELD, "string"))
    return {
        "tableName": "bench_probe",
        "tableAlias": PROBE_ALIAS,
        "isActive": True,
        "definition": {"identifier": "id", "isDeletable": False, "fields": fields},
    }


def dexgate(dataset_environ: dict[str, str], *args: str) -> str:
    """Run ``dexgate ARGS`` against the benchmark database; its standard output."""
    return run([dexgate_executable(), *args], env=dataset_environ, timeout=120)


def build(postgres: Postgres, database: str, work: Path) -> Dataset:
    """Create ``database``, load the data (and its Spryker-style copy), register both
    configurations, create a role and a key."""
    postgres.create_database(database)
    postgres.psql_file(SEED, database)
    postgres.psql_file(SPRYKER_SEED, database)
    postgres.psql(PROBE_SQL, database)
    for prefix in ("", "spy_"):
        counts = postgres.psql(
            f"SELECT (SELECT count(*) FROM {prefix}category) || ' ' || (SELECT count(*) FROM"  # noqa: S608 - fixed names
            f" {prefix}product) || ' ' || (SELECT count(*) FROM {prefix}stock)",
            database,
        ).split()
        if [int(c) for c in counts] != list(EXPECTED_ROWS.values()):
            raise BenchError(f"{prefix}* tables hold {counts} rows, expected {EXPECTED_ROWS}")

    environ = environ_without("DEXGATE_", DEXGATE_DATABASE_URL=postgres.dexgate_url(database))
    entries: list[dict[str, Any]] = []
    for configuration in CONFIGURATIONS:
        entries.extend(json.loads(configuration.entities.read_text()))
    entries.append(probe_entry(with_note=False))
    api_key = register(environ, entries, work / "entities.json")
    return Dataset(database=database, environ=environ, api_key=api_key)


def build_sqlite(postgres: Postgres, database: str, work: Path) -> SqliteDataset:
    """A SQLite file with ``database``'s rows, registered with entities.json; and a copy of
    the file, before dexgate's own tables are added, for datasette."""
    directory = work / "sqlite"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "dexgate.db"
    counts = sqlite_data.write(postgres, database, path)
    if counts != EXPECTED_ROWS:
        raise BenchError(f"the SQLite copy holds {counts} rows, expected {EXPECTED_ROWS}")
    peer_copy = directory / "bench.db"
    shutil.copyfile(path, peer_copy)
    environ = environ_without("DEXGATE_", DEXGATE_DATABASE_URL=f"sqlite+aiosqlite:///{path}")
    entries = json.loads(DEXGATE.entities.read_text())
    api_key = register(environ, entries, directory / "entities.json")
    return SqliteDataset(database=str(path), environ=environ, api_key=api_key, peer_copy=peer_copy)


def build_mariadb(postgres: Postgres, mariadb: MariaDB, database: str, work: Path) -> Dataset:
    """``database`` on the MariaDB server with the PostgreSQL database's rows (and their
    Spryker-style copies, and the probe), both configurations registered, a role and a key."""
    directory = work / "mariadb"
    script = mariadb_data.load_script(postgres, database, directory)
    mariadb.create_database(database)
    mariadb.sql_file(script, database)
    for prefix in ("", "spy_"):
        found = mariadb_data.counts(mariadb, database, prefix)
        if found != EXPECTED_ROWS:
            raise BenchError(f"MariaDB's {prefix}* tables hold {found}, expected {EXPECTED_ROWS}")
    environ = environ_without("DEXGATE_", DEXGATE_DATABASE_URL=mariadb.dexgate_url(database))
    entries: list[dict[str, Any]] = []
    for configuration in CONFIGURATIONS:
        entries.extend(json.loads(configuration.entities.read_text()))
    entries.append(probe_entry(with_note=False))
    api_key = register(environ, entries, directory / "entities.json")
    return Dataset(database=database, environ=environ, api_key=api_key)


def register(environ: dict[str, str], entries: list[dict[str, Any]], entities_file: Path) -> str:
    """With dexgate's own command line: migrate, apply ``entries``, a role and an API key."""
    entities_file.write_text(json.dumps(entries, indent=2))
    dexgate(environ, "migrate")
    dexgate(environ, "entities", "apply", str(entities_file))
    # Measured as users run it: a role of their own granting everything, and an API key.
    dexgate(environ, "role", "set", ROLE, "--grant", "*:*")
    api_key = dexgate(environ, "apikey", "create", "bench", "--role", ROLE).strip()
    if not api_key:
        raise BenchError("`dexgate apikey create` printed no key")
    return api_key


def _field(
    name: str, type_: str, *, creatable: bool = True, required: bool = False
) -> dict[str, Any]:
    return {
        "fieldName": name,
        "fieldVisibleName": name,
        "type": type_,
        "isCreatable": creatable,
        "isEditable": creatable,
        "validation": {"isRequired": required},
    }
