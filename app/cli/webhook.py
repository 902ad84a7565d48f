"""``dexgate webhook``: create, list, enable, disable and delete webhooks; list their
deliveries; send an event again (docs/change-feed.md, "Webhooks")."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from app.cli.auth import print_table, run_with_engine
from app.cli.errors import Commands, UsageError, positive_int
from app.cli.output import echo
from app.settings import Settings
from auth import store as auth_store
from auth.audit import command_line_actor
from schema_builder.webhooks import store
from schema_builder.webhooks.secrets import SecretBox


async def secret_box(engine: AsyncEngine, settings: Settings) -> SecretBox:
    """The box of webhook secrets: under the secret key the server uses."""
    return SecretBox(settings.secret_key or await auth_store.signing_secret(engine))


def _operations(raw: str) -> list[str]:
    listed = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [op for op in listed if op not in store.OPERATIONS]
    if unknown or not listed:
        raise argparse.ArgumentTypeError(f"events are some of {','.join(store.OPERATIONS)}")
    return listed


def cmd_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        try:
            secret = await store.create_checked(
                engine,
                await secret_box(engine, settings),
                args.name,
                args.url,
                args.entity,
                args.events,
                allow_private=settings.webhook_allow_private,
                actor=command_line_actor(),
            )
        except store.WebhookError as exc:
            raise UsageError(str(exc)) from None
        echo(secret)
        return 0

    return run_with_engine(settings, work)


def cmd_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        print_table(
            [
                [
                    w.name,
                    w.url,
                    ",".join(w.entities),
                    ",".join(w.operations),
                    "active" if w.active else f"disabled ({w.disabled_reason or 'by hand'})",
                ]
                for w in await store.webhooks(engine)
            ],
            ["NAME", "URL", "ENTITIES", "EVENTS", "STATUS"],
        )
        return 0

    return run_with_engine(settings, work)


def _switch(active: bool) -> Callable[[Settings, argparse.Namespace], int]:
    def command(settings: Settings, args: argparse.Namespace) -> int:
        async def work(engine: AsyncEngine) -> int:
            try:
                await store.set_active(
                    engine, args.name, active, actor=command_line_actor(), reason="by hand"
                )
            except store.WebhookError as exc:
                raise UsageError(str(exc)) from None
            echo(f"{'enabled' if active else 'disabled'}: {args.name}")
            return 0

        return run_with_engine(settings, work)

    return command


def cmd_delete(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        try:
            await store.delete(engine, args.name, actor=command_line_actor())
        except store.WebhookError as exc:
            raise UsageError(str(exc)) from None
        echo(f"deleted: {args.name}")
        return 0

    return run_with_engine(settings, work)


def cmd_deliveries(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        try:
            found = await store.deliveries(engine, args.name, failed=args.failed, limit=args.limit)
        except store.WebhookError as exc:
            raise UsageError(str(exc)) from None
        print_table(
            [
                [
                    str(d.event_id),
                    str(d.position),
                    d.entity,
                    d.status,
                    str(d.attempts),
                    "-" if d.last_status_code is None else str(d.last_status_code),
                    d.last_error or "-",
                    d.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S")
                    if d.status == "pending"
                    else "-",
                ]
                for d in found
            ],
            ["EVENT", "POSITION", "ENTITY", "STATUS", "ATTEMPTS", "LAST", "ERROR", "NEXT (UTC)"],
        )
        return 0

    return run_with_engine(settings, work)


def cmd_redeliver(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        count = await store.redeliver(engine, args.event_id, actor=command_line_actor())
        if not count:
            raise UsageError(f"no delivery of event {args.event_id}")
        echo(f"redelivering event {args.event_id} to {count} webhook(s)")
        return 0

    return run_with_engine(settings, work)


def cmd_deliver(settings: Settings, _args: argparse.Namespace) -> int:
    """Run the delivery rounds in this process until SIGTERM or SIGINT (as ``dexgate serve``
    does beside the API); either stops the worker and exits with 0."""
    from app.webhooks import delivery_worker

    async def work(engine: AsyncEngine) -> int:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stopping.set)
        worker = await delivery_worker(engine, settings)
        worker.start()
        try:
            await stopping.wait()
        finally:
            await worker.stop()
        return 0

    try:
        return run_with_engine(settings, work)
    except KeyboardInterrupt:
        return 0


def register(commands: Commands) -> None:
    """Add the webhook commands and ``deliver``."""
    hook = commands.add_parser("webhook", help="webhooks: the change feed delivered by HTTP POST")
    sub = hook.add_subparsers(dest="webhook_command", required=True)
    create = sub.add_parser("create", help="create a webhook; prints its signing secret, once")
    create.add_argument("name")
    create.add_argument("--url", required=True, help="http(s) URL the events are POSTed to")
    create.add_argument(
        "--entity", action="append", required=True, help="an entity alias (repeat for more)"
    )
    create.add_argument(
        "--events",
        type=_operations,
        default=list(store.OPERATIONS),
        help="which operations (default create,update,delete)",
    )
    create.set_defaults(handler=cmd_create)
    sub.add_parser("list", help="list webhooks").set_defaults(handler=cmd_list)
    for name, active in (("enable", True), ("disable", False)):
        switch = sub.add_parser(name, help=f"{name} a webhook")
        switch.add_argument("name")
        switch.set_defaults(handler=_switch(active))
    delete = sub.add_parser("delete", help="delete a webhook and its deliveries")
    delete.add_argument("name")
    delete.set_defaults(handler=cmd_delete)
    deliveries = sub.add_parser("deliveries", help="a webhook's newest deliveries")
    deliveries.add_argument("name")
    deliveries.add_argument("--failed", action="store_true", help="only failed and dead ones")
    deliveries.add_argument("--limit", type=positive_int, default=50)
    deliveries.set_defaults(handler=cmd_deliveries)
    redeliver = sub.add_parser("redeliver", help="send an event again to its webhooks")
    redeliver.add_argument("event_id", type=positive_int)
    redeliver.set_defaults(handler=cmd_redeliver)
    commands.add_parser(
        "deliver", help="deliver webhooks in this process (as dexgate serve does)"
    ).set_defaults(handler=cmd_deliver)
