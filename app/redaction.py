"""Keep secrets out of logs: uvicorn's access log writes the query string, which may hold
``api_key=...`` (Spryker's query-parameter form of an API key). Which parameters are secret,
however their names are spelled, is decided by app.query_credentials, the parser the
authentication reads the key with."""

from __future__ import annotations

import logging

from app.query_credentials import secret_spans

REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced by ``[redacted]``."""
    if "=" not in text:
        return text
    parts = []
    end = 0
    for start, stop in secret_spans(text):
        parts += [text[end:start], REDACTED]
        end = stop
    return "".join(parts) + text[end:] if parts else text


class RedactSecretsFilter(logging.Filter):
    """Rewrites string arguments of a record (the access log passes the path as one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install(logger_name: str = "uvicorn.access") -> None:
    """Add the filter to ``logger_name`` once."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
        logger.addFilter(RedactSecretsFilter())
