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
    """SQLAlchemy's statement log routed to a CaptureHandler, as the bench's server logs it."""
    path = tmp_path / "sql.jsonl"
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    handler = CaptureHandler(str(path))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield EngineLog(path)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
