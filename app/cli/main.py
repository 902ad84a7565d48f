"""The ``dexgate`` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app import http_protocol, migrate
from app.cli import audit as cli_audit
from app.cli import auth as cli_auth
from app.cli import data as cli_data
from app.cli import errors as cli_errors
from app.cli import webhook as cli_webhook
from app.cli.errors import UsageError
from app.cli.output import echo, printable
from app.database import create_engine, safe_url
from app.settings import Settings
from auth.audit import command_line_actor
from auth.passwords import check_strength
from schema_builder.definition import (
    EntityConfiguration,
    entry_to_dict,
    parse_entries,
)
from schema_builder.registry import CatalogRegistry


def _registry(engine: AsyncEngine, settings: Settings) -> CatalogRegistry:
    return CatalogRegistry(engine, denied_tables=settings.denied_tables, check_interval=0)


async def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    engine = create_engine(settings)
    try:
        return await work(engine)
    except BaseException:
        await engine.dispose()
        await asyncio.to_thread(_join_driver_threads)
        raise
    finally:
        await engine.dispose()


# aiosqlite's thread of a connection (one that failed to open included) still hands its last
# results to the event loop; closed before, the loop makes the thread print a traceback.
_AIOSQLITE_THREAD = "(_connection_worker_thread)"
_SETTLE_SECONDS = 1.0


def _join_driver_threads() -> None:
    """Wait (at most a second each) for aiosqlite's connection threads to end, while the
    event loop still runs to take their last results."""
    for thread in threading.enumerate():
        if thread.name.endswith(_AIOSQLITE_THREAD):
            thread.join(_SETTLE_SECONDS)


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        await migrate.upgrade(engine)
        return 0

    code = asyncio.run(_with_engine(settings, work))
    echo(f"dexgate: database is up to date ({safe_url(settings.database_url)})")
    return code


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    cmd_migrate(settings, args)
    base = f"http://{args.host}:{args.port}"
    echo(
        f"dexgate: serving {safe_url(settings.database_url)} on {base}\n"
        f"  entities:  {base}/\n"
        f"  token:     {base}/token  (OAuth 2.0: password, client_credentials, refresh_token)\n"
        f"  REST:      {base}/dynamic-entity/{{alias}}\n"
        f"  GraphQL:   {base}/graphql  (GraphiQL: {base}/graphiql)\n"
        f"  health:    {base}/health/ready\n"
        f"  try:       curl -g -H 'X-Api-Key: KEY' "
        f"'{base}/dynamic-entity/products?page[offset]=0&page[limit]=5'\n"
        "             (a key: dexgate apikey create NAME --role admin)",
        flush=True,
    )
    uvicorn.run(
        "app.application:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
        # The request head bounded (uvicorn's own parsers bound the request line only).
        http=http_protocol.factory(settings.max_header_size, settings.max_headers),
        # On SIGTERM: stop accepting, let requests in flight finish for up to this long, then
        # cancel them (their transactions roll back) and stop.
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from app import demo

    given = os.environ.get("DEXGATE_ADMIN_PASSWORD") or None
    if given is not None:  # before anything is written: nothing half-done
        try:
            check_strength(given)
        except ValueError as exc:
            raise UsageError(f"DEXGATE_ADMIN_PASSWORD: {exc} Choose a longer one.") from None

    async def work(engine: AsyncEngine) -> int:
        await migrate.upgrade(engine)
        created = await demo.load(engine, _registry(engine, settings))
        echo("dexgate: demo catalog " + ("loaded" if created else "already present"))
        password = await demo.ensure_admin(engine, given)
        if password is None:
            echo("dexgate: Back Office user `admin` exists; its password is unchanged")
        elif given is None:
            echo(
                f"dexgate: Back Office user `admin` created, password: {password}\n"
                "  (shown only this once; set DEXGATE_ADMIN_PASSWORD to choose it)"
            )
        else:
            echo("dexgate: Back Office user `admin` has the password in DEXGATE_ADMIN_PASSWORD")
        echo("dexgate: get a token and call the API:")
        echo(demo.curl_example(args.base_url, password if given is None else None))
        return 0

    return asyncio.run(_with_engine(settings, work))


def _print_report(report: Any) -> None:
    for label in ("created", "updated", "deactivated", "unchanged"):
        names = getattr(report, label)
        if names:
            echo(f"{label}: {', '.join(names)}")


def cmd_entities_apply(settings: Settings, args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {args.file}: {exc}") from None
    configurations = parse_entries(data)

    async def work(engine: AsyncEngine) -> int:
        report = await _registry(engine, settings).apply(
            configurations, prune=args.prune, actor=command_line_actor()
        )
        _print_report(report)
        return 0

    return asyncio.run(_with_engine(settings, work))


async def _readable(registry: CatalogRegistry) -> list[EntityConfiguration]:
    """The stored configurations that can be read; the others are named on stderr."""
    configurations, problems = await registry.stored()
    for problem in problems:
        echo(f"dexgate: left out, cannot be read: {problem}", file=sys.stderr)
    return configurations


def cmd_entities_export(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        configurations = await _readable(_registry(engine, settings))
        echo(json.dumps([entry_to_dict(c) for c in configurations], indent=2))
        return 0

    return asyncio.run(_with_engine(settings, work))


def cmd_entities_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        configurations = await _readable(_registry(engine, settings))
        rows = [("ALIAS", "TABLE", "STATUS", "FIELDS", "RELATIONS")]
        rows += [  # the values are checked names; escaped all the same, as every table's
            (
                c.alias,
                c.table_name,
                "active" if c.is_active else "inactive",
                str(len(c.definition.fields)),
                ", ".join(r.name for r in c.relations) or "-",
            )
            for c in configurations
        ]
        shown = [[printable(v, lines=False) for v in row] for row in rows]
        widths = [max(len(r[i]) for r in shown) for i in range(5)]
        for row in shown:
            echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        return 0

    return asyncio.run(_with_engine(settings, work))


def cmd_entities_add(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        registry = _registry(engine, settings)
        config = await registry.prefill(args.table, args.alias)
        config = dataclasses.replace(config, is_active=args.activate, change_feed=args.change_feed)
        report = await registry.add(config, actor=command_line_actor())
        _print_report(report)
        echo(json.dumps(entry_to_dict(config), indent=2))
        return 0

    return asyncio.run(_with_engine(settings, work))


def cmd_entities_change_feed(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        registry = _registry(engine, settings)
        stored = {c.alias: c for c in await registry.configurations()}
        if args.alias not in stored:
            raise UsageError(f"no entity `{args.alias}` (see `dexgate entities list`)")
        config = dataclasses.replace(stored[args.alias], change_feed=args.state == "on")
        _print_report(await registry.apply([config], actor=command_line_actor()))
        return 0

    return asyncio.run(_with_engine(settings, work))


def cmd_entities_remove(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        removed = await _registry(engine, settings).remove(args.alias, actor=command_line_actor())
        if not removed:
            raise UsageError(f"no entity `{args.alias}` (see `dexgate entities list`)")
        echo(f"removed: {args.alias}")
        return 0

    return asyncio.run(_with_engine(settings, work))


def cmd_schema_print(settings: Settings, _args: argparse.Namespace) -> int:
    from graphql import print_schema

    from schema_builder.graphql.registry import build_valid_schema

    async def work(engine: AsyncEngine) -> int:
        catalog = await _registry(engine, settings).refresh()
        echo(print_schema(build_valid_schema(catalog)))
        return 0

    return asyncio.run(_with_engine(settings, work))


def cmd_openapi_print(settings: Settings, _args: argparse.Namespace) -> int:
    from app.openapi import api_version
    from schema_builder.openapi.document import OpenAPIOptions, build_document, render

    async def work(engine: AsyncEngine) -> int:
        catalog = await _registry(engine, settings).refresh()
        options = OpenAPIOptions(
            max_page_size=settings.max_page_size,
            default_page_size=settings.default_page_size,
            version=api_version(),
        )
        sys.stdout.write(printable(render(build_document(catalog, options))))
        return 0

    return asyncio.run(_with_engine(settings, work))


def build_parser() -> argparse.ArgumentParser:
    parser = cli_errors.ArgumentParser(
        prog="dexgate",
        description="Serve database tables as a Spryker-compatible data exchange API.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="create or upgrade dexgate's own tables").set_defaults(
        handler=cmd_migrate
    )
    serve = commands.add_parser("serve", help="migrate, then serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.set_defaults(handler=cmd_serve)
    demo = commands.add_parser(
        "demo", help="create and register the demo catalog and the admin user (idempotent)"
    )
    demo.add_argument("--base-url", default="http://127.0.0.1:8000", help="for the printed example")
    demo.set_defaults(handler=cmd_demo)

    entities = commands.add_parser("entities", help="manage entity configurations")
    sub = entities.add_subparsers(dest="entities_command", required=True)
    apply = sub.add_parser("apply", help="make the registry match an installer JSON file")
    apply.add_argument("file", help="installer file (a JSON array of entries), or - for stdin")
    apply.add_argument(
        "--prune", action="store_true", help="deactivate entities that are not in the file"
    )
    apply.set_defaults(handler=cmd_entities_apply)
    sub.add_parser("export", help="print the registry as an installer file").set_defaults(
        handler=cmd_entities_export
    )
    sub.add_parser("list", help="list registered entities").set_defaults(handler=cmd_entities_list)
    add = sub.add_parser("add", help="register a table with fields pre-filled from the database")
    add.add_argument("table")
    add.add_argument("--alias", help="resource name (default: derived from the table name)")
    add.add_argument("--activate", action="store_true", help="serve it right away")
    add.add_argument(
        "--change-feed", action="store_true", help="record every change of its rows (change feed)"
    )
    add.set_defaults(handler=cmd_entities_add)
    feed = sub.add_parser("change-feed", help="switch an entity's change feed on or off")
    feed.add_argument("alias")
    feed.add_argument("state", choices=("on", "off"))
    feed.set_defaults(handler=cmd_entities_change_feed)
    schema = commands.add_parser("schema", help="the generated GraphQL schema")
    schema_sub = schema.add_subparsers(dest="schema_command", required=True)
    schema_sub.add_parser("print", help="print the live schema as SDL").set_defaults(
        handler=cmd_schema_print
    )
    openapi = commands.add_parser("openapi", help="the generated OpenAPI document")
    openapi.add_subparsers(dest="openapi_command", required=True).add_parser(
        "print", help="print the OpenAPI document of every entity (as an admin sees it)"
    ).set_defaults(handler=cmd_openapi_print)
    remove = sub.add_parser("remove", help="delete an entity configuration")
    remove.add_argument("alias")
    remove.set_defaults(handler=cmd_entities_remove)
    cli_auth.register(commands)
    cli_data.register(commands)
    cli_audit.register(commands)
    cli_webhook.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run one command; bad input is one line on stderr and exit status 2
    (:mod:`app.cli.errors`). ``environ`` defaults to the process environment."""
    args = build_parser().parse_args(argv)
    database = "(not configured)"
    try:
        settings = Settings.from_env(environ)
        database = safe_url(settings.database_url)
        handler: Callable[[Settings, argparse.Namespace], int] = args.handler
        return handler(settings, args)
    except Exception as exc:
        text = cli_errors.message(exc, database)
        if text is None:
            raise
        echo(f"dexgate: {text}", file=sys.stderr)
        return cli_errors.USAGE


if __name__ == "__main__":
    sys.exit(main())
