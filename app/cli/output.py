"""What the command line prints: every printer goes through here, so data never drives the
terminal.

Values read from the database or the API (an audit record's identifiers, an entity's name, a
user's name, an error about either) may hold control characters: ``ESC [2J`` clears the
operator's screen, ``ESC ]0;...BEL`` retitles the window, a C1 ``CSI`` does the same on some
terminals, and bidirectional overrides reorder what is shown. :func:`printable` writes each of
them as its ``\\uXXXX`` escape (valid inside a JSON string too, where it reads back as the same
character); :func:`echo` is ``print`` with that applied to everything it prints, keeping the
line breaks of dexgate's own messages. Table cells and other single-line values are escaped
whole, line breaks included, with ``printable(value, lines=False)``.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

# C0 and C1 controls and DEL, the line and paragraph separators, and the bidirectional marks,
# embeddings, overrides and isolates.
_MARKS = "\\x7f-\\x9f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069"
_ANY = re.compile("[\\x00-\\x1f" + _MARKS + "]")
_ALL_BUT_NEWLINE = re.compile("[\\x00-\\x09\\x0b-\\x1f" + _MARKS + "]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable(value: object, *, lines: bool = True) -> str:
    """``str(value)`` with every control character escaped; line breaks kept when ``lines``."""
    text = str(value)
    return (_ALL_BUT_NEWLINE if lines else _ANY).sub(_escape, text)


def echo(*values: object, file: TextIO | None = None, end: str = "\n", flush: bool = False) -> None:
    """``print(*values)``, every value made :func:`printable`."""
    print(
        *(printable(v) for v in values),
        file=sys.stdout if file is None else file,
        end=end,
        flush=flush,
    )
