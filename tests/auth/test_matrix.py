"""The principal x entity x operation matrix of ``matrix.json``, over REST and over GraphQL.

Each case of the data file names a role, an entity, an operation (list, get, create, update,
upsert, delete; reads may include relations, writes may nest children) and the expected outcome.
This module turns a case into a REST request or a GraphQL document, sends it with a principal
holding that one role and checks the answer:

- allowed: REST answers the operation's success status (201 for create, 204 for delete, else
  200); GraphQL answers data without errors;
- denied: REST answers 403 with one DX122 error; GraphQL answers 200, one error whose extensions
  are ``{"code": "DX122", "status": 403}`` and the root field null. The message names the entity
  and the operation that is missing;
- error: another refusal (``1318`` for the delete of a non-deletable entity over REST, ``DX111``
  for the absent delete mutation in GraphQL, ``DX120`` without credentials).

A write allowed to a role that cannot read its entity must answer nothing it did not send:
each answered item holds only the identifier and the fields of the request's item. Over
GraphQL the same write selecting every field of the entity is refused with DX122 (``read``)
and changes nothing.

A write that is not allowed must change nothing: the admin client reads the entities it would
have written before and after it. Every case runs with an API key; the roles listed under
``principals`` also run with a Back Office user's token and an OAuth client's token. The cases of
one principal kind and transport run in one test (one fresh database); a failure lists every
case that went wrong, by its position and description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import httpx
import pytest

from app.gateway import Gateway
from auth import store
from auth.permissions import ADMIN_ROLE, OPERATIONS, Operation, parse_grant
from schema_builder.catalog import Catalog, Entity
from schema_builder.graphql.names import entity_names
from schema_builder.graphql.schema import scalar_for

MATRIX_FILE = Path(__file__).with_name("matrix.json")

Transport = Literal["rest", "graphql"]
PrincipalKind = Literal["apikey", "user", "client"]
OpKind = Literal["list", "get", "create", "update", "upsert", "delete"]
Row = dict[str, Any]
Headers = dict[str, str]

TRANSPORTS: tuple[Transport, ...] = get_args(Transport)
PRINCIPAL_KINDS: tuple[PrincipalKind, ...] = get_args(PrincipalKind)
OP_KINDS: tuple[OpKind, ...] = get_args(OpKind)
WRITES: frozenset[OpKind] = frozenset({"create", "update", "upsert", "delete"})
# What each operation kind needs, in the order the gateway checks it.
NEEDS: dict[OpKind, tuple[Operation, ...]] = {
    "list": ("read",),
    "get": ("read",),
    "create": ("create",),
    "update": ("update",),
    "upsert": ("create", "update"),
    "delete": ("delete",),
}
REST_SUCCESS: dict[OpKind, int] = {
    "list": 200,
    "get": 200,
    "create": 201,
    "update": 200,
    "upsert": 200,
    "delete": 204,
}
REST_METHOD: dict[OpKind, str] = {
    "list": "GET",
    "get": "GET",
    "create": "POST",
    "update": "PATCH",
    "upsert": "PUT",
    "delete": "DELETE",
}
PASSWORD = "matrix-password-1"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# --- the data file -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expect:
    """``allowed``; ``denied`` with the missing ``alias:operation``; or ``error`` code/status."""

    kind: Literal["allowed", "denied", "error"]
    alias: str = ""
    operation: str = ""
    code: str = ""
    status: int = 0

    @classmethod
    def parse(cls, raw: Any) -> Expect:
        if raw == "allowed":
            return cls("allowed")
        if isinstance(raw, dict) and set(raw) == {"denied"}:
            alias, operation = str(raw["denied"]).split(":")
            return cls("denied", alias=alias, operation=operation)
        if isinstance(raw, dict) and set(raw) == {"error", "status"}:
            return cls("error", code=str(raw["error"]), status=int(raw["status"]))
        raise ValueError(f"Cannot read expectation {raw!r}")

    def __str__(self) -> str:
        if self.kind == "allowed":
            return "allowed"
        if self.kind == "denied":
            return f"denied {self.alias}:{self.operation}"
        return f"error {self.code}/{self.status}"

    @property
    def message(self) -> str:
        return (
            f"Not allowed to {self.operation} `{self.alias}`: "
            f"no role grants {self.alias}:{self.operation}."
        )


@dataclass(frozen=True, slots=True)
class Case:
    index: int
    role: str
    entity: str
    op: OpKind
    include: tuple[str, ...]
    nested: str | None
    expect: Expect
    graphql: Expect | None

    @property
    def request_key(self) -> str:
        """Which body of ``requests[entity]`` the case sends."""
        return self.op if self.nested is None else f"{self.op}:{self.nested}"

    @property
    def writes(self) -> bool:
        return self.op in WRITES

    def expected(self, transport: Transport) -> Expect:
        if transport == "graphql" and self.graphql is not None:
            return self.graphql
        return self.expect

    def __str__(self) -> str:
        what = f"{self.op} {self.entity}"
        if self.include:
            what += f" include={','.join(self.include)}"
        if self.nested:
            what += f" nested={self.nested}"
        return f"case #{self.index} [{self.role}] {what}"


@dataclass(frozen=True, slots=True)
class Matrix:
    roles: dict[str, list[str] | None]
    principals: dict[PrincipalKind, list[str]]
    no_credentials: Expect
    requests: dict[str, dict[str, Any]]
    cases: list[Case]


def load_matrix(path: Path = MATRIX_FILE) -> Matrix:
    raw = json.loads(path.read_text())
    cases = []
    for index, item in enumerate(raw["cases"]):
        unknown = set(item) - {"role", "entity", "op", "include", "nested", "expect", "graphql"}
        assert not unknown, f"case #{index}: unknown keys {unknown}"
        op = item["op"]
        assert op in OP_KINDS, f"case #{index}: unknown op {op!r}"
        cases.append(
            Case(
                index=index,
                role=item["role"],
                entity=item["entity"],
                op=op,
                include=tuple(item.get("include", ())),
                nested=item.get("nested"),
                expect=Expect.parse(item["expect"]),
                graphql=Expect.parse(item["graphql"]) if "graphql" in item else None,
            )
        )
    return Matrix(
        roles=raw["roles"],
        principals=raw["principals"],
        no_credentials=Expect.parse(raw["no_credentials"]),
        requests=raw["requests"],
        cases=cases,
    )


MATRIX = load_matrix()


def substitute(value: Any, n: int) -> Any:
    """``value`` with ``{n}`` in every string replaced by ``n``."""
    if isinstance(value, str):
        return value.replace("{n}", str(n))
    if isinstance(value, list):
        return [substitute(v, n) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, n) for k, v in value.items()}
    return value


# --- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """One transport-independent request: the operation, its target and its body."""

    alias: str
    op: OpKind
    include: tuple[str, ...] = ()
    items: tuple[Row, ...] = ()
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any

    def __str__(self) -> str:
        return f"{self.status} {json.dumps(self.body)[:400]}"


def relation_targets(catalog: Catalog, alias: str, chain: str) -> list[str]:
    """The aliases a dotted relation chain reaches from ``alias``, in order."""
    out = []
    entity = catalog.entity(alias)
    for name in chain.split("."):
        target = catalog.entities[entity.relations[name].target]
        out.append(target.alias)
        entity = target
    return out


LIST_LIMIT = 100


def graphql_selection(catalog: Catalog, entity: Entity, include: Sequence[str]) -> str:
    """The identifier of ``entity`` and, for each include chain, the relations beneath it."""
    tree: dict[str, Any] = {}
    for chain in include:
        node = tree
        for name in chain.split("."):
            node = node.setdefault(name, {})

    def render(current: Entity, node: Mapping[str, Any]) -> str:
        parts = [current.identifier.name]
        for name, sub in node.items():
            relation = current.relations[name]
            target = catalog.entities[relation.target]
            # Lists are limited, or the estimated cost of two nested levels is refused (DX134).
            limit = f"(limit: {LIST_LIMIT})" if relation.many else ""
            parts.append(f"{name}{limit} {{ {render(target, sub)} }}")
        return " ".join(parts)

    return render(entity, tree)


def graphql_document(
    catalog: Catalog, call: Call, *, every_field: bool = False
) -> tuple[str, dict[str, Any]]:
    """The call as a GraphQL document selecting the identifier (and the includes), or every
    field of the entity."""
    entity = catalog.entity(call.alias)
    names = entity_names(call.alias, entity.configuration.definition.graphql_name)
    fields = graphql_selection(catalog, entity, call.include)
    if every_field:
        fields = " ".join(f.name for f in entity.fields)
    id_type = scalar_for(entity.identifier).name
    if call.op == "list":
        listed = f"{names.list_query}(limit: {LIST_LIMIT})"
        return f"query {{ result: {listed} {{ items {{ {fields} }} }} }}", {}
    if call.op == "get":
        query = f"query($id: {id_type}!) {{ result: {names.get_query}(id: $id) {{ {fields} }} }}"
        return query, {"id": call.id}
    if call.op == "delete":
        query = (
            f"mutation($id: {id_type}) {{ result: {names.delete}(id: $id) "
            "{ deletedCount errors { status code message } } }"
        )
        return query, {"id": call.id}
    field, input_type = {
        "create": (names.create, names.create_input),
        "update": (names.update, names.update_input),
        "upsert": (names.upsert, names.upsert_input),
    }[call.op]
    query = (
        f"mutation($items: [{input_type}!]!) {{ result: {field}(items: $items) "
        f"{{ items {{ {fields} }} errors {{ status code message }} }} }}"
    )
    return query, {"items": list(call.items)}


async def send(
    http: httpx.AsyncClient,
    transport: Transport,
    catalog: Catalog,
    call: Call,
    headers: Headers,
    *,
    every_field: bool = False,
) -> Reply:
    if transport == "graphql":
        query, variables = graphql_document(catalog, call, every_field=every_field)
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    else:
        path = f"/dynamic-entity/{call.alias}"
        if call.id is not None:
            path += f"/{call.id}"
        params = {"include": ",".join(call.include)} if call.include else {}
        body = {"data": list(call.items)} if call.items else None
        response = await http.request(
            REST_METHOD[call.op], path, params=params, json=body, headers=headers
        )
    return Reply(response.status_code, response.json() if response.content else None)


# --- checking answers ----------------------------------------------------------------------------


def rest_problem(call: Call, expect: Expect, reply: Reply) -> str | None:
    if expect.kind == "allowed":
        ok = reply.status == REST_SUCCESS[call.op]
        if ok and call.op != "delete":
            ok = isinstance(reply.body, dict) and "data" in reply.body
        return None if ok else f"expected {REST_SUCCESS[call.op]}, got {reply}"
    if expect.kind == "denied":
        wanted = [{"status": 403, "code": "DX122", "message": expect.message}]
        ok = reply.status == 403 and reply.body == wanted
        return None if ok else f"expected 403 {json.dumps(wanted)}, got {reply}"
    body = reply.body
    ok = (
        reply.status == expect.status
        and isinstance(body, list)
        and len(body) == 1
        and body[0].get("code") == expect.code
        and body[0].get("status") == expect.status
    )
    return None if ok else f"expected {expect.status} {expect.code}, got {reply}"


def graphql_problem(call: Call, expect: Expect, reply: Reply) -> str | None:
    body = reply.body if isinstance(reply.body, dict) else {}
    errors = body.get("errors")
    data = body.get("data")
    result: dict[str, Any] | None = data.get("result") if isinstance(data, dict) else None
    if expect.kind == "allowed":
        ok = reply.status == 200 and not errors and result is not None
        if result is not None and call.op in WRITES:
            ok = ok and result.get("errors") == []
        if result is not None and call.op == "delete":
            ok = ok and result.get("deletedCount") == 1
        return None if ok else f"expected data without errors, got {reply}"
    if expect.kind == "denied":
        ok = (
            reply.status == 200
            and isinstance(errors, list)
            and len(errors) == 1
            and errors[0].get("extensions") == {"code": "DX122", "status": 403}
            and errors[0].get("message") == expect.message
            and errors[0].get("path") == ["result"]
            and result is None
        )
        return None if ok else f"expected 200 with DX122 {expect.message!r}, got {reply}"
    ok = (
        reply.status == expect.status
        and isinstance(errors, list)
        and bool(errors)
        and errors[0].get("extensions", {}).get("code") == expect.code
        and result is None
    )
    return None if ok else f"expected {expect.status} {expect.code}, got {reply}"


def answered_items(transport: Transport, reply: Reply) -> list[Row]:
    """The items an allowed write answered."""
    body = reply.body if isinstance(reply.body, dict) else {}
    if transport == "rest":
        return list(body.get("data") or [])
    return list(((body.get("data") or {}).get("result") or {}).get("items") or [])


def disclosed(catalog: Catalog, call: Call, items: Sequence[Row]) -> list[str]:
    """What the answer holds beyond each item's identifier and the fields it sent."""
    identifier = catalog.entity(call.alias).identifier.name
    out = []
    for sent, answered in zip(call.items, items, strict=False):
        extra = set(answered) - set(sent) - {identifier}
        if extra:
            out.append(f"item answered with {sorted(extra)} it did not send")
    if len(items) != len(call.items):
        out.append(f"{len(items)} items answered for {len(call.items)} sent")
    return out


# --- principals ----------------------------------------------------------------------------------


async def create_roles(gateway: Gateway) -> None:
    for role, grants in MATRIX.roles.items():
        if role != ADMIN_ROLE:
            await store.set_role(gateway.engine, role, grants or [])


async def token(http: httpx.AsyncClient, form: Mapping[str, str], **extra: Any) -> Headers:
    response = await http.post("/token", data=dict(form), headers=FORM, **extra)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def principal_headers(
    gateway: Gateway, http: httpx.AsyncClient, kind: PrincipalKind, role: str
) -> Headers:
    """Credentials of a new principal of ``kind`` holding ``role`` alone."""
    name = f"matrix-{kind}-{role}"
    if kind == "apikey":
        return {"X-Api-Key": await store.create_api_key(gateway.engine, name, [role])}
    if kind == "user":
        await store.create_user(gateway.engine, name, PASSWORD, [role])
        form = {"grant_type": "password", "username": name, "password": PASSWORD}
        return await token(http, form)
    client_id, secret = await store.create_client(gateway.engine, name, [role])
    return await token(
        http, {"grant_type": "client_credentials"}, auth=httpx.BasicAuth(client_id, secret)
    )


# --- running cases -------------------------------------------------------------------------------


class Runner:
    """Sends cases over one transport and checks them; keeps what the admin client last read of
    each entity, to show that a refused write changed nothing."""

    def __init__(
        self,
        transport: Transport,
        http: httpx.AsyncClient,
        admin: httpx.AsyncClient,
        catalog: Catalog,
    ) -> None:
        self.transport = transport
        self.http = http
        self.admin = admin
        self.catalog = catalog
        self.known: dict[str, Any] = {}

    async def read(self, alias: str) -> Any:
        response = await self.admin.get(f"/dynamic-entity/{alias}")
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def seed(self, alias: str, row: Row) -> int:
        """Create ``row`` as admin and return its identifier."""
        response = await self.admin.post(f"/dynamic-entity/{alias}", json={"data": [row]})
        assert response.status_code == 201, response.text
        self.known.pop(alias, None)
        identifier = self.catalog.entity(alias).identifier.name
        return int(response.json()["data"][0][identifier])

    async def call_for(self, case: Case) -> Call:
        spec = MATRIX.requests[case.entity]
        if case.op in ("list", "get"):
            ident = int(spec["get"]["id"]) if case.op == "get" else None
            return Call(case.entity, case.op, case.include, id=ident)
        body = substitute(spec[case.request_key], case.index)
        if case.op == "delete":
            ident = await self.seed(case.entity, body["seed"]) if "seed" in body else body["id"]
            return Call(case.entity, "delete", id=int(ident))
        return Call(case.entity, case.op, items=tuple(body))

    def touched(self, case: Case) -> list[str]:
        """The entities the case's request would write."""
        if case.nested is None:
            return [case.entity]
        return [case.entity, *relation_targets(self.catalog, case.entity, case.nested)]

    async def run(self, case: Case, headers: Headers, expect: Expect) -> str | None:
        """Send the case; describe what went wrong, or None."""
        call = await self.call_for(case)
        touched = self.touched(case) if case.writes else []
        must_not_change = expect.kind != "allowed" and bool(touched)
        if must_not_change:
            for alias in touched:
                if alias not in self.known:
                    self.known[alias] = await self.read(alias)
        reply = await send(self.http, self.transport, self.catalog, call, headers)
        check = rest_problem if self.transport == "rest" else graphql_problem
        problem = check(call, expect, reply)
        blind = case.op in ("create", "update", "upsert") and not granted(
            case.role, case.entity, "read"
        )
        if problem is None and expect.kind == "allowed" and blind:
            problem = await self.check_blind_write(case, call, reply, headers)
        if not must_not_change:
            for alias in touched:
                self.known.pop(alias, None)
            return problem
        changed = []
        for alias in touched:
            now = await self.read(alias)
            if now != self.known[alias]:
                changed.append(alias)
                self.known[alias] = now
        if changed:
            problem = f"{problem or 'refused as expected'}; but it changed {', '.join(changed)}"
        return problem

    async def check_blind_write(
        self, case: Case, call: Call, reply: Reply, headers: Headers
    ) -> str | None:
        """An allowed write by a role that cannot read the entity: it answered nothing the
        request did not send, and over GraphQL selecting every field is refused unwritten."""
        found = disclosed(self.catalog, call, answered_items(self.transport, reply))
        if found:
            return "; ".join(found)
        if self.transport != "graphql":
            return None
        before = await self.read(case.entity)
        wide = await send(self.http, self.transport, self.catalog, call, headers, every_field=True)
        problem = graphql_problem(call, Expect("denied", case.entity, "read"), wide)
        if await self.read(case.entity) != before:
            problem = f"{problem or 'refused'}; but selecting every field wrote"
        self.known.pop(case.entity, None)
        return None if problem is None else f"selecting every field: {problem}"


def report(failures: Sequence[str], total: int) -> str:
    return f"{len(failures)} of {total} cases failed:\n" + "\n".join(failures)


# --- tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("kind", PRINCIPAL_KINDS)
async def test_matrix(
    kind: PrincipalKind,
    transport: Transport,
    anonymous: httpx.AsyncClient,
    client: httpx.AsyncClient,
    gateway: Gateway,
) -> None:
    await create_roles(gateway)
    roles = MATRIX.principals[kind]
    headers = {role: await principal_headers(gateway, anonymous, kind, role) for role in roles}
    runner = Runner(transport, anonymous, client, await gateway.registry.current())
    cases = [c for c in MATRIX.cases if c.role in roles]
    failures = []
    for case in cases:
        expect = case.expected(transport)
        problem = await runner.run(case, headers[case.role], expect)
        if problem is not None:
            failures.append(f"{case} (expected {expect}): {problem}")
    assert not failures, report(failures, len(cases))


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_no_credentials_are_refused_on_every_entity_path(
    transport: Transport,
    anonymous: httpx.AsyncClient,
    client: httpx.AsyncClient,
    gateway: Gateway,
) -> None:
    runner = Runner(transport, anonymous, client, await gateway.registry.current())
    distinct: dict[tuple[str, str, tuple[str, ...], str | None], Case] = {}
    for case in MATRIX.cases:
        distinct.setdefault((case.entity, case.op, case.include, case.nested), case)
    failures = []
    for case in distinct.values():
        problem = await runner.run(case, {}, MATRIX.no_credentials)
        if problem is not None:
            failures.append(f"{case} without credentials: {problem}")
    assert not failures, report(failures, len(distinct))


def granted(role: str, alias: str, operation: Operation) -> bool:
    if role == ADMIN_ROLE:
        return True
    grants = [parse_grant(spec) for spec in MATRIX.roles[role] or []]
    return any(a in (alias, "*") and operation in ops for a, ops in grants)


def test_matrix_file_covers_every_role_entity_and_operation_consistently() -> None:
    """The data file itself: every role meets every operation on the four demo entities, reads
    across entities and nested writes are there, and each expectation fits the role's grants."""
    cases = MATRIX.cases
    assert MATRIX.roles[ADMIN_ROLE] is None, "admin is built in"
    for kind in PRINCIPAL_KINDS:
        assert set(MATRIX.principals[kind]) <= set(MATRIX.roles), kind
    assert set(MATRIX.principals["apikey"]) == set(MATRIX.roles)
    covered = {(c.role, c.entity, c.op) for c in cases}
    for role in MATRIX.roles:
        for alias in ("products", "categories", "countries", "product-stocks"):
            for op in OP_KINDS:
                assert (role, alias, op) in covered, (role, alias, op)
    keys = [(c.role, c.entity, c.op, c.include, c.nested) for c in cases]
    assert len(keys) == len(set(keys)), "a case is listed twice"
    catalog_targets = {
        "products": {"category": "categories", "stocks": "product-stocks"},
        "categories": {"products": "products"},
        "countries": {"stocks": "product-stocks"},
        "product-stocks": {"product": "products", "country": "countries"},
    }

    def reached(alias: str, chain: str) -> list[str]:
        out = []
        for name in chain.split("."):
            alias = catalog_targets[alias][name]
            out.append(alias)
        return out

    across_denied = 0
    for case in cases:
        expect = case.expect
        reads = [case.entity] + [a for chain in case.include for a in reached(case.entity, chain)]
        writes = [case.entity, *(reached(case.entity, case.nested) if case.nested else [])]
        targets = reads if case.op in ("list", "get") else writes
        needed = [(a, o) for a in targets for o in NEEDS[case.op]]
        missing = [(a, o) for a, o in needed if not granted(case.role, a, o)]
        if expect.kind == "denied":
            assert (expect.alias, expect.operation) in missing, str(case)
            assert expect.operation in OPERATIONS, str(case)
            if case.include and granted(case.role, case.entity, "read"):
                across_denied += 1
        else:
            assert not missing, f"{case}: the role lacks {missing}"
        if case.op in WRITES:
            assert case.request_key in MATRIX.requests[case.entity], str(case)
    assert across_denied >= 3, "reads allowed on the root but denied on an included entity"
    assert any(c.nested and c.expect.kind == "allowed" for c in cases)
    assert any(c.nested and c.expect.kind == "denied" for c in cases)
