"""The demo catalog: countries, categories, products with decimal prices and stock per
warehouse, registered with relationships both ways (``demo_entities.json``); and product
reviews, a table with rows that is left unregistered, to be exposed by the admin."""

from __future__ import annotations

import json
import random
import secrets
import shlex
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import store
from auth.permissions import ADMIN_ROLE
from auth.transactions import write_transaction
from schema_builder.definition import parse_entries
from schema_builder.registry import CatalogRegistry

metadata = sa.MetaData()

country = sa.Table(
    "country",
    metadata,
    sa.Column("id_country", sa.Integer, primary_key=True),
    sa.Column("iso2_code", sa.String(2), nullable=False, unique=True),
    sa.Column("iso3_code", sa.String(3), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
)

category = sa.Table(
    "category",
    metadata,
    sa.Column("id_category", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("url", sa.String(255), nullable=False, unique=True),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
)

product = sa.Table(
    "product",
    metadata,
    sa.Column("id_product", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("price", sa.Numeric(12, 2), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("category_id", sa.Integer, sa.ForeignKey("category.id_category"), nullable=True),
)

product_stock = sa.Table(
    "product_stock",
    metadata,
    sa.Column("id_product_stock", sa.Integer, primary_key=True),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id_product"), nullable=False),
    sa.Column("warehouse", sa.String(64), nullable=False),
    sa.Column("country_id", sa.Integer, sa.ForeignKey("country.id_country"), nullable=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("is_never_out_of_stock", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("product_id", "warehouse", name="uq_product_stock_warehouse"),
)

# Created with rows but not registered: a table to expose from the Back Office
# (*New entity from a table*) or with `dexgate entities add product_review`.
product_review = sa.Table(
    "product_review",
    metadata,
    sa.Column("id_product_review", sa.Integer, primary_key=True),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id_product"), nullable=False),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
TABLES = (country, category, product, product_stock, product_review)

COUNTRIES = [
    ("DE", "DEU", "Germany"),
    ("AT", "AUT", "Austria"),
    ("CH", "CHE", "Switzerland"),
    ("FR", "FRA", "France"),
    ("NL", "NLD", "Netherlands"),
    ("PL", "POL", "Poland"),
    ("US", "USA", "United States"),
    ("GB", "GBR", "United Kingdom"),
    ("ES", "ESP", "Spain"),
    ("IT", "ITA", "Italy"),
]
CATEGORIES = [
    "Cameras",
    "Laptops",
    "Smartphones",
    "Tablets",
    "Headphones",
    "Monitors",
    "Printers",
    "Keyboards",
    "Smartwatches",
    "Speakers",
    "Storage",
    "Networking",
]
ADJECTIVES = ["Compact", "Pro", "Ultra", "Classic", "Smart", "Wireless", "Studio", "Travel"]
WAREHOUSES = [("Warehouse1", "DE"), ("Warehouse2", "AT"), ("Warehouse3", "US")]
PRODUCTS_PER_CATEGORY = 17


def demo_entries() -> list[Any]:
    text = resources.files("app").joinpath("demo_entities.json").read_text()
    entries: list[Any] = json.loads(text)
    return entries


def demo_rows() -> dict[str, list[dict[str, Any]]]:
    """Deterministic demo data: the same rows on every machine."""
    rng = random.Random(20261127)  # noqa: S311 - demo data, not security
    countries = [
        {"id_country": i, "iso2_code": iso2, "iso3_code": iso3, "name": name}
        for i, (iso2, iso3, name) in enumerate(COUNTRIES, start=1)
    ]
    categories = [
        {"id_category": i, "name": name, "url": f"/{name.lower()}", "is_active": True}
        for i, name in enumerate(CATEGORIES, start=1)
    ]
    country_ids = {c["iso2_code"]: c["id_country"] for c in countries}
    products: list[dict[str, Any]] = []
    stocks: list[dict[str, Any]] = []
    for cat in categories:
        for n in range(PRODUCTS_PER_CATEGORY):
            pid = len(products) + 1
            singular = str(cat["name"]).rstrip("s")
            products.append(
                {
                    "id_product": pid,
                    "sku": f"{str(cat['name'])[:3].upper()}-{pid:05d}",
                    "name": f"{rng.choice(ADJECTIVES)} {singular} {100 + n * 10}",
                    "description": f"A dependable {singular.lower()} for everyday use.",
                    "price": Decimal(rng.randrange(999, 249999)) / 100,
                    "is_active": pid % 11 != 0,
                    "category_id": cat["id_category"],
                }
            )
            for warehouse, iso2 in rng.sample(WAREHOUSES, 2):
                stocks.append(
                    {
                        "id_product_stock": len(stocks) + 1,
                        "product_id": pid,
                        "warehouse": warehouse,
                        "country_id": country_ids[iso2],
                        "quantity": rng.randrange(0, 500),
                        "is_never_out_of_stock": False,
                    }
                )
    return {
        "country": countries,
        "category": categories,
        "product": products,
        "product_stock": stocks,
        "product_review": _reviews(products),
    }


REVIEW_TITLES = [
    ("Does the job", 4),
    ("Excellent value", 5),
    ("Broke after a month", 1),
    ("Fine, nothing special", 3),
    ("Better than expected", 5),
    ("Too expensive for what it is", 2),
]


def _reviews(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = random.Random(20261128)  # noqa: S311 - demo data, not security
    reviews: list[dict[str, Any]] = []
    for item in products[:60]:
        for _ in range(rng.randrange(1, 4)):
            title, rating = rng.choice(REVIEW_TITLES)
            reviews.append(
                {
                    "id_product_review": len(reviews) + 1,
                    "product_id": item["id_product"],
                    "rating": rating,
                    "title": title,
                    "body": None if rating == 3 else f"{title}. Bought it for work.",
                    "created_at": datetime(2026, 1, 1) + timedelta(hours=7 * len(reviews)),
                }
            )
    return reviews


ADMIN_USER = "admin"
GRAPHQL_EXAMPLE = '{"query": "{ products(limit: 5) { items { sku name } } }"}'


async def load(engine: AsyncEngine, registry: CatalogRegistry) -> bool:
    """Create the demo tables and rows unless present, and register them. Idempotent."""
    created = False
    async with write_transaction(engine) as connection:
        await connection.run_sync(metadata.create_all)
        if await connection.scalar(sa.select(sa.func.count()).select_from(product)) == 0:
            rows = demo_rows()
            for table in TABLES:
                await connection.execute(sa.insert(table), rows[table.name])
            created = True
        if connection.dialect.name == "postgresql":
            for table in TABLES:
                pk = next(iter(table.primary_key.columns)).name
                await connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk}'), "  # noqa: S608 - fixed demo names
                        f"(SELECT COALESCE(MAX({pk}), 1) FROM {table.name}))"
                    )
                )
    report = await registry.apply(parse_entries(demo_entries()))
    return created or bool(report.created)


async def ensure_admin(engine: AsyncEngine, password: str | None) -> str | None:
    """Make sure the Back Office user ``admin`` exists with the admin role.

    Created with ``password`` (``DEXGATE_ADMIN_PASSWORD``), or a random one when none is given;
    an existing admin's password is changed only when ``password`` is given and differs.
    Returns the password when it was set now, None when it was left alone.
    """
    users = {u.username: u for u in await store.list_users(engine)}
    if ADMIN_USER not in users:
        chosen = password or secrets.token_urlsafe(12)
        await store.create_user(engine, ADMIN_USER, chosen, [ADMIN_ROLE])
        return chosen
    if password is not None and not await store.check_password(engine, ADMIN_USER, password):
        await store.set_password(engine, ADMIN_USER, password)
        return password
    return None


def curl_example(base_url: str, password: str | None) -> str:
    """Shell lines that get a token and call REST and GraphQL with it."""
    secret = shlex.quote(f"password={password}") if password else "password=$DEXGATE_ADMIN_PASSWORD"
    return (
        f"TOKEN=$(curl -s {base_url}/token -d grant_type=password -d username={ADMIN_USER} "
        f"--data-urlencode {secret} "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
        f'curl -g -H "Authorization: Bearer $TOKEN" '
        f"'{base_url}/dynamic-entity/products?page[offset]=0&page[limit]=5&include=category'\n"
        f"curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
        f"{base_url}/graphql -d '{GRAPHQL_EXAMPLE}'"
    )
