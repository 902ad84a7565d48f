"""Which DELETE filters count as no filter at all.

A collection DELETE needs a filter (DX104): one forgotten parameter must not wipe a table. A
filter that plainly matches every row is refused the same way: a ``like`` pattern made of
``%`` alone (``{"like": "%"}``), and and/or combinations of only such conditions (an empty
``and`` included). Filters that match every row only because of the data (``{"gte": 0}`` on
a positive identifier) are not recognised: the guard catches a filter that says nothing, not
one that was meant.
"""

from __future__ import annotations

from collections.abc import Sequence

from schema_builder.operations.ir import AllOf, AnyOf, Condition, Filter, Not


def says_nothing(conditions: Sequence[Filter]) -> bool:
    """True when ``conditions`` (all of which must hold) select every row by their form."""
    return all(_everything(c) for c in conditions)


def _everything(part: Filter) -> bool:
    if isinstance(part, Condition):
        value = part.value
        # "" matches only the empty string: a pattern of one or more "%" matches everything
        return part.operator == "like" and isinstance(value, str) and set(value) == {"%"}
    if isinstance(part, AllOf):
        return all(_everything(p) for p in part.parts)
    if isinstance(part, AnyOf):
        return any(_everything(p) for p in part.parts)
    assert isinstance(part, Not)
    return False
