"""Settings, read once from the environment into a frozen object."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./dexgate.db"

# Tables Spryker never lets anyone expose; a gateway in front of a Spryker database keeps them
# closed too. dexgate's own tables (dexgate_*) are refused regardless of this list.
DEFAULT_DENIED_TABLES = (
    "spy_acl_*",
    "spy_api_key",
    "spy_auth_reset_password*",
    "spy_customer",
    "spy_dynamic_entity_configuration*",
    "spy_gift_card_balance_log",
    "spy_nopayment_paid",
    "spy_oauth_*",
    "spy_payment_payone*",
    "spy_sales_order_invoice",
    "spy_sales_payment",
    "spy_user",
    "spy_user_archive",
    "spy_vault_deposit",
    "alembic_version",
)


class SettingsError(ValueError):
    """An environment variable holds a value dexgate cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    max_page_size: int = 1000
    default_page_size: int = 1000
    denied_tables: tuple[str, ...] = DEFAULT_DENIED_TABLES
    catalog_check_interval: float = 1.0
    database_pool_size: int = 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        max_page = _positive_int(env, "DEXGATE_MAX_PAGE_SIZE", 1000)
        extra_denied = tuple(
            t.strip() for t in env.get("DEXGATE_DENIED_TABLES", "").split(",") if t.strip()
        )
        return cls(
            database_url=env.get("DEXGATE_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=env.get("DEXGATE_SECRET_KEY") or secrets.token_urlsafe(32),
            max_page_size=max_page,
            default_page_size=min(1000, max_page),
            denied_tables=DEFAULT_DENIED_TABLES + extra_denied,
            catalog_check_interval=_non_negative_float(env, "DEXGATE_CATALOG_CHECK_INTERVAL", 1.0),
            database_pool_size=_positive_int(env, "DEXGATE_DATABASE_POOL_SIZE", 10),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a positive integer, got {raw!r}.") from None
    if value < 1:
        raise SettingsError(f"{name} must be a positive integer, got {raw!r}.")
    return value


def _non_negative_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}.") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {raw!r}.")
    return value
