"""One error vocabulary: every code is defined once, by the class of its condition, and listed
in ``docs/errors.md`` with the statuses it is answered with.

The classes are not listed here: every subclass of :class:`~schema_builder.errors.DexgateError`
and :class:`~auth.errors.AuthError` the application defines is collected once the application
is imported. A subclass that inherits its parent's code is the same condition met elsewhere (a
GraphQL argument out of range is an invalid query parameter); a class that writes a code of its
own must be the only one that writes it.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request

import app.application  # noqa: F401  (imports every module that defines an error class)
from app.errors import UnreadableFormError, handle_http_exception
from auth.errors import AuthError
from schema_builder.errors import DexgateError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "schema_builder", "auth")
ErrorClass = type[DexgateError] | type[AuthError]
# What a code looks like: Spryker's 13xx and 00x, or dexgate's DXnnn.
CODE = re.compile(r"DX\d{3}|00\d|13\d\d")
DOC_ROW = re.compile(r"^\| *([0-9A-Z]+) *\| *([0-9 /]+?) *\|", re.MULTILINE)


def error_classes() -> list[ErrorClass]:
    found: list[ErrorClass] = []
    pending: list[ErrorClass] = [DexgateError, AuthError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [c for c in found if c.__module__.split(".")[0] in PACKAGES]


def defined_codes() -> dict[str, list[ErrorClass]]:
    """Each code and the classes that write it (not those that inherit it)."""
    by_code: dict[str, list[ErrorClass]] = defaultdict(list)
    for cls in error_classes():
        if "code" in vars(cls):
            by_code[cls.code].append(cls)
    return dict(by_code)


def documented() -> dict[str, set[int]]:
    """The codes of docs/errors.md's table, each with the statuses listed for it."""
    text = (ROOT / "docs" / "errors.md").read_text()
    rows = DOC_ROW.findall(text)
    assert rows, "no table rows found in docs/errors.md"
    codes: dict[str, set[int]] = {}
    for code, statuses in rows:
        assert code not in codes, f"docs/errors.md lists {code} twice"
        codes[code] = {int(s) for s in statuses.split("/")}
    return codes


def name(cls: ErrorClass) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_no_two_conditions_share_a_code() -> None:
    shared = {
        code: sorted(name(c) for c in classes)
        for code, classes in defined_codes().items()
        if len(classes) > 1
    }
    assert not shared, f"codes written by more than one class: {shared}"


def test_every_error_answered_has_a_code() -> None:
    classes = error_classes()
    leaves = [c for c in classes if not c.__subclasses__()]
    assert len(leaves) > 40
    missing = [name(c) for c in leaves if not isinstance(getattr(c, "code", None), str)]
    assert not missing, f"error classes without a code: {missing}"


def test_every_code_is_documented_with_its_status() -> None:
    docs = documented()
    for cls in error_classes():
        code = getattr(cls, "code", None)
        if code is None:  # an abstract family (EntityError, RequestError, ...)
            continue
        assert code in docs, f"{name(cls)}: {code} is missing from docs/errors.md"
        assert cls.status in docs[code], (
            f"{name(cls)}: {code} is answered with {cls.status}, docs/errors.md says "
            f"{sorted(docs[code])}"
        )


def test_every_documented_code_is_defined() -> None:
    stale = set(documented()) - set(defined_codes())
    assert not stale, f"docs/errors.md lists codes no error class defines: {sorted(stale)}"


def test_codes_are_written_only_as_their_class_attribute() -> None:
    """A code is a string in one place: ``code = "..."`` in its class. Everywhere else it is
    read from the class (``TooManyItemsError.code``), so that it cannot drift."""
    stray: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            allowed: set[int] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    for statement in node.body:
                        if (
                            isinstance(statement, ast.Assign)
                            and [getattr(t, "id", None) for t in statement.targets] == ["code"]
                            and isinstance(statement.value, ast.Constant)
                        ):
                            allowed.add(id(statement.value))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and CODE.fullmatch(node.value)
                    and id(node) not in allowed
                ):
                    stray.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert not stray, f"error codes written outside their class: {stray}"


async def test_an_http_exception_is_answered_with_a_documented_code() -> None:
    """Starlette's own refusals (a form body it cannot parse) get a code of the vocabulary,
    not one made up from the status."""
    request = Request({"type": "http", "method": "POST", "path": "/x", "headers": []})
    response = await handle_http_exception(
        request, HTTPException(400, "Missing boundary in multipart.")
    )
    assert response.status_code == 400
    assert json.loads(bytes(response.body)) == [
        {"status": 400, "code": "DX138", "message": "Missing boundary in multipart."}
    ]
    assert UnreadableFormError.code == "DX138"
