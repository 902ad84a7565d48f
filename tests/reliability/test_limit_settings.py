"""Every limit is a setting read from the environment, with a safe default."""

from __future__ import annotations

import pytest

from app.settings import Settings, SettingsError

LIMITS = {
    "DEXGATE_MAX_BODY_SIZE": ("max_body_size", 5 * 1024 * 1024, "2048", 2048),
    "DEXGATE_MAX_WRITE_ITEMS": ("max_write_items", 1000, "50", 50),
    "DEXGATE_GRAPHQL_MAX_QUERY_LENGTH": ("graphql_max_query_length", 100_000, "5000", 5000),
    "DEXGATE_GRAPHQL_MAX_DEPTH": ("graphql_max_depth", 12, "6", 6),
    "DEXGATE_GRAPHQL_MAX_ALIASES": ("graphql_max_aliases", 30, "4", 4),
    "DEXGATE_GRAPHQL_MAX_FIELDS": ("graphql_max_fields", 1000, "200", 200),
    "DEXGATE_GRAPHQL_MAX_COST": ("graphql_max_cost", 10_000_000, "5000", 5000),
    "DEXGATE_REQUEST_TIMEOUT": ("request_timeout", 30.0, "2.5", 2.5),
    "DEXGATE_DATABASE_CONNECT_TIMEOUT": ("database_connect_timeout", 5.0, "0.5", 0.5),
}


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_limit_has_a_default_and_is_read_from_its_variable(name: str) -> None:
    attribute, default, raw, parsed = LIMITS[name]

    assert getattr(Settings(), attribute) == default
    assert getattr(Settings.from_env({}), attribute) == default
    assert getattr(Settings.from_env({name: ""}), attribute) == default
    assert getattr(Settings.from_env({name: raw}), attribute) == parsed


@pytest.mark.parametrize("name", sorted(LIMITS))
@pytest.mark.parametrize("raw", ["0", "-1", "lots"])
def test_a_limit_that_is_not_positive_is_a_settings_error(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: raw})
