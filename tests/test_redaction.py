"""API keys sent as a query parameter never reach the access log."""

from __future__ import annotations

import logging

import pytest

from app import redaction


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
