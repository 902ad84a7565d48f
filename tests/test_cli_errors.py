"""Bad input to every command: one line on stderr saying what is wrong and what to do, exit
status 2, nothing on stdout and nothing written (the database file reads the same after)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cli.main import main
from tests.test_cli import run

UNREACHABLE = "postgresql+asyncpg://postgres:secret@127.0.0.1:1/dexgate"
NO_SUCH_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/dexgate_no_such_database"


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    says: str  # a part of the one line
    url: str | None = None  # DEXGATE_DATABASE_URL instead of the demo database
    env: tuple[tuple[str, str], ...] = ()
    file: str | None = None  # written to FILE, which the arguments name


CASES = {
    "migrate": Case(("migrate",), "cannot reach the database", url=UNREACHABLE),
    "serve": Case(("serve", "--port", "1"), "names the driver `foo`", url="foo://host/db"),
    "entities apply (malformed JSON)": Case(
        ("entities", "apply", "FILE"), "cannot read", file='[{"tableName": '
    ),
    "entities apply (missing file)": Case(
        ("entities", "apply", "/nonexistent/entities.json"), "No such file or directory"
    ),
    "entities apply (not entries)": Case(
        ("entities", "apply", "FILE"), "must hold a JSON array", file='{"a": 1}'
    ),
    "entities export": Case(
        (
            "entities",
            "export",
        ),
        "cannot reach the database",
        url=NO_SUCH_DATABASE,
    ),
    "entities list": Case(("entities", "list"), "is not a database URL", url="no url"),
    "entities add": Case(("entities", "add", "no_such_table"), "does not exist"),
    "entities remove": Case(("entities", "remove", "ghosts"), "no entity `ghosts`"),
    "schema print": Case(("schema", "print"), "cannot reach the database", url=UNREACHABLE),
    "openapi print": Case(
        ("openapi", "print"),
        "names the driver `mysql+nosuchdriver`",
        url="mysql+nosuchdriver://h/d",
    ),
    "user list": Case(
        ("user", "list"), "DEXGATE_MAX_PAGE_SIZE", env=(("DEXGATE_MAX_PAGE_SIZE", "0"),)
    ),
    "user disable": Case(("user", "disable", "ghost"), "There is no user 'ghost'"),
    "user enable": Case(("user", "enable", "ghost"), "There is no user 'ghost'"),
    "user roles": Case(("user", "roles", "admin", "--role", "pilot"), "No such role: pilot"),
    "role set": Case(("role", "set", "pilot", "--grant", "products"), "products"),
    "role list": Case(("role", "list"), "cannot reach the database", url=UNREACHABLE),
    "role delete": Case(("role", "delete", "admin"), "admin"),
    "apikey create (bad date)": Case(
        ("apikey", "create", "erp", "--role", "admin", "--expires", "2027-13-45"),
        "--expires takes a date",
    ),
    "apikey create (unknown role)": Case(
        ("apikey", "create", "erp", "--role", "pilot"), "No such role: pilot"
    ),
    "apikey list": Case(("apikey", "list"), "cannot reach the database", url=UNREACHABLE),
    "apikey revoke": Case(("apikey", "revoke", "ghost"), "There is no API key 'ghost'"),
    "client create": Case(("client", "create", "erp", "--role", "pilot"), "No such role: pilot"),
    "client rotate": Case(("client", "rotate", "ghost"), "ghost"),
    "client list": Case(("client", "list"), "not a database URL", url="::"),
    "client revoke": Case(("client", "revoke", "ghost"), "ghost"),
    "export (unknown alias)": Case(("export", "ghosts"), "no active entity `ghosts`"),
    "export (bad filter)": Case(("export", "products", "--filter", "price"), "--filter takes"),
    "import (unknown alias)": Case(("import", "ghosts", "FILE"), "no active entity", file="a\n1\n"),
    "import (missing file)": Case(
        ("import", "products", "/nonexistent/products.csv"), "cannot read"
    ),
    "import (malformed CSV)": Case(
        ("import", "products", "FILE", "--format", "csv"), "header", file="sku;name\nA;B\n"
    ),
    "import (malformed JSON)": Case(
        ("import", "products", "FILE", "--format", "json"), "cannot read", file="{]"
    ),
    "audit (bad number)": Case(("audit", "--before", "abc"), "got 'abc'"),
    "audit (bad date)": Case(("audit", "--limit", "2027-01-01"), "got '2027-01-01'"),
    "unknown command": Case(("entities", "prune"), "invalid choice: 'prune'"),
}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-errors") / "template.db"
    result = run(path, "demo", DEXGATE_ADMIN_PASSWORD="correct horse battery")
    assert result.returncode == 0, result.stderr
    return path


def dump(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as connection:
        return list(connection.iterdump())


Dexgate = Callable[..., tuple[int, str, str]]


@pytest.fixture
def dexgate(capsys: pytest.CaptureFixture[str]) -> Dexgate:
    """``main`` run in this process: its exit status, stdout and stderr."""

    def call(*args: str, environ: dict[str, str]) -> tuple[int, str, str]:
        try:
            code = main(list(args), environ)
        except SystemExit as exc:  # argparse exits on arguments it cannot read
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_line_on_stderr_with_exit_status_2_and_writes_nothing(
    demo_template: Path, tmp_path: Path, dexgate: Dexgate, case: Case
) -> None:
    database = tmp_path / "dexgate.db"
    database.write_bytes(demo_template.read_bytes())
    before = dump(database)
    file = tmp_path / "input.data"
    if case.file is not None:
        file.write_text(case.file)
    args = [str(file) if arg == "FILE" else arg for arg in case.args]
    environ = {"DEXGATE_DATABASE_URL": case.url or f"sqlite+aiosqlite:///{database}"}
    environ.update(case.env)

    code, out, err = dexgate(*args, environ=environ)

    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1, err
    assert err.startswith("dexgate: ")
    assert case.says in err
    assert "Traceback" not in err
    assert dump(database) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["dexgate.db", *(["input.data"] if case.file is not None else [])]
    )


def test_a_weak_admin_password_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    database = tmp_path / "dexgate.db"
    # `make run` runs `dexgate demo` with the password of the environment.
    result = run(database, "demo", DEXGATE_ADMIN_PASSWORD="short")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "dexgate: DEXGATE_ADMIN_PASSWORD: A password needs at least 8 characters. "
        "Choose a longer one.\n"
    )
    assert not database.exists()


@pytest.mark.parametrize("command", ["create", "password"])
def test_a_weak_password_on_stdin_is_one_line_and_exit_status_2(
    demo_template: Path, tmp_path: Path, command: str
) -> None:
    database = tmp_path / "dexgate.db"
    database.write_bytes(demo_template.read_bytes())
    before = dump(database)
    name = "alice" if command == "create" else "admin"
    roles = ("--role", "admin") if command == "create" else ()
    result = run(database, "user", command, name, *roles, "--password-stdin", stdin="short\n")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "dexgate: A password needs at least 8 characters.\n"
    assert dump(database) == before


def test_a_sqlite_file_that_cannot_be_opened_is_one_line_and_exit_status_2(
    tmp_path: Path,
) -> None:
    # Run as its own process: aiosqlite's thread for the failed connection outlives the loop.
    missing = tmp_path / "dexgate.db"
    missing.mkdir()  # a directory where the file should be
    result = run(missing, "migrate")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"dexgate: cannot reach the database sqlite+aiosqlite:///{missing} (unable to open "
        "database file); check that it runs and that DEXGATE_DATABASE_URL is right\n"
    )
