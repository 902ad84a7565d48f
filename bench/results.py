"""What a benchmark run measured: plain dataclasses, written to JSON as they are.

Every measurement that can go wrong is held as ``X | Failure``: a scenario that could not run
says why in the report instead of stopping the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
MARIADB = "mariadb"
DATABASE_LABELS = {POSTGRESQL: "PostgreSQL", SQLITE: "SQLite", MARIADB: "MariaDB"}


@dataclass(frozen=True)
class Failure:
    """A measurement that did not happen, and why."""

    error: str


@dataclass(frozen=True)
class LoadResult:
    """What a load generator measured for one request at fixed concurrency."""

    rps: float
    requests: int
    mean_ms: float
    p50_ms: float
    p99_ms: float
    p90_ms: float | None = None
    max_ms: float | None = None
    socket_errors: int = 0
    non2xx: int = 0
    # CPU time the server's processes spent per request during the measured run (µs; bench.cpu)
    cpu_us: float | None = None


@dataclass(frozen=True)
class PgbenchResult:
    """What pgbench (or, on MariaDB, the driver loop of ``mariadb_raw``) measured for one
    script (one transaction = one request's statements)."""

    tps: float
    mean_ms: float
    transactions: int
    failed: int = 0
    # MariaDB's driver loop (mariadb_raw.py): its own CPU time per request
    client_cpu_us: float | None = None


@dataclass(frozen=True)
class RawRun:
    """The raw database rate of one SQL script, at the same concurrency as the HTTP scenarios.

    ``source`` is ``reference`` for the peer bed's statements (the same for every system) or
    ``dexgate`` for the statements dexgate sent for ``scenario`` (captured from its log).
    """

    name: str
    source: str
    scenario: str
    statements: int
    result: PgbenchResult | Failure


@dataclass(frozen=True)
class WriteResult:
    """Scenario D: sequential POSTs of ``batch_size`` new rows each."""

    batches: int
    batch_size: int
    seconds: float
    rows_per_second: float
    ms_per_request: float


@dataclass(frozen=True)
class FeedWriteResult:
    """Scenario G's write overhead: D's batches with the change feed off and on, in rounds
    that alternate (off, on, off, on, ...) against one server; each side pooled."""

    rounds: int
    off: WriteResult
    on: WriteResult

    @property
    def ratio(self) -> float:
        return (
            self.on.rows_per_second / self.off.rows_per_second if self.off.rows_per_second else 0.0
        )


@dataclass(frozen=True)
class DeliveryResult:
    """Scenario G, delivery, on one database: events delivered in the throughput run and their
    rate; the latency run's p50 and p99 (milliseconds) at ``rate`` events per second written."""

    database: str
    events: int
    events_per_second: float
    p50_ms: float
    p99_ms: float
    rate: float


@dataclass(frozen=True)
class ImportResult:
    """``dexgate import`` of a CSV file: the rate the command reports (the import itself) and
    the whole command's, its start included (``csv_import.py``)."""

    rows: int
    batch_size: int
    rows_per_second: float
    command_seconds: float
    command_rows_per_second: float


@dataclass(frozen=True)
class MixedResult:
    """Reads by id, and single-row updates making up ``write_share`` of the requests, sent
    by ``clients`` concurrent clients for ``seconds`` (``sqlite_mixed.py``).

    ``requests`` counts every answer, errors too (any non-2xx answer, a GraphQL answer with
    ``errors``, a failed connection: ``errors_by_kind``, as ``"rest_patch 503": 3``); the
    latencies are those of the answers without errors.
    """

    write_share: float
    clients: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    writes_per_second: float = 0.0
    write_p99_ms: float = 0.0
    errors: int = 0
    errors_by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AggregateResult:
    """Scenario F on one database and configuration: the grouped totals over REST and GraphQL
    next to the raw rate of the statement dexgate compiles for them (``bench/aggregates.py``).
    ``raw`` is 0 when the replay failed (the notes say why). ``peer``: PostGraphile 5 with
    ``@graphile/pg-aggregates`` asked the same question (PostgreSQL only; a Failure says why it
    was not measured, None where it is not asked)."""

    database: str
    configuration: str
    groups: int
    raw: float
    rest: LoadResult | Failure
    graphql: LoadResult | Failure
    peer: LoadResult | Failure | None = None


@dataclass(frozen=True)
class SchemaBuildResult:
    """Scenario E, first half: building the catalog and GraphQL schema in memory (medians)."""

    entities: int
    fields: int
    repeats: int
    catalog_ms: float
    schema_ms: float

    @property
    def total_ms(self) -> float:
        return self.catalog_ms + self.schema_ms


@dataclass(frozen=True)
class ConfigChangeResult:
    """Scenario E, second half: a change made by the CLI in another process, first served.

    Each sample is the time from the CLI's report that the change is saved to the first polled
    response showing it, per API; ``cli_ms`` is how long the CLI itself took.
    """

    rest_ms: list[float]
    graphql_ms: list[float]
    cli_ms: list[float]

    @property
    def worst_ms(self) -> float:
        return max(self.rest_ms + self.graphql_ms)


@dataclass
class DexgateRun:
    """Everything measured against one ``dexgate serve --workers N``."""

    workers: int
    http: dict[str, LoadResult | Failure] = field(default_factory=dict)
    write: WriteResult | Failure | None = None
    # G: D's batches with the change feed of products off and on (changefeed_capture.py)
    write_feed: FeedWriteResult | Failure | None = None
    config_change: ConfigChangeResult | Failure | None = None
    # SQLite only: reads by id alone, then with 20 % single-row updates (sqlite_mixed.py)
    read_only: MixedResult | Failure | None = None
    mixed: MixedResult | Failure | None = None
    # MariaDB only: `dexgate import` of a CSV file (csv_import.py)
    csv_import: ImportResult | Failure | None = None


@dataclass(frozen=True)
class StatementCount:
    """How many statements on the dataset's tables one request of a scenario sent."""

    database: str
    scenario: str
    statements: int


@dataclass(frozen=True)
class PeerStatus:
    """Whether a peer of the bed answered, and what it said when it did not."""

    system: str
    installed: bool
    detail: str


@dataclass(frozen=True)
class PeerResult:
    """One row of the peer bed's load run (``system`` as peerbench names it)."""

    system: str
    api: str
    scenario: str
    result: LoadResult


@dataclass(frozen=True)
class Machine:
    """Where and on what the run happened, for the report's header."""

    cpu: str
    cores: int
    platform: str
    python: str
    postgres: str
    wrk: str
    commit: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] | None = None
    sqlite: str = ""
    mariadb: str = ""


@dataclass
class Report:
    """A whole run: written as JSON, rendered as Markdown and as a chart."""

    started: str
    machine: Machine
    options: dict[str, object]
    finished: str = ""
    dexgate: list[DexgateRun] = field(default_factory=list)
    raw: list[RawRun] = field(default_factory=list)
    schema_build: SchemaBuildResult | Failure | None = None
    peers: list[PeerStatus] = field(default_factory=list)
    peer_results: list[PeerResult] = field(default_factory=list)
    # dexgate serving the SQLite copy (one worker), beside datasette's figures in peer_results
    sqlite: DexgateRun | None = None
    statements: list[StatementCount] = field(default_factory=list)
    # dexgate serving the same data on MariaDB (one worker), and a driver loop's replay of the
    # statements it sent there
    mariadb: DexgateRun | None = None
    mariadb_raw: list[RawRun] = field(default_factory=list)
    aggregates: list[AggregateResult] = field(default_factory=list)
    deliveries: list[DeliveryResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def primary(self) -> DexgateRun | None:
        """The run the targets are judged on: one worker (the peers run one process) if any."""
        for run in self.dexgate:
            if run.workers == 1:
                return run
        return self.dexgate[0] if self.dexgate else None

    def http(self, name: str, run: DexgateRun | None = None) -> LoadResult | Failure | None:
        """dexgate's result for a scenario (``rest A``) in ``run`` (default: the primary)."""
        chosen = run or self.primary
        return chosen.http.get(name) if chosen else None

    def peer(self, system: str, api: str, scenario: str) -> LoadResult | None:
        for row in self.peer_results:
            if (row.system, row.api, row.scenario) == (system, api, scenario):
                return row.result
        return None

    def statement_count(self, database: str, scenario: str) -> int | None:
        """The statements one request of ``scenario`` sent on ``database`` (None: unknown)."""
        for count in self.statements:
            if (count.database, count.scenario) == (database, scenario):
                return count.statements
        return None

    def mariadb_raw_rate(self, scenario: str) -> PgbenchResult | None:
        """The driver loop's result for the statements dexgate sent for ``scenario`` there."""
        for raw in self.mariadb_raw:
            if raw.scenario == scenario:
                return raw.result if isinstance(raw.result, PgbenchResult) else None
        return None

    def raw_rate(self, source: str, key: str) -> PgbenchResult | None:
        """pgbench's result for a reference script (``a_flat``) or dexgate's scenario SQL."""
        for raw in self.raw:
            if raw.source == source and key in (raw.name, raw.scenario):
                return raw.result if isinstance(raw.result, PgbenchResult) else None
        return None
