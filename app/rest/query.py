"""Reading the REST query string into the request IR: filter, page, include, sort, count."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.json_input import DuplicateKeyError, loads
from schema_builder.errors import (
    InvalidFilterError,
    InvalidQueryParameterError,
    PageLimitExceededError,
)
from schema_builder.operations.filters import OPERATORS
from schema_builder.operations.ir import MAX_OFFSET, Condition, Include, SortKey

_OPERATOR_NAMES = {name.lower(): name for name in OPERATORS}
MAX_INCLUDE_DEPTH = 10


def parse_conditions(params: Iterable[tuple[str, str]]) -> tuple[Condition, ...]:
    """``filter[<resource>.<field>]=<value>``: the part before the dot is ignored, as in Spryker.

    A value that is a JSON object whose keys are all operators (``{"in": [...]}``,
    ``{"gte": 1, "lt": 9}``, ``{"isNull": true}``) applies them; any other value is compared
    for equality as the literal text. An object naming an operator twice is refused (DX101).
    """
    conditions: list[Condition] = []
    for key, value in params:
        if not (key.startswith("filter[") and key.endswith("]")):
            continue
        target = key[len("filter[") : -1]
        field = target.split(".", 1)[1] if "." in target else target
        if not field:
            raise InvalidFilterError(f"Filter `{key}` names no field. Use filter[<alias>.<field>].")
        conditions.extend(_conditions_for(field, value))
    return tuple(conditions)


def _conditions_for(field: str, value: str) -> list[Condition]:
    return [Condition(field, name, operand) for name, operand in split_operators(field, value)]


def split_operators(field: str, value: str) -> list[tuple[str, Any]]:
    """A filter value as (operator, operand) pairs: an object whose keys are all operators
    applies them; any other value is ``eq`` of the literal text."""
    stripped = value.strip()
    if stripped.startswith("{"):
        try:
            decoded = loads(stripped)
        except DuplicateKeyError as exc:
            raise InvalidFilterError(
                f"Filter value for field `{field}` names `{exc.key}` twice."
            ) from None
        except (ValueError, RecursionError):
            decoded = None
        if isinstance(decoded, dict) and decoded:
            names = [_OPERATOR_NAMES.get(k.lower()) for k in decoded]
            if all(names):
                return [
                    (name, operand)
                    for name, operand in zip(names, decoded.values(), strict=True)
                    if name is not None
                ]
            unknown = [k for k, n in zip(decoded, names, strict=True) if n is None]
            if any(n for n in names):
                raise InvalidFilterError(
                    f"Unknown filter operator `{unknown[0]}` for field `{field}`. "
                    f"Use one of: {', '.join(OPERATORS)}."
                )
    return [("eq", value)]


def non_negative_int(name: str, raw: str) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):  # int() also takes "1_000", "+1" and "٣"
        raise InvalidQueryParameterError(f"`{name}` must be a non-negative integer, got {raw!r}.")
    # Compare lengths first: int() refuses strings of more than 4,300 digits.
    if len(text.lstrip("0")) > len(str(MAX_OFFSET)) or int(text) > MAX_OFFSET:
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise InvalidQueryParameterError(f"`{name}` must be at most {MAX_OFFSET}, got {shown!r}.")
    return int(text)


def parse_page(
    offset_raw: str | None, limit_raw: str | None, default_limit: int, max_limit: int
) -> tuple[int, int]:
    """Spryker applies ``page[offset]``/``page[limit]`` only when both are present; otherwise
    the default page (offset 0, 1000 items) is served. Values are still checked when given."""
    offset = non_negative_int("page[offset]", offset_raw) if offset_raw is not None else None
    limit = non_negative_int("page[limit]", limit_raw) if limit_raw is not None else None
    if offset is None or limit is None:
        return 0, default_limit
    if limit > max_limit:
        raise PageLimitExceededError(limit, max_limit)
    return offset, limit


def parse_include(raw: str | None) -> tuple[Include, ...]:
    """``include=a.b,c`` as a tree; chains sharing a prefix are merged."""
    if raw is None or not raw.strip():
        return ()
    tree: dict[str, Any] = {}
    for chain in raw.split(","):
        chain = chain.strip()
        if not chain:
            continue
        names = chain.split(".")
        if len(names) > MAX_INCLUDE_DEPTH:
            raise InvalidQueryParameterError(
                f"`include` chain `{chain}` is deeper than {MAX_INCLUDE_DEPTH} levels."
            )
        node = tree
        for name in names:
            if not name:
                raise InvalidQueryParameterError(f"`include` chain `{chain}` has an empty name.")
            node = node.setdefault(name, {})
    return _to_includes(tree)


def _to_includes(tree: dict[str, Any]) -> tuple[Include, ...]:
    return tuple(Include(name, _to_includes(sub)) for name, sub in tree.items())


def parse_sort(raw: str | None) -> tuple[SortKey, ...]:
    """``sort=name,-price``: a leading ``-`` sorts descending."""
    if raw is None or not raw.strip():
        return ()
    keys: list[SortKey] = []
    for part in raw.split(","):
        part = part.strip()
        if not part or part == "-":
            raise InvalidQueryParameterError(f"`sort` has an empty key: {raw!r}.")
        descending = part.startswith("-")
        keys.append(SortKey(part[1:] if descending else part, descending))
    return tuple(keys)


def parse_flag(name: str, raw: str | None) -> bool:
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in ("", "1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise InvalidQueryParameterError(f"`{name}` must be true or false, got {raw!r}.")
