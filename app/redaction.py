"""Keep secrets out of logs: uvicorn's access log writes the query string, which may hold
``api_key=...`` (Spryker's query-parameter form of an API key)."""

from __future__ import annotations

import logging
import re

_SECRET_PARAMETER = re.compile(r"((?:^|[?&])(?:api_key|access_token|refresh_token)=)[^&\s]*", re.I)


def redact(text: str) -> str:
    return _SECRET_PARAMETER.sub(r"\1[redacted]", text)


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
