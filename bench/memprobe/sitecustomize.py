"""What a server's resident memory is made of, sampled from inside it (glibc, Linux).

    PYTHONPATH=bench/memprobe MEMPROBE_OUT=/tmp/mem.jsonl python -m bench.soak --database sqlite

Python imports this module at start-up when its directory is on ``PYTHONPATH``; it does
nothing unless ``MEMPROBE_OUT`` is set, and then only in a ``dexgate serve`` process (the
soak's other commands inherit the environment). Every ``MEMPROBE_EVERY`` seconds (10) it
appends one JSON line to ``MEMPROBE_OUT``:

- ``rss_kib``: the process's ``VmRSS``;
- ``malloc_in_use``, ``malloc_free``, ``malloc_arena``, ``malloc_mmap``: glibc's
  ``mallinfo2`` over all its arenas: bytes handed out, bytes free inside the arenas (kept by
  malloc, resident once touched), the arenas' size, and the large blocks mapped on their own;
- ``sqlite_in_use``: what SQLite has allocated (``sqlite3_memory_used``: page caches,
  statements, schema), for every connection of the process;
- ``threads``: the process's threads;
- with ``MEMPROBE_TRIM=1``, ``rss_after_trim_kib``: ``VmRSS`` right after ``malloc_trim(0)``,
  which hands the arenas' free pages back to the system (so the samples change what they
  measure: RSS then stays near what is in use);
- with ``MEMPROBE_TRACE=N``, ``traced``: bytes of Python objects allocated since start-up
  (``tracemalloc``, N frames), and every ``MEMPROBE_SNAPSHOT_EVERY`` samples (6) a snapshot in
  ``MEMPROBE_OUT.snapNNNN`` to compare with ``tracemalloc.Snapshot.load``.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import threading
import time
import tracemalloc


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _sample(out: str, every: float, trace: int, snapshot_every: int, trim: bool) -> None:
    time.sleep(1)  # sys.argv is complete once the console script runs
    if "serve" not in sys.argv:
        return
    if trace:
        tracemalloc.start(trace)
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    sqlite = ctypes.CDLL("libsqlite3.so.0")
    sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    started = time.monotonic()
    number = 0
    while True:
        info = libc.mallinfo2()
        row: dict[str, float] = {
            "seconds": round(time.monotonic() - started, 1),
            "rss_kib": _rss_kib(),
            "malloc_in_use": info.uordblks,
            "malloc_free": info.fordblks,
            "malloc_arena": info.arena,
            "malloc_mmap": info.hblkhd,
            "sqlite_in_use": sqlite.sqlite3_memory_used(),
            "threads": len(os.listdir("/proc/self/task")),
        }
        if trace:
            row["traced"] = tracemalloc.get_traced_memory()[0]
            if number % snapshot_every == 0:
                tracemalloc.take_snapshot().dump(f"{out}.snap{number:04d}")
        if trim:
            libc.malloc_trim(0)
            row["rss_after_trim_kib"] = _rss_kib()
        with open(out, "a") as lines:
            lines.write(json.dumps(row) + "\n")
        number += 1
        time.sleep(every)


if os.environ.get("MEMPROBE_OUT"):
    threading.Thread(
        target=_sample,
        args=(
            os.environ["MEMPROBE_OUT"],
            float(os.environ.get("MEMPROBE_EVERY", "10")),
            int(os.environ.get("MEMPROBE_TRACE", "0")),
            int(os.environ.get("MEMPROBE_SNAPSHOT_EVERY", "6")),
            os.environ.get("MEMPROBE_TRIM") == "1",
        ),
        daemon=True,
        name="memprobe",
    ).start()
