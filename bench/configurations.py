"""The two configurations of the bench data that scenarios A, B and C are measured with.

- ``entities.json``: every field's visible name is its column name, and every column has the
  type that fits it (``created_at`` is a ``datetime``);
- ``spryker``: the same data as a Spryker installer file declares it
  (``spryker_entities.json``): only Spryker's four types (``string``, ``integer``,
  ``boolean``, ``decimal``, so ``created_at`` is a ``string``) and camelCase visible names
  that differ from the column names (``idProduct``, ``isActive``, ``fkCategory``,
  ``createdAt``...), with the same relationships, under the aliases ``spryker-products``,
  ``spryker-categories`` and ``spryker-stocks``. dexgate registers one alias per table, so
  this configuration reads copies of the three tables with the same rows (``spryker_seed.sql``:
  ``spy_product``, ``spy_category``, ``spy_stock``).

Each names what the scenarios need: the REST alias, the GraphQL root fields (from the live
schema: the list query is the alias in camelCase, the by-id query its singular) and the
fields' visible names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Configuration:
    """One configuration of the bench data, as the scenarios address it."""

    key: str
    label: str
    entities: Path
    alias: str
    list_query: str
    get_query: str
    product_fields: tuple[str, ...]
    category_fields: tuple[str, ...]
    stock_fields: tuple[str, ...]
    relationships: tuple[str, str] = ("category", "stocks")
    # What the names of its scenarios' results start with (``spryker rest A``).
    prefix: str = ""

    @property
    def id_field(self) -> str:
        """The product identifier's visible name."""
        return self.product_fields[0]


DEXGATE = Configuration(
    key="entities",
    label="entities.json",
    entities=HERE / "entities.json",
    alias="products",
    list_query="products",
    get_query="product",
    product_fields=("id", "sku", "name", "price", "is_active", "category_id", "created_at"),
    category_fields=("id", "name"),
    stock_fields=("id", "warehouse", "quantity"),
)

SPRYKER = Configuration(
    key="spryker",
    label="Spryker-style",
    entities=HERE / "spryker_entities.json",
    alias="spryker-products",
    list_query="sprykerProducts",
    get_query="sprykerProduct",
    product_fields=("idProduct", "sku", "name", "price", "isActive", "fkCategory", "createdAt"),
    category_fields=("idCategory", "name"),
    stock_fields=("idStock", "warehouse", "quantity"),
    prefix="spryker ",
)

CONFIGURATIONS: tuple[Configuration, ...] = (DEXGATE, SPRYKER)
SPRYKER_SEED = HERE / "spryker_seed.sql"
SPRYKER_TYPES = frozenset({"string", "integer", "boolean", "decimal"})
