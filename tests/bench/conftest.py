"""Fixtures of the benchmark's tests: SQLAlchemy's statement log captured as the bench does."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.sql_capture import CaptureHandler

from .engine_log import EngineLog


@pytest.fixture
def engine_log(tmp_path: Path) -> Iterator[EngineLog]:
    """SQLAlchemy's statement log and dexgate's reader's routed to a CaptureHandler, as the
    bench's server logs them."""
    path = tmp_path / "sql.jsonl"
    handler = CaptureHandler(str(path))
    loggers = [
        (logging.getLogger("sqlalchemy.engine.Engine"), logging.INFO),
        (logging.getLogger("dexgate.sql"), logging.DEBUG),
    ]
    saved = [(logger.level, logger.propagate) for logger, _level in loggers]
    for logger, level in loggers:
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    try:
        yield EngineLog(path)
    finally:
        for (logger, _level), (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
