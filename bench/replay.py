"""dexgate's captured statements as a pgbench script that PostgreSQL runs as it ran dexgate's.

pgbench ``-M prepared`` prepares each SQL command of a script once per connection and binds its
variables (``:name``) as the parameters ``$1``, ``$2`` ... in the order they appear, sent as text
without a type: PostgreSQL infers each parameter's type from the statement (``$1::BIGINT``), as
it does for asyncpg, which prepares dexgate's statements the same way and then encodes each
value for the type PostgreSQL inferred. So each ``$n`` of a captured statement becomes the
variable ``:s<statement>_<n>``, whose value is the parameter's text form (see
:func:`bench.sql_capture.pg_text`), given to pgbench as ``-D name=value`` (``\\set`` holds only
numbers). PostgreSQL prepares dexgate's statement with its own parameters, not a statement with
constants, which would always be planned for its values where a prepared statement may turn to
a generic plan. pgbench numbers its parameters by occurrence, so when each ``$n`` appears once
and in order, as in dexgate's statements, they are dexgate's. ``-D`` takes no NULL and no empty
string: those two values are written into the statement instead (``NULL``, ``''``), next to the
placeholder's cast.

pgbench reads ``:name`` anywhere in a command, even inside a string literal. dexgate's JSON
statements write timestamps with ``to_char(..., 'YYYY-MM-DD"T"HH24:MI:SS')``, whose ``:MI`` and
``:SS`` pgbench took for variables: four parameters by its count, none by PostgreSQL's. A string
literal is therefore cut after each such colon and continued on the next line (``'HH24:'``,
newline, ``'MI:'``, newline, ``'SS'``), which SQL reads as one constant: the same tokens, parse
tree and plan. A statement with ``:name`` where it cannot be cut (a quoted identifier, a
dollar-quoted string, a comment, or outside any of them, where SQL has no ``:name``) is refused,
as is one with more parameters than pgbench binds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.sql_capture import Captured

PGBENCH_MAX_PARAMETERS = 255  # pgbench's MAX_ARGS less the statement itself

_PLACEHOLDER = re.compile(r"\$(\d+)")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\U0010ffff][\w\x80-\U0010ffff]*)?\$")
_IDENTIFIER_CHARACTER = re.compile(r"[\w$\x80-\U0010ffff]")


class NotReplayableError(ValueError):
    """A captured statement that pgbench cannot send as dexgate sent it, and why."""


@dataclass(frozen=True)
class Script:
    """A pgbench script (one transaction) and the values of its variables."""

    text: str
    variables: tuple[tuple[str, str], ...]


def script(statements: Sequence[Captured]) -> Script:
    """One pgbench transaction replaying ``statements`` in order; NotReplayableError when one
    of them cannot be."""
    commands: list[str] = []
    variables: dict[str, str] = {}
    for number, captured in enumerate(statements, 1):
        if captured.error is not None:
            raise NotReplayableError(f"statement {number}: {captured.error}")
        try:
            commands.append(pgbench_command(captured, f"s{number}_", variables) + ";\n")
        except NotReplayableError as exc:
            raise NotReplayableError(f"statement {number}: {exc}") from None
    return Script("".join(commands), tuple(variables.items()))


def pgbench_command(captured: Captured, prefix: str, variables: dict[str, str]) -> str:
    """The statement as a pgbench SQL command (without its ``;``): ``$n`` as ``:<prefix><n>``,
    whose value goes into ``variables``, and string literals cut after any ``:name``."""
    bound = 0

    def parameter(number: int) -> str:
        nonlocal bound
        if not 1 <= number <= len(captured.parameters):
            raise NotReplayableError(f"${number} has no captured value")
        value = captured.parameters[number - 1]
        if value is None:
            return "NULL"
        if value == "":
            return "''"
        bound += 1
        name = f"{prefix}{number}"
        variables[name] = value
        return f":{name}"

    command = _rewritten(captured.statement.strip().rstrip(";").rstrip(), parameter)
    if bound > PGBENCH_MAX_PARAMETERS:
        raise NotReplayableError(
            f"{bound} parameters, pgbench binds at most {PGBENCH_MAX_PARAMETERS} per statement"
        )
    return command


def _rewritten(sql: str, parameter: Callable[[int], str]) -> str:
    """``sql`` with its placeholders replaced and its string literals cut (see the module)."""
    out: list[str] = []
    at = 0
    while at < len(sql):
        char = sql[at]
        if char == "'":
            end = _string_end(sql, at, escapes=_escape_string(sql, at))
            out.append(_cut(sql[at:end]))
        elif char == '"':
            end = _string_end(sql, at, escapes=False, quote='"')
            out.append(_refused_if_variable(sql[at:end], "a quoted identifier"))
        elif sql.startswith("--", at):
            newline = sql.find("\n", at)
            end = len(sql) if newline < 0 else newline
            out.append(_refused_if_variable(sql[at:end], "a comment"))
        elif sql.startswith("/*", at):
            end = _comment_end(sql, at)
            out.append(_refused_if_variable(sql[at:end], "a comment"))
        elif char == "$" and not (at and _IDENTIFIER_CHARACTER.match(sql[at - 1])):
            placeholder = _PLACEHOLDER.match(sql, at)
            tag = _DOLLAR_TAG.match(sql, at)
            if placeholder is not None:
                end = placeholder.end()
                out.append(parameter(int(placeholder.group(1))))
            elif tag is not None:
                close = sql.find(tag.group(0), tag.end())
                if close < 0:
                    raise NotReplayableError("an unterminated dollar-quoted string")
                end = close + len(tag.group(0))
                out.append(_refused_if_variable(sql[at:end], "a dollar-quoted string"))
            else:
                end = at + 1
                out.append(char)
        elif char == ":":
            end = at + 1
            while end < len(sql) and sql[end] == ":":
                end += 1
            if end == at + 1 and _variable_at(sql, at):
                raise NotReplayableError(
                    f"{sql[at : at + 12]!r} outside a literal, which pgbench reads as a variable"
                )
            out.append(sql[at:end])
        else:
            end = at + 1
            out.append(char)
        at = end
    return "".join(out)


def _variable_at(text: str, colon: int) -> bool:
    """Whether pgbench reads a variable name after the colon at ``colon``: a letter, ``_`` or
    any non-ASCII character (pgbench tests for a byte with the high bit set)."""
    follows = text[colon + 1 : colon + 2]
    return follows == "_" or (follows.isascii() and follows.isalpha()) or not follows.isascii()


def _variable_colons(text: str) -> list[int]:
    """Where pgbench reads ``:name`` in ``text``, scanning as it does: a colon not followed by a
    name is skipped with the colons after it (``::`` is a cast)."""
    found = []
    at = text.find(":")
    while at >= 0:
        if _variable_at(text, at):
            found.append(at)
            at += 1
        else:
            while at < len(text) and text[at] == ":":
                at += 1
        at = text.find(":", at)
    return found


def _cut(literal: str) -> str:
    """A string literal (quotes included) continued on a new line after each ``:name``."""
    pieces = []
    start = 0
    for colon in _variable_colons(literal):
        pieces.append(literal[start : colon + 1] + "'\n'")
        start = colon + 1
    return "".join(pieces) + literal[start:]


def _refused_if_variable(text: str, where: str) -> str:
    """``text``, unless pgbench would read a variable in it."""
    found = _variable_colons(text)
    if found:
        shown = text[found[0] : found[0] + 12]
        raise NotReplayableError(f"{where} holds {shown!r}, which pgbench reads as a variable")
    return text


def _escape_string(sql: str, quote: int) -> bool:
    """Whether the literal opening at ``quote`` is an ``E'...'`` string (backslash escapes)."""
    return (
        quote >= 1
        and sql[quote - 1] in "eE"
        and not (quote >= 2 and _IDENTIFIER_CHARACTER.match(sql[quote - 2]))
    )


def _string_end(sql: str, start: int, *, escapes: bool, quote: str = "'") -> int:
    """The index after the closing quote of the literal or identifier opening at ``start``."""
    at = start + 1
    while at < len(sql):
        if escapes and sql[at] == "\\":
            at += 2
        elif sql[at] == quote:
            if sql[at + 1 : at + 2] != quote:
                return at + 1
            at += 2
        else:
            at += 1
    raise NotReplayableError(f"an unterminated {quote}-quoted text")


def _comment_end(sql: str, start: int) -> int:
    """The index after the ``*/`` closing the (possibly nested) comment opening at ``start``."""
    depth = 0
    at = start
    while at < len(sql):
        if sql.startswith("/*", at):
            depth += 1
            at += 2
        elif sql.startswith("*/", at):
            depth -= 1
            at += 2
            if depth == 0:
                return at
        else:
            at += 1
    raise NotReplayableError("an unterminated comment")
