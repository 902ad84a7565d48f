"""``dexgate user|role|apikey|client``: manage principals and roles from scripts.

Secrets go to stdout alone (an API key) or as ``name: value`` lines (a client), so a script can
capture them; passwords are read from stdin with ``--password-stdin``, never from arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from app.cli.errors import Commands
from app.cli.output import echo, printable
from app.database import create_engine
from app.settings import Settings
from auth import store
from auth.audit import command_line_actor
from auth.permissions import format_grants

Handler = Callable[[Settings, argparse.Namespace], int]


def run_with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    async def main() -> int:
        engine = create_engine(settings)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _stamp(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def print_table(rows: list[list[str]], header: list[str]) -> None:
    """Rows under a header, in aligned columns; each cell on one line, escaped."""
    rows = [[printable(cell, lines=False) for cell in row] for row in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise store.AuthStoreError("The passwords differ.")
    return first


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        await store.create_user(
            engine, args.name, read_password(args), args.role, actor=command_line_actor()
        )
        echo(f"dexgate: user {args.name} created", file=sys.stderr)
        return 0

    return run_with_engine(settings, work)


def cmd_user_password(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        await store.set_password(engine, args.name, read_password(args), actor=command_line_actor())
        echo(f"dexgate: password of {args.name} changed; its sessions are revoked", file=sys.stderr)
        return 0

    return run_with_engine(settings, work)


def cmd_user_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        users = await store.list_users(engine)
        print_table(
            [
                [
                    u.username,
                    "active" if u.is_active else "disabled",
                    ",".join(u.roles),
                    _stamp(u.last_login_at),
                ]
                for u in users
            ],
            ["USERNAME", "STATUS", "ROLES", "LAST LOGIN"],
        )
        return 0

    return run_with_engine(settings, work)


def _user_active(active: bool) -> Handler:
    def handler(settings: Settings, args: argparse.Namespace) -> int:
        async def work(engine: AsyncEngine) -> int:
            await store.set_user_active(engine, args.name, active, actor=command_line_actor())
            state = "enabled" if active else "disabled; its sessions are revoked"
            echo(f"dexgate: user {args.name} {state}", file=sys.stderr)
            return 0

        return run_with_engine(settings, work)

    return handler


def cmd_user_roles(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        await store.set_user_roles(engine, args.name, args.role, actor=command_line_actor())
        return 0

    return run_with_engine(settings, work)


def cmd_role_set(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        role = await store.set_role(engine, args.name, args.grant, actor=command_line_actor())
        grants = " ".join(format_grants(role.grants)) or "(none)"
        echo(f"dexgate: role {role.name}: {grants}", file=sys.stderr)
        return 0

    return run_with_engine(settings, work)


def cmd_role_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        roles = await store.list_roles(engine)
        rows = []
        for role in roles:
            grants = (
                "*:* and administration"
                if role.name == "admin"
                else " ".join(format_grants(role.grants))
            )
            rows.append([role.name, grants or "-"])
        print_table(rows, ["ROLE", "GRANTS"])
        return 0

    return run_with_engine(settings, work)


def cmd_role_delete(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        await store.delete_role(engine, args.name, actor=command_line_actor())
        return 0

    return run_with_engine(settings, work)


def _expiry(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--expires takes a date or time such as 2027-01-01, got {value!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cmd_apikey_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        key = await store.create_api_key(
            engine, args.name, args.role, args.expires, actor=command_line_actor()
        )
        echo(key)
        return 0

    return run_with_engine(settings, work)


def cmd_apikey_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        keys = await store.list_api_keys(engine)
        print_table(
            [
                [
                    k.name,
                    k.prefix + "…",
                    ",".join(k.roles),
                    k.status(),
                    _stamp(k.valid_to),
                    _stamp(k.last_used_at),
                ]
                for k in keys
            ],
            ["NAME", "PREFIX", "ROLES", "STATUS", "EXPIRES", "LAST USED"],
        )
        return 0

    return run_with_engine(settings, work)


def cmd_apikey_revoke(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        await store.revoke_api_key(engine, args.name, actor=command_line_actor())
        echo(f"dexgate: API key {args.name} revoked", file=sys.stderr)
        return 0

    return run_with_engine(settings, work)


def cmd_client_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        client_id, secret = await store.create_client(
            engine, args.name, args.role, actor=command_line_actor()
        )
        echo(f"client_id: {client_id}\nclient_secret: {secret}")
        return 0

    return run_with_engine(settings, work)


def cmd_client_rotate(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        client_id, secret = await store.rotate_client_secret(
            engine, args.name, actor=command_line_actor()
        )
        echo(f"client_id: {client_id}\nclient_secret: {secret}")
        return 0

    return run_with_engine(settings, work)


def cmd_client_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        clients = await store.list_clients(engine)
        print_table(
            [
                [
                    c.name,
                    c.client_id,
                    ",".join(c.roles),
                    "active" if c.is_active else "revoked",
                    _stamp(c.last_used_at),
                ]
                for c in clients
            ],
            ["NAME", "CLIENT ID", "ROLES", "STATUS", "LAST USED"],
        )
        return 0

    return run_with_engine(settings, work)


def cmd_client_revoke(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        await store.set_client_active(engine, args.name, False, actor=command_line_actor())
        echo(f"dexgate: client {args.name} revoked", file=sys.stderr)
        return 0

    return run_with_engine(settings, work)


def _named(sub: Commands, name: str, text: str, handler: Handler) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=text)
    parser.add_argument("name")
    parser.set_defaults(handler=handler)
    return parser


def register(commands: Commands) -> None:
    """Add the user, role, apikey and client commands."""
    user = commands.add_parser("user", help="Back Office users (password grant)")
    sub = user.add_subparsers(dest="user_command", required=True)
    create = _named(sub, "create", "create a user", cmd_user_create)
    create.add_argument("--role", action="append", required=True, help="repeatable")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    password = _named(sub, "password", "set a user's password", cmd_user_password)
    password.add_argument("--password-stdin", action="store_true")
    sub.add_parser("list", help="list users").set_defaults(handler=cmd_user_list)
    _named(sub, "disable", "disable a user and revoke its sessions", _user_active(False))
    _named(sub, "enable", "enable a user", _user_active(True))
    roles = _named(sub, "roles", "replace a user's roles", cmd_user_roles)
    roles.add_argument("--role", action="append", required=True)

    role = commands.add_parser("role", help="roles and their grants")
    sub = role.add_subparsers(dest="role_command", required=True)
    set_ = _named(sub, "set", "create a role or replace its grants", cmd_role_set)
    set_.add_argument(
        "--grant",
        action="append",
        default=[],
        help="ALIAS:OPERATIONS, e.g. products:read,create or 'categories:*' (repeatable)",
    )
    sub.add_parser("list", help="list roles").set_defaults(handler=cmd_role_list)
    _named(sub, "delete", "delete a role", cmd_role_delete)

    apikey = commands.add_parser("apikey", help="API keys (X-Api-Key header)")
    sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = _named(sub, "create", "create a key and print it (shown only once)", cmd_apikey_create)
    create.add_argument("--role", action="append", required=True)
    create.add_argument("--expires", type=_expiry, help="e.g. 2027-01-01 (UTC)")
    sub.add_parser("list", help="list keys").set_defaults(handler=cmd_apikey_list)
    _named(sub, "revoke", "revoke a key", cmd_apikey_revoke)

    client = commands.add_parser("client", help="OAuth clients (client_credentials grant)")
    sub = client.add_subparsers(dest="client_command", required=True)
    create = _named(sub, "create", "register a client and print its credentials", cmd_client_create)
    create.add_argument("--role", action="append", required=True)
    _named(sub, "rotate", "give a client a new secret", cmd_client_rotate)
    sub.add_parser("list", help="list clients").set_defaults(handler=cmd_client_list)
    _named(sub, "revoke", "revoke a client", cmd_client_revoke)
