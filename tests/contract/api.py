"""One small client protocol over both transports, so each contract scenario is written once.

``RestApi`` speaks the Spryker-compatible REST API at ``/dynamic-entity``; ``GraphqlApi`` builds
GraphQL documents from the live catalog's names (:mod:`schema_builder.graphql.names`) and sends
every argument as a variable. Both return an :class:`Outcome`:

- ``rows``: plain dicts keyed by visible names, relations nested under their names. A requested
  relation is always present after normalisation: ``[]`` for hasMany and ``None`` for
  belongsTo when there is nothing (REST leaves the key out, GraphQL answers ``[]``/``null``).
- ``errors``: ``(code, status)`` pairs in the order reported, with ``messages`` alongside.
- a partial write (``transactional=False``) fills both ``rows`` (saved) and ``errors``.

Filters are transport-neutral ``{field: {operator: value}}`` mappings: REST sends each field as
``filter[<alias>.<field>]=<JSON object>``, GraphQL as the entity's filter input. Sort keys are
field names, ``-`` first for descending. Includes are dotted chains (``"stocks.country"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from app.gateway import Gateway
from schema_builder.catalog import Catalog, Entity
from schema_builder.graphql.names import EntityNames, entity_names
from schema_builder.graphql.schema import scalar_for

Row = dict[str, Any]
Filter = Mapping[str, Mapping[str, Any]]
Transport = Literal["rest", "graphql"]
Tree = dict[str, "Tree"]
Param = tuple[str, str | int | float | bool | None]


@dataclass
class Outcome:
    ok: bool
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[str, int]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    total: int | None = None

    @property
    def codes(self) -> list[str]:
        return [code for code, _status in self.errors]

    def row(self) -> Row:
        assert self.ok, self.errors
        assert len(self.rows) == 1, self.rows
        return self.rows[0]


class Api(Protocol):
    transport: Transport

    async def list(
        self,
        alias: str,
        *,
        filter: Filter | None = None,
        sort: Sequence[str] = (),
        offset: int | None = None,
        limit: int | None = None,
        include: Sequence[str] = (),
        count: bool = False,
    ) -> Outcome: ...

    async def get(self, alias: str, id: int, *, include: Sequence[str] = ()) -> Outcome: ...

    async def create(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome: ...

    async def update(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome: ...

    async def upsert(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome: ...

    async def delete(
        self, alias: str, id: int | None = None, *, filter: Filter | None = None
    ) -> Outcome: ...


# --- shared normalisation --------------------------------------------------------------------


def include_tree(chains: Sequence[str]) -> Tree:
    tree: Tree = {}
    for chain in chains:
        node = tree
        for name in chain.split("."):
            node = node.setdefault(name, {})
    return tree


def written_tree(entity: Entity, catalog: Catalog, items: Sequence[Row]) -> Tree:
    """The relations the items write children through, as an include tree."""
    tree: Tree = {}
    for item in items:
        for name, value in item.items():
            relation = entity.relations.get(name)
            if relation is None or not isinstance(value, list):
                continue
            child = written_tree(catalog.entities[relation.target], catalog, value)
            node = tree.setdefault(name, {})
            for key, sub in child.items():
                node.setdefault(key, {}).update(sub)
    return tree


def normalise(catalog: Catalog, entity: Entity, row: Row, tree: Tree) -> Row:
    """``row`` with every relation of ``tree`` present: ``[]``/``None`` when there is none."""
    out = dict(row)
    for name, sub in tree.items():
        relation = entity.relations[name]
        target = catalog.entities[relation.target]
        value = out.get(name)
        if relation.many:
            out[name] = [normalise(catalog, target, r, sub) for r in value or []]
        else:
            out[name] = None if value is None else normalise(catalog, target, value, sub)
    return out


def _errors(items: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[str, int]], list[str]]:
    return (
        [(str(e["code"]), int(e["status"])) for e in items],
        [str(e["message"]) for e in items],
    )


def _filter_params(alias: str, filter: Filter | None) -> list[Param]:
    """``filter[<alias>.<field>]={"<operator>": <value>, ...}`` per field."""
    return [
        (f"filter[{alias}.{name}]", json.dumps(operators))
        for name, operators in (filter or {}).items()
    ]


# --- REST ------------------------------------------------------------------------------------


class RestApi:
    transport: Transport = "rest"

    def __init__(self, client: httpx.AsyncClient, gateway: Gateway) -> None:
        self.client = client
        self.gateway = gateway

    async def _catalog(self) -> Catalog:
        return await self.gateway.registry.current()

    async def _rows(self, alias: str, rows: Sequence[Row], tree: Tree) -> list[Row]:
        catalog = await self._catalog()
        entity = catalog.entity(alias)
        return [normalise(catalog, entity, r, tree) for r in rows]

    @staticmethod
    def _failure(response: httpx.Response) -> Outcome:
        body = response.json()
        assert isinstance(body, list), body
        errors, messages = _errors(body)
        assert response.status_code == errors[-1][1], (response.status_code, body)
        return Outcome(False, errors=errors, messages=messages)

    async def list(
        self,
        alias: str,
        *,
        filter: Filter | None = None,
        sort: Sequence[str] = (),
        offset: int | None = None,
        limit: int | None = None,
        include: Sequence[str] = (),
        count: bool = False,
    ) -> Outcome:
        params = _filter_params(alias, filter)
        if sort:
            params.append(("sort", ",".join(sort)))
        if offset is not None or limit is not None:
            # REST applies a page only when both are given.
            page_limit = limit if limit is not None else self.gateway.settings.default_page_size
            params += [("page[offset]", str(offset or 0)), ("page[limit]", str(page_limit))]
        if include:
            params.append(("include", ",".join(include)))
        if count:
            params.append(("count", "true"))
        response = await self.client.get(f"/dynamic-entity/{alias}", params=params)
        if response.status_code != 200:
            return self._failure(response)
        body = response.json()
        rows = await self._rows(alias, body["data"], include_tree(include))
        total = body["meta"]["totalCount"] if count else None
        return Outcome(True, rows=rows, total=total)

    async def get(self, alias: str, id: int, *, include: Sequence[str] = ()) -> Outcome:
        params = {"include": ",".join(include)} if include else {}
        response = await self.client.get(f"/dynamic-entity/{alias}/{id}", params=params)
        if response.status_code != 200:
            return self._failure(response)
        rows = await self._rows(alias, [response.json()["data"]], include_tree(include))
        return Outcome(True, rows=rows)

    async def _write(
        self, method: str, alias: str, items: Sequence[Row], transactional: bool
    ) -> Outcome:
        headers = {} if transactional else {"X-Is-Transactional": "false"}
        response = await self.client.request(
            method, f"/dynamic-entity/{alias}", json={"data": list(items)}, headers=headers
        )
        body = response.json()
        if isinstance(body, list):
            return self._failure(response)
        catalog = await self._catalog()
        tree = written_tree(catalog.entity(alias), catalog, items)
        rows = await self._rows(alias, body["data"], tree)
        errors, messages = _errors(body.get("errors", []))
        return Outcome(not errors, rows=rows, errors=errors, messages=messages)

    async def create(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome:
        return await self._write("POST", alias, items, transactional)

    async def update(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome:
        return await self._write("PATCH", alias, items, transactional)

    async def upsert(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome:
        return await self._write("PUT", alias, items, transactional)

    async def delete(
        self, alias: str, id: int | None = None, *, filter: Filter | None = None
    ) -> Outcome:
        path = f"/dynamic-entity/{alias}" if id is None else f"/dynamic-entity/{alias}/{id}"
        params = _filter_params(alias, filter)
        response = await self.client.delete(path, params=params)
        if response.status_code != 204:
            return self._failure(response)
        return Outcome(True)


# --- GraphQL ---------------------------------------------------------------------------------


def selection(catalog: Catalog, entity: Entity, tree: Tree) -> str:
    """Every configured field of ``entity``, and the relations of ``tree`` beneath it."""
    parts = [f.name for f in entity.fields]
    for name, sub in tree.items():
        relation = entity.relations.get(name)
        if relation is None:  # asked for on purpose: the server must refuse it
            parts.append(name)
            continue
        target = catalog.entities[relation.target]
        parts.append(f"{name} {{ {selection(catalog, target, sub)} }}")
    return " ".join(parts)


def graphql_sort(sort: Sequence[str]) -> list[str]:
    """REST's ``-price`` as GraphQL's ``PRICE_DESC`` (the demo's field names are snake case)."""
    return [
        f"{key[1:].upper()}_DESC" if key.startswith("-") else f"{key.upper()}_ASC" for key in sort
    ]


class GraphqlApi:
    transport: Transport = "graphql"

    def __init__(self, client: httpx.AsyncClient, gateway: Gateway) -> None:
        self.client = client
        self.gateway = gateway

    async def _entity(self, alias: str) -> tuple[Catalog, Entity, EntityNames]:
        catalog = await self.gateway.registry.current()
        entity = catalog.entity(alias)
        return catalog, entity, entity_names(alias, entity.configuration.definition.graphql_name)

    async def _post(self, query: str, variables: Mapping[str, Any]) -> Mapping[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": dict(variables)}
        )
        body: Mapping[str, Any] = response.json()
        assert isinstance(body, dict), body
        if response.status_code != 200:
            assert "errors" in body, body
        return body

    @staticmethod
    def _failure(body: Mapping[str, Any]) -> Outcome:
        errors = body["errors"]
        return Outcome(
            False,
            errors=[(e["extensions"]["code"], e["extensions"]["status"]) for e in errors],
            messages=[e["message"] for e in errors],
        )

    async def list(
        self,
        alias: str,
        *,
        filter: Filter | None = None,
        sort: Sequence[str] = (),
        offset: int | None = None,
        limit: int | None = None,
        include: Sequence[str] = (),
        count: bool = False,
    ) -> Outcome:
        catalog, entity, names = await self._entity(alias)
        arguments: dict[str, tuple[str, Any]] = {}
        if filter is not None:
            arguments["filter"] = (names.filter, dict(filter))
        if sort:
            arguments["sort"] = (f"[{names.sort}!]", graphql_sort(sort))
        if limit is not None:
            arguments["limit"] = ("Int", limit)
        if offset is not None:
            arguments["offset"] = ("Int", offset)
        declared = ", ".join(f"${name}: {kind}" for name, (kind, _v) in arguments.items())
        passed = ", ".join(f"{name}: ${name}" for name in arguments)
        tree = include_tree(include)
        query = (
            f"query{f'({declared})' if declared else ''} {{ result: {names.list_query}"
            f"{f'({passed})' if passed else ''} {{ items {{ {selection(catalog, entity, tree)} }}"
            f"{' totalCount' if count else ''} }} }}"
        )
        body = await self._post(query, {name: value for name, (_k, value) in arguments.items()})
        if body.get("errors"):
            return self._failure(body)
        result = body["data"]["result"]
        rows = [normalise(catalog, entity, r, tree) for r in result["items"]]
        return Outcome(True, rows=rows, total=result["totalCount"] if count else None)

    async def get(self, alias: str, id: int, *, include: Sequence[str] = ()) -> Outcome:
        """A missing row is ``null`` in GraphQL: an ok outcome with no rows."""
        catalog, entity, names = await self._entity(alias)
        tree = include_tree(include)
        id_type = scalar_for(entity.identifier).name
        query = (
            f"query($id: {id_type}!) {{ result: {names.get_query}(id: $id) "
            f"{{ {selection(catalog, entity, tree)} }} }}"
        )
        body = await self._post(query, {"id": id})
        if body.get("errors"):
            return self._failure(body)
        row = body["data"]["result"]
        return Outcome(True, rows=[] if row is None else [normalise(catalog, entity, row, tree)])

    async def _write(
        self,
        mode: Literal["create", "update", "upsert"],
        alias: str,
        items: Sequence[Row],
        transactional: bool,
    ) -> Outcome:
        catalog, entity, names = await self._entity(alias)
        field_name = {"create": names.create, "update": names.update, "upsert": names.upsert}
        input_type = {
            "create": names.create_input,
            "update": names.update_input,
            "upsert": names.upsert_input,
        }
        tree = written_tree(entity, catalog, items)
        query = (
            f"mutation($items: [{input_type[mode]}!]!, $transactional: Boolean) "
            f"{{ result: {field_name[mode]}(items: $items, transactional: $transactional) "
            f"{{ items {{ {selection(catalog, entity, tree)} }} "
            "errors { status code message } } }"
        )
        body = await self._post(query, {"items": list(items), "transactional": transactional})
        if body.get("errors"):
            assert body.get("data") is None or body["data"]["result"] is None, body
            return self._failure(body)
        result = body["data"]["result"]
        errors, messages = _errors(result["errors"])
        rows = [normalise(catalog, entity, r, tree) for r in result["items"]]
        return Outcome(not errors, rows=rows, errors=errors, messages=messages)

    async def create(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome:
        return await self._write("create", alias, items, transactional)

    async def update(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome:
        return await self._write("update", alias, items, transactional)

    async def upsert(
        self, alias: str, items: Sequence[Row], *, transactional: bool = True
    ) -> Outcome:
        return await self._write("upsert", alias, items, transactional)

    async def delete(
        self, alias: str, id: int | None = None, *, filter: Filter | None = None
    ) -> Outcome:
        """GraphQL reports rows that could not be deleted (1317) in ``errors`` of the result,
        REST as an error response; both become the outcome's errors."""
        _catalog, entity, names = await self._entity(alias)
        id_type = scalar_for(entity.identifier).name
        query = (
            f"mutation($id: {id_type}, $filter: {names.filter}) "
            f"{{ result: {names.delete}(id: $id, filter: $filter) "
            "{ deletedCount errors { status code message } } }"
        )
        body = await self._post(
            query, {"id": id, "filter": None if filter is None else dict(filter)}
        )
        if body.get("errors"):
            return self._failure(body)
        errors, messages = _errors(body["data"]["result"]["errors"])
        return Outcome(not errors, errors=errors, messages=messages)
