"""Many clients writing at once: every write either succeeds or is refused for its own data.

64 clients, half over REST and half over GraphQL, each run the same script of creates,
updates, upserts and deletes of rows of their own, transactional and partial, on SQLite and
PostgreSQL. No answer is a server error (on SQLite, a write no longer fails because another
one holds the database), and the table ends up exactly as the acknowledged writes say: nothing
lost, nothing applied twice, and nothing of a refused transactional write kept.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.gateway import Gateway
from tests.contract.api import Api, GraphqlApi, Outcome, RestApi

CLIENTS = 64
PRODUCTS = "products"
MISSING_CATEGORY = 999_999  # refused by the foreign key, when the row is written


class Script:
    """One client's writes and what the acknowledged ones imply: id -> (sku, price)."""

    def __init__(self, api: Api, number: int) -> None:
        self.api = api
        self.prefix = f"CW{number:02d}-{api.transport[0]}-"
        self.serial = 0
        self.expected: dict[int, tuple[str, Decimal]] = {}
        self.server_errors: list[tuple[str, int]] = []
        self.surprises: list[str] = []

    def product(self, price: str = "1.00", category: int = 1) -> dict[str, Any]:
        self.serial += 1
        return {
            "sku": f"{self.prefix}{self.serial}",
            "name": f"Concurrent {self.serial}",
            "price": price,
            "category_id": category,
            "is_active": True,
        }

    def check(self, step: str, outcome: Outcome, *, ok: bool, saved: int) -> Outcome:
        self.server_errors += [e for e in outcome.errors if e[1] >= 500]
        if outcome.ok != ok or len(outcome.rows) != saved:
            self.surprises.append(f"{step}: {outcome}")
        return outcome

    def saw(self, outcome: Outcome) -> None:
        for row in outcome.rows:
            self.expected[row["id_product"]] = (row["sku"], Decimal(str(row["price"])))

    async def run(self) -> None:
        api = self.api
        created = self.check(
            "create",
            await api.create(PRODUCTS, [self.product("10.00") for _ in range(3)]),
            ok=True,
            saved=3,
        )
        self.saw(created)
        if not created.ok:
            return  # reported; the rest of the script needs these rows
        partial = self.check(
            "partial create",
            await api.create(
                PRODUCTS,
                [self.product("20.00"), self.product("21.00", MISSING_CATEGORY)],
                transactional=False,
            ),
            ok=False,
            saved=1,
        )
        self.saw(partial)
        self.check(
            "refused transactional create",
            await api.create(
                PRODUCTS, [self.product("30.00"), self.product("31.00", MISSING_CATEGORY)]
            ),
            ok=False,
            saved=0,
        )
        ids = sorted(self.expected)
        if len(ids) < 4:
            return
        self.saw(
            self.check(
                "update",
                await api.update(PRODUCTS, [{"id_product": ids[0], "price": "11.11"}]),
                ok=True,
                saved=1,
            )
        )
        self.saw(
            self.check(
                "upsert",
                await api.upsert(
                    PRODUCTS,
                    [{"id_product": ids[1], **self.product("12.12")}, self.product("40.00")],
                ),
                ok=True,
                saved=2,
            )
        )
        self.saw(
            self.check(
                "partial update",
                await api.update(
                    PRODUCTS,
                    [
                        {"id_product": ids[2], "price": "13.13"},
                        {"id_product": ids[3], "category_id": MISSING_CATEGORY},
                    ],
                    transactional=False,
                ),
                ok=False,
                saved=1,
            )
        )
        deleted = self.check("delete", await api.delete(PRODUCTS, ids[0]), ok=True, saved=0)
        if deleted.ok:
            del self.expected[ids[0]]


async def stored(engine: AsyncEngine) -> dict[int, tuple[str, Decimal]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT id_product, sku, price FROM product WHERE sku LIKE 'CW%'")
        )
        return {int(r[0]): (str(r[1]), Decimal(str(r[2]))) for r in rows}


async def test_64_clients_writing_at_once_get_no_server_error_and_lose_nothing(
    client: httpx.AsyncClient, gateway: Gateway, engine: AsyncEngine
) -> None:
    scripts = [
        Script(RestApi(client, gateway) if n % 2 else GraphqlApi(client, gateway), n)
        for n in range(CLIENTS)
    ]

    await asyncio.gather(*(script.run() for script in scripts))

    assert [e for s in scripts for e in s.server_errors] == []
    assert [x for s in scripts for x in s.surprises] == []
    expected = {k: v for s in scripts for k, v in s.expected.items()}
    assert len(expected) == CLIENTS * 4  # 3 + 1 + 1 created, 1 deleted
    assert await stored(engine) == expected
