"""What the harness reads from a server's log."""

from __future__ import annotations

from pathlib import Path

from bench.server import last_error

LOG = """\
Traceback (most recent call last):
  File "aiosqlite/core.py", line 63, in _connection_worker_thread
    result = function()
sqlite3.OperationalError: database is locked
The above exception was the direct cause of the following exception:
Traceback (most recent call last):
sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked
[SQL: UPDATE dexgate_api_key SET last_used_at=? WHERE dexgate_api_key.id = ?]
"""


def test_the_last_exception_line_of_the_log_is_found(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    log.write_text(LOG)
    assert last_error(log) == (
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked"
    )


def test_a_log_without_errors_or_no_log_gives_none(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    log.write_text("INFO: started\nWARNING: slow\n")
    assert last_error(log) is None
    assert last_error(tmp_path / "absent.log") is None
