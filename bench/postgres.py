"""The PostgreSQL server the benchmark creates its database on, reached with psql.

The server is given as a libpq URL without a database (``postgresql://postgres@127.0.0.1:5432``);
dexgate gets the same server as an SQLAlchemy URL (``postgresql+asyncpg://...``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from bench.process import BenchError, require, run

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Postgres:
    """Where the server listens and who to connect as (trust, or the URL's password)."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Postgres:
        """Parse ``postgresql://user[:password]@host[:port]`` (a database path is ignored)."""
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise BenchError(f"--postgres wants postgresql://user@host:port, not {url!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def dexgate_url(self, database: str) -> str:
        """The ``DEXGATE_DATABASE_URL`` of ``database`` on this server."""
        secret = f":{quote(self.password, safe='')}" if self.password is not None else ""
        user = quote(self.user, safe="")
        return f"postgresql+asyncpg://{user}{secret}@{self.host}:{self.port}/{database}"

    def connection_args(self) -> list[str]:
        """``-h HOST -p PORT -U USER``, as psql and pgbench take them."""
        return ["-h", self.host, "-p", str(self.port), "-U", self.user]

    def environ(self) -> dict[str, str]:
        """The environment for psql and pgbench (the password, when there is one)."""
        extra = {"PGPASSWORD": self.password} if self.password is not None else {}
        return {**os.environ, **extra}

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` (one or more statements) and return psql's unaligned output."""
        psql = require("psql", "install PostgreSQL's client (apt-get install postgresql-client)")
        argv = [psql, *self.connection_args(), "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt"]
        return run([*argv, "-c", sql], env=self.environ()).strip()

    def psql_file(self, path: Path, database: str) -> None:
        """Run the SQL file ``path`` in ``database``."""
        psql = require("psql", "install PostgreSQL's client (apt-get install postgresql-client)")
        argv = [psql, *self.connection_args(), "-d", database, "-v", "ON_ERROR_STOP=1", "-q"]
        run([*argv, "-f", str(path)], env=self.environ())

    def create_database(self, name: str) -> None:
        """Create ``name``, dropping a leftover of the same name first."""
        self.drop_database(name)
        self.psql(f"CREATE DATABASE {_checked(name)}")

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {_checked(name)} WITH (FORCE)")

    def server_version(self) -> str:
        return self.psql("SHOW server_version")


def _checked(name: str) -> str:
    """``name`` if it is a plain lower-case identifier (it is put into SQL as is)."""
    if not _DATABASE_NAME.match(name):
        raise BenchError(f"database name {name!r}: use lower-case letters, digits and _")
    return name
