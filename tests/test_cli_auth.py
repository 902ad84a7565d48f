"""``dexgate user|role|apikey|client`` and the demo's admin user: the real console script in
subprocesses on a SQLite file, checked against the running app (in-process) on the same file."""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from app import migrate
from app.application import create_app
from app.database import create_engine
from app.gateway import Gateway
from app.settings import Settings
from auth import store
from auth.errors import InvalidAccessTokenError
from auth.principal import Principal
from tests.lifespan import lifespan
from tests.test_cli import ok, run

BASE = "http://dexgate.test"
PASSWORD = "correct horse battery"
KEY = re.compile(r"dxg_[A-Za-z0-9_-]{43}")
T = TypeVar("T")


def fails(database: Path, *args: str, code: int = 2, stdin: str | None = None) -> str:
    """Run a command that must fail with ``code`` and print nothing on stdout; its stderr."""
    result = run(database, *args, stdin=stdin)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    return result.stderr


def table(output: str) -> dict[str, list[str]]:
    """A listing's rows by their first column; columns are separated by two or more spaces."""
    lines = output.splitlines()
    assert lines, "no header"
    return {cells[0]: cells for cells in (re.split(r"\s{2,}", line) for line in lines[1:])}


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(database)) as connection:
        rows: list[tuple[Any, ...]] = connection.execute(sql).fetchall()
        return rows


def create_user(database: Path, name: str, *roles: str, password: str = PASSWORD) -> str:
    role_args = [arg for role in roles for arg in ("--role", role)]
    result = run(
        database, "user", "create", name, *role_args, "--password-stdin", stdin=password + "\n"
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def client_credentials(output: str) -> tuple[str, str]:
    lines = output.splitlines()
    assert len(lines) == 2, output
    id_match = re.fullmatch(r"client_id: (dxc_[0-9a-f]{24})", lines[0])
    secret_match = re.fullmatch(r"client_secret: ([A-Za-z0-9_-]{43})", lines[1])
    assert id_match is not None, lines[0]
    assert secret_match is not None, lines[1]
    return id_match.group(1), secret_match.group(1)


# --- the running app on the same file ----------------------------------------------------------


def with_app(database: Path, work: Callable[[httpx.AsyncClient, Gateway], Awaitable[T]]) -> T:
    """Start the app on ``database`` (no principal cache) and run ``work`` against it."""

    async def main() -> T:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{database}",
            secret_key="test",
            catalog_check_interval=0,
            auth_cache_seconds=0,
        )
        app = create_app(settings)
        async with (
            lifespan(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client,
        ):
            gateway: Gateway = app.state.gateway
            return await work(client, gateway)

    return asyncio.run(main())


def token_request(database: Path, **form: str) -> httpx.Response:
    async def work(client: httpx.AsyncClient, _gateway: Gateway) -> httpx.Response:
        return await client.post("/token", data=form)

    return with_app(database, work)


def login(database: Path, username: str, password: str) -> Principal | None:
    """The principal a password-grant token stands for, or None when the grant is refused."""

    async def work(client: httpx.AsyncClient, gateway: Gateway) -> Principal | None:
        response = await client.post(
            "/token", data={"grant_type": "password", "username": username, "password": password}
        )
        if response.status_code != 200:
            assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
            return None
        try:
            return await gateway.authenticator.from_access_token(response.json()["access_token"])
        except InvalidAccessTokenError:
            return None

    return with_app(database, work)


def key_principal(database: Path, key: str) -> Principal | None:
    async def work(_client: httpx.AsyncClient, gateway: Gateway) -> Principal | None:
        return await gateway.authenticator.from_api_key(key)

    return with_app(database, work)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated, with a role ``reader`` that may read products and a user ``alice`` holding it
    (password PASSWORD); no demo catalog, no admin user."""
    path = tmp_path_factory.mktemp("cli-auth-template") / "template.db"

    async def prepare() -> None:
        engine = create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        try:
            await migrate.upgrade(engine)
            await store.set_role(engine, "reader", ["products:read"])
            await store.create_user(engine, "alice", PASSWORD, ["reader"])
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    return path


@pytest.fixture
def database(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "dexgate.db"
    shutil.copyfile(template, path)
    return path


# --- users -------------------------------------------------------------------------------------


def users(database: Path) -> list[tuple[Any, ...]]:
    return query(database, "SELECT username, is_active FROM dexgate_user ORDER BY username")


def roles_of(database: Path, username: str) -> list[str]:
    rows = query(
        database,
        "SELECT r.role_name FROM dexgate_principal_role r JOIN dexgate_user u "
        "ON r.principal_kind = 'user' AND r.principal_id = u.id "
        f"WHERE u.username = '{username}' ORDER BY r.role_name",
    )
    return [name for (name,) in rows]


def test_user_create_reads_the_password_from_stdin_and_the_user_gets_a_token(
    database: Path,
) -> None:
    stderr = create_user(database, "bob", "reader")

    principal = login(database, "bob", PASSWORD)

    assert stderr == "dexgate: user bob created\n"
    assert principal is not None
    assert (principal.kind, principal.name, principal.roles) == ("user", "bob", ("reader",))
    assert principal.allows("products", "read")
    assert not principal.allows("products", "create")
    assert login(database, "bob", PASSWORD + "!") is None


def test_user_create_with_an_unknown_role_fails_and_names_it(database: Path) -> None:
    stderr = fails(
        database, "user", "create", "bob", "--role", "ghost", "--password-stdin", stdin=PASSWORD
    )

    assert stderr.startswith("dexgate: No such role: ghost.")
    assert "dexgate role set" in stderr
    assert users(database) == [("alice", 1)]


def test_creating_an_existing_user_fails_and_keeps_the_first(database: Path) -> None:
    stderr = fails(
        database,
        "user",
        "create",
        "alice",
        "--role",
        "admin",
        "--password-stdin",
        stdin="another password\n",
    )

    assert stderr == "dexgate: User 'alice' exists already.\n"
    assert users(database) == [("alice", 1)]
    assert roles_of(database, "alice") == ["reader"]
    assert login(database, "alice", "another password") is None
    assert login(database, "alice", PASSWORD) is not None


def test_a_short_password_is_refused_with_the_minimum_length(database: Path) -> None:
    stderr = fails(
        database, "user", "create", "carol", "--role", "reader", "--password-stdin", stdin="short\n"
    )

    assert stderr == "dexgate: A password needs at least 8 characters.\n"
    assert users(database) == [("alice", 1)]


def test_user_list_shows_users_with_status_and_roles(database: Path) -> None:
    create_user(database, "bob", "reader", "admin")

    output = ok(database, "user", "list")

    assert output.splitlines()[0].split() == ["USERNAME", "STATUS", "ROLES", "LAST", "LOGIN"]
    assert table(output) == {
        "alice": ["alice", "active", "reader", "-"],
        "bob": ["bob", "active", "admin,reader", "-"],
    }


def test_a_disabled_user_is_listed_as_such_and_cannot_log_in_until_enabled(
    database: Path,
) -> None:
    disabled = run(database, "user", "disable", "alice")
    listed = table(ok(database, "user", "list"))["alice"]
    refused = login(database, "alice", PASSWORD)
    enabled = run(database, "user", "enable", "alice")

    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stderr == "dexgate: user alice disabled; its sessions are revoked\n"
    assert listed[:2] == ["alice", "disabled"]
    assert refused is None
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stderr == "dexgate: user alice enabled\n"
    assert users(database) == [("alice", 1)]
    assert login(database, "alice", PASSWORD) is not None


def test_user_password_replaces_the_password(database: Path) -> None:
    ok(database, "user", "password", "alice", "--password-stdin", stdin="a new password\n")

    assert login(database, "alice", PASSWORD) is None
    assert login(database, "alice", "a new password") is not None


def test_user_roles_replaces_the_roles(database: Path) -> None:
    ok(database, "user", "roles", "alice", "--role", "admin")

    assert roles_of(database, "alice") == ["admin"]


def test_commands_on_an_unknown_user_fail(database: Path) -> None:
    assert fails(database, "user", "disable", "ghost") == "dexgate: There is no user 'ghost'.\n"


# --- roles -------------------------------------------------------------------------------------


def grants(database: Path) -> list[tuple[Any, ...]]:
    return query(
        database,
        "SELECT role_name, entity, operation FROM dexgate_role_grant "
        "ORDER BY role_name, entity, operation",
    )


def test_role_set_with_grants_then_role_list_shows_them(database: Path) -> None:
    result = run(
        database,
        "role",
        "set",
        "editor",
        "--grant",
        "products:read,create",
        "--grant",
        "categories:*",
    )

    rows = table(ok(database, "role", "list"))

    assert result.returncode == 0, result.stderr
    assert result.stderr == "dexgate: role editor: categories:* products:read,create\n"
    assert rows == {
        "admin": ["admin", "*:* and administration"],
        "editor": ["editor", "categories:* products:read,create"],
        "reader": ["reader", "products:read"],
    }


def test_role_set_of_an_existing_role_replaces_its_grants(database: Path) -> None:
    ok(database, "role", "set", "reader", "--grant", "countries:read,update")

    assert grants(database) == [("reader", "countries", "read"), ("reader", "countries", "update")]


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (
            "products:fly",
            "dexgate: Unknown operation 'fly' in grant 'products:fly'; "
            "use read, create, update, delete or *.\n",
        ),
        (
            "products",
            "dexgate: Cannot read grant 'products': write ALIAS:OPERATIONS, "
            "e.g. products:read,create or 'categories:*'.\n",
        ),
    ],
    ids=["unknown-operation", "no-colon"],
)
def test_a_grant_that_cannot_be_read_fails_with_how_to_write_it(
    database: Path, grant: str, message: str
) -> None:
    stderr = fails(database, "role", "set", "pilot", "--grant", "products:read", "--grant", grant)

    assert stderr == message
    assert query(database, "SELECT name FROM dexgate_role ORDER BY name") == [
        ("admin",),
        ("reader",),
    ]
    assert grants(database) == [("reader", "products", "read")]


@pytest.mark.parametrize("command", ["set", "delete"])
def test_the_admin_role_cannot_be_changed_or_deleted(database: Path, command: str) -> None:
    grant = ["--grant", "products:read"] if command == "set" else []

    stderr = fails(database, "role", command, "admin", *grant)

    assert stderr.startswith("dexgate: The admin role is built in")
    assert ("admin",) in query(database, "SELECT name FROM dexgate_role")
    assert grants(database) == [("reader", "products", "read")]


def test_role_delete_removes_the_role_from_its_holders(database: Path) -> None:
    ok(database, "role", "delete", "reader")

    assert query(database, "SELECT name FROM dexgate_role") == [("admin",)]
    assert roles_of(database, "alice") == []
    assert grants(database) == []


# --- API keys ----------------------------------------------------------------------------------


def test_apikey_create_prints_only_the_key_and_the_key_authenticates(database: Path) -> None:
    result = run(database, "apikey", "create", "ci", "--role", "reader")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    key = result.stdout.removesuffix("\n")
    assert KEY.fullmatch(key), result.stdout
    principal = key_principal(database, key)
    assert principal is not None
    assert (principal.kind, principal.name, principal.roles) == ("apikey", "ci", ("reader",))
    assert principal.allows("products", "read")
    assert not principal.allows("products", "delete")


def test_apikey_create_with_expires_stores_the_date_and_list_shows_it(database: Path) -> None:
    future = ok(
        database, "apikey", "create", "yearly", "--role", "reader", "--expires", "2099-12-31"
    )
    ok(
        database,
        "apikey",
        "create",
        "zoned",
        "--role",
        "reader",
        "--expires",
        "2099-06-30T12:30+02:00",
    )
    past = ok(database, "apikey", "create", "old", "--role", "reader", "--expires", "2020-01-01")

    rows = table(ok(database, "apikey", "list"))

    assert [rows[n][3:5] for n in ("yearly", "zoned", "old")] == [
        ["active", "2099-12-31 00:00"],
        ["active", "2099-06-30 10:30"],
        ["expired", "2020-01-01 00:00"],
    ]
    assert key_principal(database, future.strip()) is not None
    assert key_principal(database, past.strip()) is None


@pytest.mark.parametrize("value", ["tomorrow", "2099-13-01"])
def test_apikey_create_with_a_bad_expiry_date_is_a_usage_error(database: Path, value: str) -> None:
    stderr = fails(
        database, "apikey", "create", "ci", "--role", "reader", "--expires", value, code=2
    )

    assert stderr == (
        "dexgate: argument --expires: --expires takes a date or time "
        f"such as 2027-01-01, got {value!r} (see `dexgate apikey create --help`)\n"
    )
    assert query(database, "SELECT count(*) FROM dexgate_api_key") == [(0,)]


def test_apikey_list_shows_the_prefix_never_the_key(database: Path) -> None:
    key = ok(database, "apikey", "create", "ci", "--role", "reader", "--role", "admin").strip()

    output = ok(database, "apikey", "list")

    assert output.splitlines()[0].split() == [
        "NAME",
        "PREFIX",
        "ROLES",
        "STATUS",
        "EXPIRES",
        "LAST",
        "USED",
    ]
    assert table(output)["ci"] == ["ci", key[:10] + "…", "admin,reader", "active", "-", "-"]
    assert key not in output
    assert key[10:] not in output


def test_apikey_revoke_then_the_key_is_refused(database: Path) -> None:
    key = ok(database, "apikey", "create", "ci", "--role", "reader").strip()
    assert key_principal(database, key) is not None

    revoked = run(database, "apikey", "revoke", "ci")

    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stderr == "dexgate: API key ci revoked\n"
    assert key_principal(database, key) is None
    assert table(ok(database, "apikey", "list"))["ci"][3] == "revoked"


def test_apikey_revoke_of_an_unknown_key_fails(database: Path) -> None:
    assert fails(database, "apikey", "revoke", "ghost") == "dexgate: There is no API key 'ghost'.\n"


# --- OAuth clients -----------------------------------------------------------------------------


def test_client_create_prints_exactly_the_id_and_the_secret_which_get_a_token(
    database: Path,
) -> None:
    result = run(database, "client", "create", "erp", "--role", "reader")

    assert result.returncode == 0, result.stderr
    client_id, secret = client_credentials(result.stdout)
    response = token_request(
        database, grant_type="client_credentials", client_id=client_id, client_secret=secret
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"
    listed = table(ok(database, "client", "list"))["erp"]
    assert listed[:4] == ["erp", client_id, "reader", "active"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", listed[4]), listed  # just used


def test_client_rotate_replaces_the_secret(database: Path) -> None:
    client_id, old = client_credentials(ok(database, "client", "create", "erp", "--role", "reader"))

    rotated_id, new = client_credentials(ok(database, "client", "rotate", "erp"))

    assert rotated_id == client_id
    assert new != old
    refused = token_request(
        database, grant_type="client_credentials", client_id=client_id, client_secret=old
    )
    accepted = token_request(
        database, grant_type="client_credentials", client_id=client_id, client_secret=new
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_client"
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["access_token"]


def test_client_revoke_stops_the_client_getting_tokens(database: Path) -> None:
    client_id, secret = client_credentials(
        ok(database, "client", "create", "erp", "--role", "reader")
    )

    ok(database, "client", "revoke", "erp")

    refused = token_request(
        database, grant_type="client_credentials", client_id=client_id, client_secret=secret
    )
    assert refused.status_code in (400, 401), refused.text
    assert refused.json()["error"] == "invalid_client"
    assert query(database, "SELECT name, is_active FROM dexgate_oauth_client") == [("erp", 0)]


# --- the demo's admin user ---------------------------------------------------------------------


def test_demo_with_an_admin_password_in_the_environment_uses_it(database: Path) -> None:
    chosen = "my chosen admin password"

    output = ok(database, "demo", DEXGATE_ADMIN_PASSWORD=chosen)

    assert "dexgate: Back Office user `admin` has the password in DEXGATE_ADMIN_PASSWORD" in output
    assert chosen not in output
    assert "password=$DEXGATE_ADMIN_PASSWORD" in output
    principal = login(database, "admin", chosen)
    assert principal is not None
    assert principal.is_admin


def test_demo_without_a_password_prints_a_random_one_once_that_works(database: Path) -> None:
    first = ok(database, "demo", "--base-url", "http://example.test:9000")
    again = ok(database, "demo", "--base-url", "http://example.test:9000")

    found = re.search(r"^dexgate: Back Office user `admin` created, password: (\S+)$", first, re.M)
    assert found is not None, first
    password = found.group(1)
    assert len(password) >= 12
    assert "dexgate: Back Office user `admin` exists; its password is unchanged" in again
    assert password not in again
    principal = login(database, "admin", password)
    assert principal is not None
    assert principal.is_admin
    assert "curl -s http://example.test:9000/token -d grant_type=password -d username=admin" in (
        first
    )


def test_the_printed_curl_example_works_as_written(database: Path) -> None:
    """Run the printed commands' requests against the app: token, REST page, GraphQL query."""
    output = ok(database, "demo", "--base-url", BASE)
    lines = output.splitlines()
    token_line = next(line for line in lines if line.startswith("TOKEN=$(curl"))
    rest_line = next(line for line in lines if "/dynamic-entity/" in line)
    graphql_line = next(line for line in lines if "/graphql" in line)
    printed = re.search(r"created, password: (\S+)$", output, re.M)
    assert printed is not None, output
    token_args = shlex.split(token_line.removeprefix("TOKEN=$(").partition(" | ")[0])
    assert token_args[:3] == ["curl", "-s", f"{BASE}/token"]
    assert token_args[3::2] == ["-d", "-d", "--data-urlencode"]
    form = dict(value.split("=", 1) for value in token_args[4::2])
    rest_url = next(arg for arg in shlex.split(rest_line) if arg.startswith(BASE))
    graphql_body = shlex.split(graphql_line)[-1]

    async def work(client: httpx.AsyncClient, _gateway: Gateway) -> list[httpx.Response]:
        issued = await client.post("/token", data=form)
        assert issued.status_code == 200, issued.text
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        rest = await client.get(rest_url, headers=bearer)
        graphql = await client.post(
            "/graphql",
            content=graphql_body,
            headers={**bearer, "Content-Type": "application/json"},
        )
        return [rest, graphql]

    rest, graphql = with_app(database, work)

    assert form == {"grant_type": "password", "username": "admin", "password": printed.group(1)}
    assert rest.status_code == 200, rest.text
    assert graphql.status_code == 200, graphql.text
    products = rest.json()["data"]
    assert len(graphql.json()["data"]["products"]["items"]) == 5
    assert all("category" in product for product in products)
    assert len(products) == 5, "the example asks for page[limit]=5"
