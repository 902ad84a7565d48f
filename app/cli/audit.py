"""``dexgate audit``: the newest audit records, as a table or as JSON lines."""

from __future__ import annotations

import argparse
import json

from sqlalchemy.ext.asyncio import AsyncEngine

from app.cli.auth import print_table, run_with_engine
from app.cli.errors import Commands, positive_int
from app.cli.output import echo
from app.settings import Settings
from auth.audit import AuditEntry, entries

SHOWN_IDENTIFIERS = 5


def _identifiers(entry: AuditEntry) -> str:
    shown = ",".join(str(v) for v in entry.identifiers[:SHOWN_IDENTIFIERS])
    count = entry.count if entry.count is not None else len(entry.identifiers)
    return shown + (f" (+{count - SHOWN_IDENTIFIERS})" if count > SHOWN_IDENTIFIERS else "")


def as_json(entry: AuditEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "identifiers": list(entry.identifiers),
        "count": entry.count,
        "detail": dict(entry.detail),
    }


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        found = await entries(
            engine,
            entity=args.entity,
            actor=args.actor,
            action=args.action,
            before=args.before,
            limit=args.limit,
        )
        if args.json:
            for entry in found:
                echo(json.dumps(as_json(entry), ensure_ascii=False))
            return 0
        print_table(
            [
                [
                    str(e.id),
                    e.at.strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    e.action,
                    e.entity or "-",
                    _identifiers(e) or "-",
                    json.dumps(dict(e.detail), ensure_ascii=False) if e.detail else "-",
                ]
                for e in found
            ],
            ["ID", "AT (UTC)", "ACTOR", "ACTION", "ENTITY", "IDENTIFIERS", "DETAIL"],
        )
        return 0

    return run_with_engine(settings, work)


def register(commands: Commands) -> None:
    """Add the audit command."""
    audit = commands.add_parser(
        "audit", help="who changed what: data writes, configurations, users, keys, clients"
    )
    audit.add_argument("--entity", help="only records of this entity alias")
    audit.add_argument("--actor", help="only this actor, e.g. apikey:erp-sync or cli:root")
    audit.add_argument("--action", help="only this action, e.g. create or apikey.revoke")
    audit.add_argument("--before", type=positive_int, help="only records older than this id")
    audit.add_argument("--limit", type=positive_int, default=50, help="how many (default 50)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    audit.set_defaults(handler=cmd_audit)
