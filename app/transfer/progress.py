"""Progress of a long command on stderr: rows, rows/s and, when the total is known, % and ETA.

On a terminal one line is redrawn in place (at most five times a second); otherwise (a log, a
pipe) a plain line is written every ``interval`` seconds, so logs stay readable.

Why not tqdm or rich (measured against tqdm 4.70 and rich 15 on the 2-core development machine):

- Logs: neither writes a plain line every few seconds to a stream that is not a terminal. tqdm
  redraws with carriage returns there too (a log gets one ever-growing line); rich's live
  display draws nothing until the end. A long import run by cron or CI would lose the progress
  lines its log has today, so this half would stay hand-written anyway.
- Terminal: what remains is one ``\r\x1b[K`` redraw, five times a second at most (the line
  format is pinned by tests/test_import_export.py). Importing the library costs more than that:
  ``python -X importtime``: tqdm 90-130 ms, rich.progress 37-65 ms, this module 4 ms, against
  0.7-1.0 s for all of ``dexgate import``'s modules. An update costs 0.2-0.4 us here, 0.3-0.9 us
  with tqdm, 1.3-1.4 us with rich (updates come once per page or batch: negligible either way).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from app.cli.output import printable

Clock = Callable[[], float]


def _duration(seconds: float) -> str:
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Report ``rows`` done; ``fraction`` (0..1), when given, says how much of the work that is."""

    def __init__(
        self,
        stream: TextIO,
        label: str,
        *,
        fraction: Callable[[], float | None] | None = None,
        clock: Clock = time.monotonic,
        interval: float = 5.0,
    ) -> None:
        self._stream = stream
        self._label = printable(label, lines=False)  # a table or file name: data
        self._fraction = fraction
        self._clock = clock
        self._tty = stream.isatty()
        self._interval = 0.2 if self._tty else interval
        self._started = clock()
        self._shown_at = self._started
        self._drawn = False

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def status(self, rows: int) -> str:
        """``12,345 rows  8,210 rows/s  45%  ETA 0:12``: what the line shows."""
        elapsed = self.elapsed
        parts = [f"{rows:,} rows"]
        if elapsed > 0:
            parts.append(f"{rows / elapsed:,.0f} rows/s")
        done = self._fraction() if self._fraction is not None else None
        if done is not None:
            done = min(max(done, 0.0), 1.0)
            parts.append(f"{done:.0%}")
            if 0 < done < 1 and elapsed > 0:
                parts.append(f"ETA {_duration(elapsed * (1 - done) / done)}")
        return "  ".join(parts)

    def update(self, rows: int) -> None:
        now = self._clock()
        if now - self._shown_at < self._interval:
            return
        self._shown_at = now
        if self._tty:
            self._stream.write(f"\r\x1b[K{self._label}: {self.status(rows)}")
            self._drawn = True
        else:
            self._stream.write(f"{self._label}: {self.status(rows)}\n")
        self._stream.flush()

    def close(self) -> None:
        """End the redrawn line, if one was drawn."""
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False
