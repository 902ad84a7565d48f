"""Reading an OpenAPI document the way a client would: resolving ``$ref``s, listing the error
codes each operation documents."""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]
DOCUMENT = "/dynamic-entity/openapi.json"
METHODS = ("get", "post", "patch", "put", "delete")


def resolve(document: Document, node: Any) -> Any:
    """``node``, or what its ``$ref`` points at (references within the document only)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(document: Document) -> dict[tuple[str, str], dict[str, Any]]:
    """``(METHOD, path)`` → operation object."""
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def documented_errors(document: Document, operation: dict[str, Any]) -> set[tuple[int, str]]:
    """``(status, code)`` of every error example of the operation's responses; each example's
    name is its code, and its status is the response's."""
    found: set[tuple[int, str]] = set()
    for status, response in operation["responses"].items():
        content = resolve(document, response).get("content", {}).get("application/json", {})
        for name, example in content.get("examples", {}).items():
            errors = resolve(document, example)["value"]
            assert [e["code"] for e in errors] == [name]
            assert [e["status"] for e in errors] == [int(status)]
            found.add((int(status), name))
    return found
