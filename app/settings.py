"""Settings, read once from the environment into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

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
    database_connect_timeout: float = 5.0
    request_timeout: float = 30.0
    max_body_size: int = 5 * 1024 * 1024
    max_header_size: int = 64 * 1024
    max_headers: int = 100
    max_write_items: int = 1000
    graphql_max_query_length: int = 100_000
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    graphql_max_fields: int = 1000
    graphql_max_cost: int = 10_000_000
    access_token_ttl: int = 8 * 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    auth_cache_seconds: float = 5.0
    usage_write_interval: float = 10.0
    open_introspection: bool = False
    cors_origins: tuple[str, ...] = ()
    login_max_failures: int = 5
    login_window: float = 300.0
    rate_limit: int = 0
    rate_limit_anonymous: int = 600
    redis_url: str = ""
    redis_prefix: str = "dexgate:"
    shutdown_timeout: int = 30
    public_url: str = ""
    # The change feed: events older than this are pruned, every prune interval (seconds).
    event_retention: float = 7 * 24 * 3600.0
    event_prune_interval: float = 60.0
    # Webhooks: one attempt's time limit, how long a failing delivery is retried, and whether
    # private addresses may be sent to.
    webhook_timeout: float = 10.0
    webhook_retry_horizon: float = 3 * 24 * 3600.0
    webhook_allow_private: bool = False
    # whether this serving process delivers webhooks (false: leave it to `dexgate deliver`)
    webhook_delivery: bool = True

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
            database_connect_timeout=_positive_float(env, "DEXGATE_DATABASE_CONNECT_TIMEOUT", 5.0),
            request_timeout=_positive_float(env, "DEXGATE_REQUEST_TIMEOUT", 30.0),
            max_body_size=_positive_int(env, "DEXGATE_MAX_BODY_SIZE", 5 * 1024 * 1024),
            max_header_size=_positive_int(env, "DEXGATE_MAX_HEADER_SIZE", 64 * 1024),
            max_headers=_positive_int(env, "DEXGATE_MAX_HEADERS", 100),
            max_write_items=_positive_int(env, "DEXGATE_MAX_WRITE_ITEMS", 1000),
            graphql_max_query_length=_positive_int(
                env, "DEXGATE_GRAPHQL_MAX_QUERY_LENGTH", 100_000
            ),
            graphql_max_depth=_positive_int(env, "DEXGATE_GRAPHQL_MAX_DEPTH", 12),
            graphql_max_aliases=_positive_int(env, "DEXGATE_GRAPHQL_MAX_ALIASES", 30),
            graphql_max_fields=_positive_int(env, "DEXGATE_GRAPHQL_MAX_FIELDS", 1000),
            graphql_max_cost=_positive_int(env, "DEXGATE_GRAPHQL_MAX_COST", 10_000_000),
            access_token_ttl=_positive_int(env, "DEXGATE_ACCESS_TOKEN_TTL", 8 * 3600),
            refresh_token_ttl=_positive_int(env, "DEXGATE_REFRESH_TOKEN_TTL", 30 * 24 * 3600),
            auth_cache_seconds=_non_negative_float(env, "DEXGATE_AUTH_CACHE_SECONDS", 5.0),
            usage_write_interval=_positive_float(env, "DEXGATE_USAGE_WRITE_INTERVAL", 10.0),
            open_introspection=_flag(env, "DEXGATE_OPEN_INTROSPECTION"),
            cors_origins=tuple(
                o.strip() for o in env.get("DEXGATE_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            login_max_failures=_positive_int(env, "DEXGATE_LOGIN_MAX_FAILURES", 5),
            login_window=_non_negative_float(env, "DEXGATE_LOGIN_WINDOW", 300.0),
            rate_limit=_non_negative_int(env, "DEXGATE_RATE_LIMIT", 0),
            rate_limit_anonymous=_non_negative_int(env, "DEXGATE_RATE_LIMIT_ANONYMOUS", 600),
            redis_url=env.get("DEXGATE_REDIS_URL", "").strip(),
            redis_prefix=env.get("DEXGATE_REDIS_PREFIX", "dexgate:"),
            shutdown_timeout=_non_negative_int(env, "DEXGATE_SHUTDOWN_TIMEOUT", 30),
            public_url=_public_url(env, "DEXGATE_PUBLIC_URL"),
            event_retention=_duration(env, "DEXGATE_EVENT_RETENTION", 7 * 24 * 3600.0),
            event_prune_interval=_positive_float(env, "DEXGATE_EVENT_PRUNE_INTERVAL", 60.0),
            webhook_timeout=_positive_float(env, "DEXGATE_WEBHOOK_TIMEOUT", 10.0),
            webhook_retry_horizon=_duration(env, "DEXGATE_WEBHOOK_RETRY_HORIZON", 3 * 24 * 3600.0),
            webhook_allow_private=_flag(env, "DEXGATE_WEBHOOK_ALLOW_PRIVATE"),
            webhook_delivery=not _off(env, "DEXGATE_WEBHOOK_DELIVERY"),
        )


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    """The integer setting ``name`` (``default`` when unset), at least ``minimum`` (0 or 1)."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if minimum == 1 and (value is None or value < 1):
        raise SettingsError(f"{name} must be a positive integer, got {raw!r}.")
    if value is None:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}.")
    if value < minimum:
        raise SettingsError(f"{name} must not be negative, got {raw!r}.")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    return _int(env, name, default, minimum=1)


def _non_negative_int(env: Mapping[str, str], name: str, default: int) -> int:
    return _int(env, name, default, minimum=0)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be true or false, got {raw!r}.")


def _off(env: Mapping[str, str], name: str) -> bool:
    """A flag that is on unless set to false."""
    return name in env and env[name].strip() != "" and not _flag(env, name)


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


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _non_negative_float(env, name, default)
    if value == 0:
        raise SettingsError(f"{name} must be a positive number of seconds, got {env[name]!r}.")
    return value


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _duration(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive duration: seconds, or a number with a unit (``90s``, ``30m``, ``12h``,
    ``7d``)."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    unit = _UNITS.get(raw[-1])
    number = raw[:-1] if unit is not None else raw
    try:
        value = float(number) * (unit or 1.0)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise SettingsError(
            f"{name} must be a positive duration such as 604800, 12h or 7d, got {raw!r}."
        )
    return value


def _public_url(env: Mapping[str, str], name: str) -> str:
    """The URL clients reach dexgate at (``https://api.example.com`` or with a path prefix),
    without a trailing slash; empty when unset (answers then hold paths, never a Host)."""
    raw = env.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            f"{name} must be an http(s) URL without query or fragment, such as "
            f"https://api.example.com, got {raw!r}."
        )
    return raw.rstrip("/")
