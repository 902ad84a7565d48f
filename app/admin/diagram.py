"""The entity diagram of the Entities page: the catalog drawn as an SVG by dexgate itself.

:func:`entity_diagram` is a pure function of the catalog: a box per active entity (its alias
and table) on a circle, in alias order, and an arrow per relationship from its owner to its
target. A hasMany arrow is solid and labelled ``NAME 1..*``, a belongsTo arrow dashed and
labelled ``NAME 1``. Every text is XML-escaped, coordinates are rounded, and the same catalog
always gives the same string. Only presentation attributes are used (no ``style``), so the
pages' Content-Security-Policy has nothing to refuse.
"""

from __future__ import annotations

import math
from collections import defaultdict

from app.admin.svg import number as _n
from app.admin.svg import text as _x
from schema_builder.catalog import Catalog, Relation

CHAR_WIDTH = 7.5
"""Approximate width of a character at the diagram's font size."""
BOX_HEIGHT = 48.0
MIN_BOX_WIDTH = 150.0
GAP = 70.0
MARGIN = 40.0
LANE = 16.0
"""How far apart parallel arrows between the same two entities are drawn."""

HAS_MANY_COLOUR = "#2f5d9e"
BELONGS_TO_COLOUR = "#7a5a1e"


def _positions(aliases: list[str], width: float) -> dict[str, tuple[float, float]]:
    """Box centres on a circle (relative to its centre), the first alias at the top."""
    count = len(aliases)
    if count == 1:
        return {aliases[0]: (0.0, 0.0)}
    # Neighbours must not overlap: their chord is at least a box and a gap wide.
    radius = max(120.0, (width + GAP) / (2 * math.sin(math.pi / count)))
    return {
        alias: (
            radius * math.sin(2 * math.pi * i / count),
            -radius * math.cos(2 * math.pi * i / count),
        )
        for i, alias in enumerate(aliases)
    }


def _edge(dx: float, dy: float, half_w: float, half_h: float) -> float:
    """How far along (dx, dy) from a box's centre its border is, as a fraction of the vector."""
    limits = []
    if dx:
        limits.append(half_w / abs(dx))
    if dy:
        limits.append(half_h / abs(dy))
    return min(limits) if limits else 0.0


def _label(relation: Relation) -> str:
    return f"{relation.name} {'1..*' if relation.many else '1'}"


def _arrow_attributes(relation: Relation) -> str:
    if relation.many:
        return f'stroke="{HAS_MANY_COLOUR}" stroke-width="1.6" marker-end="url(#dexgate-has-many)"'
    return (
        f'stroke="{BELONGS_TO_COLOUR}" stroke-width="1.4" stroke-dasharray="6 4" '
        'marker-end="url(#dexgate-belongs-to)"'
    )


def entity_diagram(catalog: Catalog) -> str:
    """The catalog's active entities and their relationships as an ``<svg>`` element."""
    aliases = sorted(catalog.entities)
    if not aliases:
        return ""
    longest = max(max(len(alias), len(catalog.entities[alias].table_name) + 2) for alias in aliases)
    width = max(MIN_BOX_WIDTH, longest * CHAR_WIDTH + 24)
    half_w, half_h = width / 2, BOX_HEIGHT / 2
    centres = _positions(aliases, width)
    relations = sorted(
        (r for alias in aliases for r in catalog.entities[alias].relations.values()),
        key=lambda r: (r.owner, r.name),
    )
    extent_x = max(abs(x) for x, _ in centres.values()) + half_w + MARGIN
    extent_y = max(abs(y) for _, y in centres.values()) + half_h + MARGIN
    if any(r.owner == r.target for r in relations):
        extent_x += 60
    view_w, view_h = 2 * extent_x, 2 * extent_y

    def at(alias: str) -> tuple[float, float]:
        x, y = centres[alias]
        return x + extent_x, y + extent_y

    # Arrows between the same two entities (either way) are spread side by side.
    pairs: dict[tuple[str, str], list[Relation]] = defaultdict(list)
    for relation in relations:
        first, second = sorted((relation.owner, relation.target))
        pairs[(first, second)].append(relation)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="entity-diagram" role="img" '
        f'aria-labelledby="entity-diagram-title" width="{_n(view_w)}" height="{_n(view_h)}" '
        f'viewBox="0 0 {_n(view_w)} {_n(view_h)}" font-family="sans-serif" font-size="13">',
        f'<title id="entity-diagram-title">Entities and their relationships: '
        f"{len(aliases)} entities, {len(relations)} relationships</title>",
        "<defs>",
        '<marker id="dexgate-has-many" viewBox="0 0 12 10" refX="12" refY="5" '
        'markerWidth="12" markerHeight="10" orient="auto-start-reverse">'
        f'<path d="M0,0 L12,5 L0,10 M4,0 L12,5 L4,10" fill="none" stroke="{HAS_MANY_COLOUR}" '
        'stroke-width="1.4"/></marker>',
        '<marker id="dexgate-belongs-to" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="10" markerHeight="10" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{BELONGS_TO_COLOUR}"/></marker>',
        "</defs>",
    ]

    for alias in aliases:
        x, y = at(alias)
        table = catalog.entities[alias].table_name
        out.append(
            f'<g class="entity" data-alias="{_x(alias)}">'
            f'<rect x="{_n(x - half_w)}" y="{_n(y - half_h)}" width="{_n(width)}" '
            f'height="{_n(BOX_HEIGHT)}" rx="6" fill="#f4f6fa" stroke="#44546a" '
            'stroke-width="1.2"/>'
            f'<text x="{_n(x)}" y="{_n(y - 4)}" text-anchor="middle" font-weight="bold" '
            f'fill="#1c2533">{_x(alias)}</text>'
            f'<text x="{_n(x)}" y="{_n(y + 14)}" text-anchor="middle" font-size="11" '
            f'fill="#5b6575">({_x(table)})</text></g>'
        )

    # Arrows after the boxes, so that no box hides an arrowhead.
    for (first, second), group in sorted(pairs.items()):
        (fx, fy), (sx, sy) = at(first), at(second)
        for index, relation in enumerate(group):
            head = (
                f'<g class="relation {"has-many" if relation.many else "belongs-to"}" '
                f'data-owner="{_x(relation.owner)}" data-target="{_x(relation.target)}" '
                f'data-name="{_x(relation.name)}">'
                f"<title>{_x(relation.owner)}.{_x(relation.name)}: "
                f"{'hasMany' if relation.many else 'belongsTo'} {_x(relation.target)}</title>"
            )
            if first == second:
                # A relationship of an entity with itself: a loop on the box's right side.
                lift = 10 + index * LANE
                x0, y0 = fx + half_w, fy - lift / 2
                x1, y1 = fx + half_w, fy + lift / 2
                reach = 45 + index * LANE
                out.append(
                    f'{head}<path d="M{_n(x0)},{_n(y0)} C{_n(x0 + reach)},{_n(y0 - 30)} '
                    f'{_n(x1 + reach)},{_n(y1 + 30)} {_n(x1)},{_n(y1)}" fill="none" '
                    f"{_arrow_attributes(relation)}/>"
                    f'<text x="{_n(x0 + reach + 4)}" y="{_n(fy + 4)}" '
                    f'fill="#333">{_x(_label(relation))}</text></g>'
                )
                continue
            dx, dy = sx - fx, sy - fy
            length = math.hypot(dx, dy)
            nx, ny = -dy / length, dx / length
            offset = (index - (len(group) - 1) / 2) * LANE
            ox, oy = nx * offset, ny * offset
            (ax, ay), (bx, by) = (
                ((fx, fy), (sx, sy)) if relation.owner == first else ((sx, sy), (fx, fy))
            )
            vx, vy = bx - ax, by - ay
            start = _edge(vx, vy, half_w, half_h)
            end = 1 - _edge(vx, vy, half_w, half_h)
            x0, y0 = ax + vx * start + ox, ay + vy * start + oy
            x1, y1 = ax + vx * end + ox, ay + vy * end + oy
            # The label sits beside the arrow's middle, on its outer side.
            side = -1.0 if offset < 0 else 1.0
            lx, ly = nx * side, ny * side
            mx, my = (x0 + x1) / 2 + lx * 8, (y0 + y1) / 2 + ly * 8 + 4
            anchor = "start" if lx > 0.3 else "end" if lx < -0.3 else "middle"
            out.append(
                f'{head}<line x1="{_n(x0)}" y1="{_n(y0)}" x2="{_n(x1)}" y2="{_n(y1)}" '
                f"{_arrow_attributes(relation)}/>"
                f'<text x="{_n(mx)}" y="{_n(my)}" '
                f'text-anchor="{anchor}" fill="#333">{_x(_label(relation))}</text></g>'
            )

    out.append("</svg>")
    return "\n".join(out)
