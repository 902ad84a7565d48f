"""How the Back Office's drawings (the entity diagram, the Explore chart) write SVG text."""

from __future__ import annotations

from html import escape


def text(value: object) -> str:
    """``value`` as XML text or attribute value, escaped."""
    return escape(str(value), quote=True)


def number(value: float) -> str:
    """A coordinate as written: one decimal, no ``-0.0``."""
    written = f"{value:.1f}"
    return "0.0" if written == "-0.0" else written
