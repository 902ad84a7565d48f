"""The MariaDB server the benchmark creates its database on, reached with the ``mariadb`` client.

The server is given as a URL without a database (``mysql://root@127.0.0.1:3306``); dexgate gets
the same server as an SQLAlchemy URL (``mysql+asyncmy://...``). The password, when there is
one, goes to the client programs in ``MYSQL_PWD``, never on their command line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from bench.process import BenchError, require, run

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
CLIENT_HINT = "install MariaDB's client (apt-get install mariadb-client)"


@dataclass(frozen=True)
class MariaDB:
    """Where the server listens and who to connect as."""

    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> MariaDB:
        """Parse ``mysql://user[:password]@host[:port]`` (or ``mariadb://``; a database path is
        ignored)."""
        parts = urlsplit(url)
        if parts.scheme not in ("mysql", "mariadb"):
            raise BenchError(f"--mariadb wants mysql://user@host:port, not {url!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def dexgate_url(self, database: str) -> str:
        """The ``DEXGATE_DATABASE_URL`` of ``database`` on this server."""
        secret = f":{quote(self.password, safe='')}" if self.password is not None else ""
        user = quote(self.user, safe="")
        return f"mysql+asyncmy://{user}{secret}@{self.host}:{self.port}/{database}"

    def connection_args(self) -> list[str]:
        """``-h HOST -P PORT -u USER`` (over TCP), as mariadb and mariadb-slap take them."""
        return ["-h", self.host, "-P", str(self.port), "-u", self.user, "--protocol=TCP"]

    def environ(self) -> dict[str, str]:
        """The environment for the client programs (the password, when there is one)."""
        extra = {"MYSQL_PWD": self.password} if self.password is not None else {}
        return {**os.environ, **extra}

    def sql(self, statements: str, database: str | None = None) -> str:
        """Run ``statements`` (one or more); the client's tab-separated output, no headers."""
        client = require("mariadb", CLIENT_HINT)
        argv = [client, *self.connection_args(), "--batch", "--skip-column-names"]
        if database is not None:
            argv.append(f"--database={_checked(database)}")
        return run([*argv, "-e", statements], env=self.environ(), timeout=300).strip()

    def sql_file(self, path: Path, database: str) -> None:
        """Run the SQL file ``path`` in ``database``; ``LOAD DATA LOCAL INFILE`` allowed."""
        client = require("mariadb", CLIENT_HINT)
        argv = [client, *self.connection_args(), "--local-infile=1", f"--database={database}"]
        run([*argv, "-e", f"source {path}"], env=self.environ(), timeout=600)

    def create_database(self, name: str) -> None:
        """Create ``name`` (utf8mb4), dropping a leftover of the same name first."""
        self.drop_database(name)
        self.sql(f"CREATE DATABASE {_checked(name)} CHARACTER SET utf8mb4")

    def drop_database(self, name: str) -> None:
        self.sql(f"DROP DATABASE IF EXISTS {_checked(name)}")

    def server_version(self) -> str:
        return self.sql("SELECT VERSION()")


def _checked(name: str) -> str:
    """``name`` if it is a plain lower-case identifier (it is put into SQL as is)."""
    if not _DATABASE_NAME.match(name):
        raise BenchError(f"database name {name!r}: use lower-case letters, digits and _")
    return name
