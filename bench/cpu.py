"""CPU time a server spent, from ``/proc``: what a request cost it, whatever else runs.

The machine's cores are shared with the load generator, the databases and other work, so
requests/s moves with the load around it; the CPU time the server's processes spent (user +
system, ``utime`` + ``stime`` of ``/proc/PID/stat``) per request moves much less. The server is
the process the harness started and its descendants (``dexgate serve --workers N`` forks its
workers), found by their parent ids.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """The parent id and the CPU seconds (user + system) of ``pid``; None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return parse_stat(text)


def parse_stat(text: str, ticks: float = _TICKS) -> tuple[int, float]:
    """The parent id and the CPU seconds (utime + stime) of a ``/proc/PID/stat`` line."""
    # The command name, in parentheses, may hold spaces: the fields follow its last ")".
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks


def tree_seconds(root: int) -> float:
    """CPU seconds spent so far by ``root`` and every process descending from it."""
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                parents[int(entry.name)], seconds[int(entry.name)] = found
    total = 0.0
    for pid, spent in seconds.items():
        ancestor: int | None = pid
        while ancestor is not None and ancestor > 1:
            if ancestor == root:
                total += spent
                break
            ancestor = parents.get(ancestor)
    return total


def meter(root: int) -> Callable[[], float] | None:
    """A function reading ``root``'s tree's CPU seconds, or None where there is no ``/proc``."""
    if _stat(root) is None:
        return None
    return lambda: tree_seconds(root)
