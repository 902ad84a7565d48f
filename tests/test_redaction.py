"""API keys sent as a query parameter never reach the access log."""

from __future__ import annotations

import logging

import httpx
import pytest

from app import query_credentials, redaction


def test_api_key_in_a_logged_path_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("uvicorn.access")
    redaction.install()
    redaction.install()  # idempotent
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/dynamic-entity/products?page[limit]=5&api_key=dxg_secret123&x=1",
            "1.1",
            200,
        )
    assert "dxg_secret123" not in caplog.text
    assert "api_key=[redacted]&x=1" in caplog.text
    assert sum(isinstance(f, redaction.RedactSecretsFilter) for f in logger.filters) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/graphiql?api_key=abc", "/graphiql?api_key=[redacted]"),
        ("/x?API_KEY=abc&b=2", "/x?API_KEY=[redacted]&b=2"),
        ("/x?my_api_key=abc", "/x?my_api_key=abc"),
        ("/x?refresh_token=r1", "/x?refresh_token=[redacted]"),
    ],
)
def test_redact_rewrites_only_secret_parameters(text: str, expected: str) -> None:
    assert redaction.redact(text) == expected


SPELLINGS = [
    "api_key={key}",
    "x=api_key&api%5Fkey={key}",
    "api%5fkey={key}",
    "%61pi_key={key}",
    "%61%70%69%5f%6b%65%79={key}",
    "page=1&api_key={key}&api_key=other",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_the_authentication_takes_is_redacted(spelling: str) -> None:
    """One parser decides what the key is, and the redaction uses it: ``api%5Fkey`` was taken
    as the key when ``api_key`` appeared elsewhere in the query, and logged whole."""
    query = spelling.format(key="dxg_secret123")
    assert query_credentials.api_key(query.encode()) == "dxg_secret123"
    logged = redaction.redact(f"/dynamic-entity/products?{query}")
    assert "dxg_secret123" not in logged
    assert "[redacted]" in logged


@pytest.mark.parametrize("query", ["my_api_key=k", "api_keys=k", "x=api_key", "api_key", ""])
def test_other_parameters_are_not_the_key(query: str) -> None:
    assert query_credentials.api_key(query.encode()) is None


async def test_an_encoded_key_name_is_accepted_and_never_logged(
    anonymous: httpx.AsyncClient, admin_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = f"/dynamic-entity/countries?x=api_key&api%5Fkey={admin_key}"
    response = await anonymous.get(path)
    assert response.status_code == 200
    logger = logging.getLogger("uvicorn.access")
    redaction.install()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    assert admin_key not in caplog.text
