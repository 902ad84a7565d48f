"""Settings, read once from the environment into a frozen object."""

from __future__ import annotations

import os
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
    access_token_ttl: int = 8 * 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    auth_cache_seconds: float = 5.0
    open_introspection: bool = False
    cors_origins: tuple[str, ...] = ()
    login_max_failures: int = 5
    login_window: float = 300.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        max_page = _positive_int(env, "DEXGATE_MAX_PAGE_SIZE", 1000)
        extra_denied = tuple(
            t.strip() for t in env.get("DEXGATE_DENIED_TABLES", "").split(",") if t.strip()
        )
        return cls(
            database_url=env.get("DEXGATE_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=env.get("DEXGATE_SECRET_KEY", ""),
            max_page_size=max_page,
            default_page_size=min(1000, max_page),
            denied_tables=DEFAULT_DENIED_TABLES + extra_denied,
            catalog_check_interval=_non_negative_float(env, "DEXGATE_CATALOG_CHECK_INTERVAL", 1.0),
            database_pool_size=_positive_int(env, "DEXGATE_DATABASE_POOL_SIZE", 10),
            access_token_ttl=_positive_int(env, "DEXGATE_ACCESS_TOKEN_TTL", 8 * 3600),
            refresh_token_ttl=_positive_int(env, "DEXGATE_REFRESH_TOKEN_TTL", 30 * 24 * 3600),
            auth_cache_seconds=_non_negative_float(env, "DEXGATE_AUTH_CACHE_SECONDS", 5.0),
            open_introspection=_flag(env, "DEXGATE_OPEN_INTROSPECTION"),
            cors_origins=tuple(
                o.strip() for o in env.get("DEXGATE_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            login_max_failures=_positive_int(env, "DEXGATE_LOGIN_MAX_FAILURES", 5),
            login_window=_non_negative_float(env, "DEXGATE_LOGIN_WINDOW", 300.0),
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


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be true or false, got {raw!r}.")


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
