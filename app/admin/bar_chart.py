"""A horizontal bar chart drawn by dexgate itself, as SVG: the Explore panel's picture.

:func:`bar_chart` is a pure function of its labels and values: one bar per value, in order,
its length proportional to the value (from zero: negative values go left of the axis), the
label left of the axis and the value at the bar's end. Every text is XML-escaped; only
presentation attributes are used, so the pages' Content-Security-Policy has nothing to refuse.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.admin.svg import number as _n
from app.admin.svg import text as _x

BAR_HEIGHT = 18.0
GAP = 6.0
LABEL_WIDTH = 220.0
PLOT_WIDTH = 420.0
VALUE_WIDTH = 110.0
MARGIN = 10.0
CHAR_WIDTH = 7.0
COLOUR = "#2f5d9e"


def _short(text: str, width: float) -> str:
    most = max(4, int(width / CHAR_WIDTH))
    return text if len(text) <= most else text[: most - 1] + "…"


def bar_chart(bars: Sequence[tuple[str, float | None, str]], title: str) -> str:
    """The chart of ``bars`` (label, value, the value as the API writes it; a None value has
    no bar), titled ``title``."""
    values = [value for _label, value, _text in bars]
    numbers = [v for v in values if v is not None]
    low = min([0.0, *numbers])
    high = max([0.0, *numbers])
    span = (high - low) or 1.0
    zero = MARGIN + LABEL_WIDTH + (0 - low) / span * PLOT_WIDTH
    height = MARGIN * 2 + len(values) * (BAR_HEIGHT + GAP)
    width = MARGIN * 2 + LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'font-family="sans-serif" font-size="12"><title>{_x(title)}</title>',
        f'<line x1="{_n(zero)}" y1="{_n(MARGIN)}" x2="{_n(zero)}" '
        f'y2="{_n(height - MARGIN)}" stroke="#888" stroke-width="1"/>',
    ]
    for index, (label, value, text) in enumerate(bars):
        top = MARGIN + index * (BAR_HEIGHT + GAP)
        middle = top + BAR_HEIGHT / 2 + 4
        parts.append(
            f'<text x="{_n(MARGIN + LABEL_WIDTH - 8)}" y="{_n(middle)}" text-anchor="end">'
            f"{_x(_short(label, LABEL_WIDTH - 8))}</text>"
        )
        if value is None:
            parts.append(f'<text x="{_n(zero + 4)}" y="{_n(middle)}" fill="#888">null</text>')
            continue
        length = abs(value) / span * PLOT_WIDTH
        left = zero - length if value < 0 else zero
        parts.append(
            f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(length)}" '
            f'height="{_n(BAR_HEIGHT)}" fill="{COLOUR}"><title>{_x(label)}: {_x(text)}</title>'
            "</rect>"
        )
        parts.append(
            f'<text x="{_n(max(zero, left + length) + 4)}" y="{_n(middle)}">{_x(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
