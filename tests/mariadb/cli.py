"""The real ``dexgate`` console script, run in a subprocess against a MariaDB database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEXGATE = Path(sys.executable).with_name("dexgate")


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEXGATE_")}
    environ["DEXGATE_DATABASE_URL"] = url
    return subprocess.run(  # noqa: S603 - our own console script with fixed arguments
        [str(DEXGATE), *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(url: str, *args: str) -> str:
    result = run(url, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout
