"""What the bench's CaptureHandler wrote, read back as the harness reads it."""

from __future__ import annotations

from pathlib import Path

from bench.sql_capture import Captured, parse_lines


class EngineLog:
    """The statements a CaptureHandler wrote into ``path`` since :meth:`start`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0

    def start(self) -> None:
        self._offset = self.path.stat().st_size if self.path.exists() else 0

    def statements(self) -> list[Captured]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as log:
            log.seek(self._offset)
            return parse_lines(log.read())
