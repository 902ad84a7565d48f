"""Settings are read once from the environment into a frozen object."""

from __future__ import annotations

import dataclasses

import pytest

from app.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_DENIED_TABLES,
    Settings,
    SettingsError,
)


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = Settings.from_env({})

    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///./dexgate.db"
    assert settings.max_page_size == 1000
    assert settings.default_page_size == 1000
    assert settings.denied_tables == DEFAULT_DENIED_TABLES
    assert settings.catalog_check_interval == 1.0
    assert settings.database_pool_size == 10


def test_default_deny_list_holds_sprykers_disallowed_tables() -> None:
    for pattern in ("spy_acl_*", "spy_api_key", "spy_customer", "spy_oauth_*", "spy_user"):
        assert pattern in DEFAULT_DENIED_TABLES


def test_missing_secret_key_is_left_empty_for_the_database_kept_one() -> None:
    # An empty key makes the server sign tokens with a secret kept in the database, shared by
    # every process (tests/auth/test_tokens.py checks that).
    assert Settings.from_env({}).secret_key == ""
    assert Settings.from_env({"DEXGATE_SECRET_KEY": ""}).secret_key == ""


def test_database_url_and_secret_key_are_taken_as_given() -> None:
    settings = Settings.from_env(
        {
            "DEXGATE_DATABASE_URL": "postgresql+asyncpg://dex:pw@db:5432/shop",
            "DEXGATE_SECRET_KEY": "s3cret",
        }
    )

    assert settings.database_url == "postgresql+asyncpg://dex:pw@db:5432/shop"
    assert settings.secret_key == "s3cret"


def test_max_page_size_is_parsed_and_caps_the_default_page_size() -> None:
    small = Settings.from_env({"DEXGATE_MAX_PAGE_SIZE": "50"})
    large = Settings.from_env({"DEXGATE_MAX_PAGE_SIZE": "5000"})
    empty = Settings.from_env({"DEXGATE_MAX_PAGE_SIZE": ""})

    assert (small.max_page_size, small.default_page_size) == (50, 50)
    assert (large.max_page_size, large.default_page_size) == (5000, 1000)
    assert (empty.max_page_size, empty.default_page_size) == (1000, 1000)


@pytest.mark.parametrize("raw", ["0", "-5", "ten", "1.5", "1e3"])
def test_invalid_max_page_size_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"DEXGATE_MAX_PAGE_SIZE": raw})

    assert str(raised.value) == f"DEXGATE_MAX_PAGE_SIZE must be a positive integer, got {raw!r}."


def test_denied_tables_are_added_to_the_default_list() -> None:
    settings = Settings.from_env({"DEXGATE_DENIED_TABLES": " audit_* , ,secrets,"})

    assert settings.denied_tables == (*DEFAULT_DENIED_TABLES, "audit_*", "secrets")


def test_from_env_reads_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEXGATE_DATABASE_URL", "sqlite+aiosqlite:///elsewhere.db")
    monkeypatch.setenv("DEXGATE_MAX_PAGE_SIZE", "20")
    monkeypatch.setenv("DEXGATE_DENIED_TABLES", "legacy_*")

    settings = Settings.from_env()

    assert settings.database_url == "sqlite+aiosqlite:///elsewhere.db"
    assert settings.max_page_size == 20
    assert settings.denied_tables[-1] == "legacy_*"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("DEXGATE_CATALOG_CHECK_INTERVAL", "-1"),
        ("DEXGATE_CATALOG_CHECK_INTERVAL", "soon"),
        ("DEXGATE_DATABASE_POOL_SIZE", "0"),
    ],
)
def test_other_invalid_numbers_are_settings_errors(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: raw})


def test_rate_limits_redis_and_shutdown_have_defaults_and_are_parsed() -> None:
    defaults = Settings.from_env({})
    chosen = Settings.from_env(
        {
            "DEXGATE_RATE_LIMIT": "120",
            "DEXGATE_RATE_LIMIT_ANONYMOUS": "0",
            "DEXGATE_REDIS_URL": " redis://cache:6379/2 ",
            "DEXGATE_REDIS_PREFIX": "shop-a:",
            "DEXGATE_SHUTDOWN_TIMEOUT": "5",
        }
    )

    assert (defaults.rate_limit, defaults.rate_limit_anonymous) == (0, 600)
    assert (defaults.redis_url, defaults.redis_prefix) == ("", "dexgate:")
    assert defaults.shutdown_timeout == 30
    assert (chosen.rate_limit, chosen.rate_limit_anonymous) == (120, 0)
    assert (chosen.redis_url, chosen.redis_prefix) == ("redis://cache:6379/2", "shop-a:")
    assert chosen.shutdown_timeout == 5


@pytest.mark.parametrize("raw", ["-1", "many", "2.5"])
def test_invalid_rate_limits_are_settings_errors(raw: str) -> None:
    for name in ("DEXGATE_RATE_LIMIT", "DEXGATE_RATE_LIMIT_ANONYMOUS"):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: raw})


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})

    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_page_size = 5  # type: ignore[misc]


def test_request_head_limits_default_to_64_kib_and_100_headers() -> None:
    assert (Settings.from_env({}).max_header_size, Settings.from_env({}).max_headers) == (
        65536,
        100,
    )
    given = Settings.from_env({"DEXGATE_MAX_HEADER_SIZE": "8192", "DEXGATE_MAX_HEADERS": "20"})
    assert (given.max_header_size, given.max_headers) == (8192, 20)
    with pytest.raises(SettingsError, match="DEXGATE_MAX_HEADER_SIZE must be a positive integer"):
        Settings.from_env({"DEXGATE_MAX_HEADER_SIZE": "0"})


def test_event_retention_takes_seconds_or_a_unit_and_refuses_the_rest() -> None:
    assert Settings.from_env({}).event_retention == 7 * 24 * 3600
    assert Settings.from_env({"DEXGATE_EVENT_RETENTION": "90"}).event_retention == 90
    assert Settings.from_env({"DEXGATE_EVENT_RETENTION": "12h"}).event_retention == 12 * 3600
    assert Settings.from_env({"DEXGATE_EVENT_RETENTION": "2D"}).event_retention == 2 * 86400
    assert Settings.from_env({"DEXGATE_EVENT_PRUNE_INTERVAL": "5"}).event_prune_interval == 5
    for raw in ("0", "-1d", "soon", "d", "inf", "nan"):
        with pytest.raises(SettingsError, match="DEXGATE_EVENT_RETENTION"):
            Settings.from_env({"DEXGATE_EVENT_RETENTION": raw})
