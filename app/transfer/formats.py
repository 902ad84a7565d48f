"""The file formats of ``dexgate export`` and ``dexgate import``, and how one is chosen."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal, get_args

Format = Literal["csv", "json", "ndjson"]
FORMATS: tuple[Format, ...] = get_args(Format)
_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


class FileFormatError(Exception):
    """A file that cannot be read as its format at all (a bad header, broken JSON syntax):
    reading stops there. Records that are merely invalid are reported one by one instead."""


def format_for(path: str | None, given: str | None = None) -> Format:
    """The format asked for, else the one the file's extension names (``.csv``, ``.json``,
    ``.ndjson``/``.jsonl``), else CSV (also for stdin and stdout)."""
    if given is not None:
        for name in FORMATS:
            if name == given:
                return name
        raise ValueError(f"unknown format {given!r}")
    if path is None or path == "-":
        return "csv"
    return _EXTENSIONS.get(PurePath(path).suffix.lower(), "csv")
