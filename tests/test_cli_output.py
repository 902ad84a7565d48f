"""The one helper every command-line printer goes through (app.cli.output)."""

from __future__ import annotations

import io

import pytest

from app.cli.output import echo, printable
from app.transfer.progress import Progress


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("plain text, ünïcödé", "plain text, ünïcödé"),
        ("\u001b[2J\u001b]0;pwned\u0007", "\\u001b[2J\\u001b]0;pwned\\u0007"),
        ("csi \u009b31m", "csi \\u009b31m"),
        ("del \u007f", "del \\u007f"),
        ("bidi \u202egnp.exe \u2066x\u2069", "bidi \\u202egnp.exe \\u2066x\\u2069"),
        ("cr\rtab\t", "cr\\u000dtab\\u0009"),
        ("line\nbreak", "line\nbreak"),
    ],
)
def test_printable_escapes_every_control_character(given: str, shown: str) -> None:
    assert printable(given) == shown


def test_a_single_line_value_keeps_no_line_break() -> None:
    assert printable("a\nb\u2028c", lines=False) == "a\\u000ab\\u2028c"


def test_echo_prints_every_value_escaped() -> None:
    out = io.StringIO()
    echo("dexgate:", "no entity `\u001b[31mred`", file=out)
    assert out.getvalue() == "dexgate: no entity `\\u001b[31mred`\n"


def test_progress_escapes_its_label() -> None:
    out = io.StringIO()
    progress = Progress(out, "rows of \u001b[2J", interval=0)
    progress.update(10)
    assert "\u001b[2J" not in out.getvalue()
    assert "rows of \\u001b[2J" in out.getvalue()
