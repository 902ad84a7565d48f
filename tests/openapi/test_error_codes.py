"""Every error code the REST layer answers an operation with is documented for that operation.

The codes are not listed here by hand: the expected errors are the classes of
``schema_builder/errors.py`` and ``auth/errors.py``, each driven through the REST layer by a
request that provokes it (its status and code are read from the class). Every error class is
either provoked here, or named below with the reason it cannot be (or is never answered to an
operation of the document), so a new error class fails this test until it is placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from app.gateway import Gateway
from auth import errors as auth_errors
from auth import store
from auth.errors import (
    AdminRequiredError,
    AuthError,
    InvalidAccessTokenError,
    MalformedAuthorizationError,
    RateLimitedError,
    TooManyAttemptsError,
    UnauthorizedRequestError,
)
from schema_builder import errors
from schema_builder.errors import DexgateError
from tests.openapi.support import DOCUMENT, Document, documented_errors, operations

ErrorClass = type[DexgateError] | type[AuthError]

PRODUCTS = "/dynamic-entity/products"
PRODUCT = "/dynamic-entity/products/{id}"
CATEGORIES = "/dynamic-entity/categories"
CATEGORY = "/dynamic-entity/categories/{id}"
MISSING_ID = "999999"
VALID_PRODUCT = {"sku": "OA-ERR", "name": "Error probe", "price": "1.00"}

# Answered, but never to an operation of the document.
NOT_FOR_DOCUMENTED_OPERATIONS: dict[ErrorClass, str] = {
    errors.RouteNotFoundError: "a path that is not in the document",
    errors.RouteMethodNotAllowedError: "a method the path does not have",
    errors.MethodNotAllowedError: "DELETE on a non-deletable entity, which has no DELETE listed",
    AdminRequiredError: "admin-only pages, not /dynamic-entity",
    TooManyAttemptsError: "POST /token",
    errors.HeadersTooLargeError: "dexgate serve's HTTP protocol, before any route "
    "(tests/processes/test_header_limits.py)",
    errors.ChangeFeedOffError: "GET /change-feed/{alias} of an entity whose feed is off, "
    "which the document does not list (tests/changefeed/test_capture.py)",
}
# Documented for GET /change-feed/{alias}, which the demo's entities (no change feed) do not
# have: provoked in tests/changefeed/test_capture.py.
CHANGE_FEED_NOT_PROVOKED: dict[ErrorClass, str] = {
    errors.CursorPrunedError: "a cursor older than the events kept",
}
# Documented for every operation, but not provoked here: it takes a broken database, a bug or
# a rate limit, which this app has none of.
NOT_PROVOKED: dict[ErrorClass, str] = {
    errors.ServiceUnavailableError: "the database going away",
    errors.InternalError: "an unexpected exception",
    errors.RequestTimeoutError: "a request too slow (tests/reliability/test_timeouts.py)",
    RateLimitedError: "a rate limit (tests/test_rate_limit.py)",
}
# Documented for every read, but not provoked here: it takes a page longer than the database
# writes in one value.
READS_NOT_PROVOKED: dict[ErrorClass, str] = {
    errors.ResponseTooLargeError: "a MariaDB page past max_allowed_packet "
    "(tests/test_read_json_mariadb.py)",
}
# Documented for every list, not provoked here: it takes more groups than the demo has rows.
LISTS_NOT_PROVOKED: dict[ErrorClass, str] = {
    errors.TooManyGroupsError: "more groups than the maximum page size "
    "(tests/aggregates/test_rest.py)",
}


def leaf_classes() -> set[ErrorClass]:
    """Every concrete error class of the two error modules: the leaves of their hierarchies."""
    defined: set[ErrorClass] = {
        value
        for module in (errors, auth_errors)
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, DexgateError | AuthError)
        and value.__module__ == module.__name__
    }
    return {c for c in defined if not any(o is not c and issubclass(o, c) for o in defined)}


@dataclass(frozen=True)
class Probe:
    """A request to ``url`` that the operation ``(method, path)`` must refuse with ``error``."""

    method: str
    path: str
    error: ErrorClass
    url: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    admin: bool = True  # sent with the admin's key (plus ``headers``), or with ``headers`` alone

    def target(self) -> str:
        return self.url or self.path.replace("{id}", "1")


def write(method: str, path: str, error: ErrorClass, body: Any, url: str | None = None) -> Probe:
    return Probe(method, path, error, url=url, body=body)


E = errors
PROBES = [
    # list
    Probe(
        "GET",
        PRODUCTS,
        E.InvalidQueryParameterError,
        params={"page[offset]": "x", "page[limit]": "1"},
    ),
    Probe(
        "GET",
        PRODUCTS,
        E.PageLimitExceededError,
        params={"page[offset]": "0", "page[limit]": "1001"},
    ),
    Probe("GET", PRODUCTS, E.InvalidFilterError, params={"filter[products.id_product]": "abc"}),
    Probe("GET", PRODUCTS, E.FilterFieldNotFoundError, params={"filter[products.colour]": "red"}),
    Probe("GET", PRODUCTS, E.UnknownSortFieldError, params={"sort": "colour"}),
    Probe("GET", PRODUCTS, E.RelationNotFoundError, params={"include": "colours"}),
    Probe(
        "GET",
        PRODUCTS,
        E.TooManyRowsError,
        params={"include": "category.products.category.products.category.products"},
    ),
    Probe("GET", PRODUCTS, E.AggregateFieldNotFoundError, params={"aggregate[sum]": "colour"}),
    Probe("GET", PRODUCTS, E.InvalidAggregateError, params={"aggregate[median]": "price"}),
    Probe("GET", PRODUCTS, E.AggregateNotApplicableError, params={"aggregate[sum]": "name"}),
    # get
    Probe("GET", PRODUCT, E.InvalidQueryParameterError, params={"include": "stocks..country"}),
    Probe("GET", PRODUCT, E.RelationNotFoundError, params={"include": "colours"}),
    Probe(
        "GET",
        PRODUCT,
        E.TooManyRowsError,
        params={"include": ".".join(["category", "products"] * 5)},
    ),
    Probe("GET", PRODUCT, E.EntityNotFoundError, url=f"{PRODUCTS}/{MISSING_ID}"),
    # create
    Probe(
        "POST",
        PRODUCTS,
        E.UnsupportedMediaTypeError,
        content=b"x",
        headers={"Content-Type": "text/plain"},
    ),
    Probe("POST", PRODUCTS, E.InvalidDataFormatError, content=b"not json"),
    Probe("POST", PRODUCTS, E.BodyTooLargeError, content=b" " * (5 * 1024 * 1024 + 1)),
    write("POST", PRODUCTS, E.TooManyItemsError, {"data": [{}] * 1001}),
    write("POST", PRODUCTS, E.UnknownFieldError, {"data": [{**VALID_PRODUCT, "colour": "red"}]}),
    write("POST", PRODUCTS, E.RelationNotFoundError, {"data": [{**VALID_PRODUCT, "colours": []}]}),
    write(
        "POST",
        PRODUCTS,
        E.RelationNotEditableError,
        {"data": [{**VALID_PRODUCT, "category": [{}]}]},
    ),
    write("POST", PRODUCTS, E.InvalidFieldTypeError, {"data": [{**VALID_PRODUCT, "price": True}]}),
    write("POST", PRODUCTS, E.InvalidFieldValueError, {"data": [{**VALID_PRODUCT, "price": "-1"}]}),
    write("POST", PRODUCTS, E.RequiredFieldMissingError, {"data": [{"name": "N", "price": "1"}]}),
    write("POST", PRODUCTS, E.ImmutableFieldError, {"data": [{**VALID_PRODUCT, "id_product": 7}]}),
    write("POST", PRODUCTS, E.DuplicateEntryError, {"data": [VALID_PRODUCT, VALID_PRODUCT]}),
    write(
        "POST",
        PRODUCTS,
        E.ReferencedEntityMissingError,
        {"data": [{**VALID_PRODUCT, "category_id": 999999}]},
    ),
    write("POST", CATEGORIES, E.InvalidUrlError, {"data": [{"name": "N", "url": "no-slash"}]}),
    # update
    write("PATCH", PRODUCTS, E.MissingIdentifierError, {"data": [{"name": "N"}]}),
    write(
        "PATCH", PRODUCTS, E.EntityNotFoundError, {"data": [{"id_product": 999999, "name": "N"}]}
    ),
    write("PATCH", PRODUCTS, E.NotNullViolationError, {"data": [{"id_product": 1, "name": None}]}),
    write("PATCH", PRODUCTS, E.ImmutableFieldError, {"data": [{"identifier": 1, "id_product": 2}]}),
    write(
        "PATCH",
        PRODUCT,
        E.EntityNotFoundError,
        {"data": {"name": "N"}},
        url=f"{PRODUCTS}/{MISSING_ID}",
    ),
    write("PATCH", PRODUCT, E.InvalidDataFormatError, {"data": []}),
    write("PATCH", PRODUCT, E.MissingIdentifierError, {"data": {"stocks": [{"quantity": 1}]}}),
    write("PATCH", CATEGORY, E.InvalidUrlError, {"data": {"url": "no-slash"}}),
    # upsert
    write("PUT", PRODUCTS, E.RequiredFieldMissingError, {"data": [{"name": "N"}]}),
    write(
        "PUT",
        PRODUCTS,
        E.IdentifierNotCreatableError,
        {"data": [{**VALID_PRODUCT, "id_product": 999999}]},
    ),
    write(
        "PUT",
        PRODUCT,
        E.IdentifierNotCreatableError,
        {"data": VALID_PRODUCT},
        url=f"{PRODUCTS}/{MISSING_ID}",
    ),
    write("PUT", PRODUCT, E.InvalidFieldValueError, {"data": VALID_PRODUCT}, url=f"{PRODUCTS}/abc"),
    write("PUT", PRODUCT, E.RelationNotEditableError, {"data": {**VALID_PRODUCT, "category": []}}),
    # delete
    Probe("DELETE", PRODUCTS, E.UnfilteredDeleteError),
    Probe("DELETE", PRODUCTS, E.InvalidFilterError, params={"filter[products.id_product]": "abc"}),
    Probe("DELETE", PRODUCTS, E.FilterFieldNotFoundError, params={"filter[products.colour]": "1"}),
    Probe(
        "DELETE",
        PRODUCTS,
        E.EntityNotFoundError,
        params={"filter[products.id_product]": MISSING_ID},
    ),
    Probe(
        "DELETE",
        CATEGORIES,
        E.DeleteForeignKeyError,
        params={"filter[categories.id_category]": "1"},
    ),
    Probe("DELETE", PRODUCT, E.EntityNotFoundError, url=f"{PRODUCTS}/{MISSING_ID}"),
    Probe("DELETE", PRODUCT, E.DeleteForeignKeyError),
]


def probes_for_every_operation(document: Document, no_grant_key: str) -> list[Probe]:
    """What any operation of the document can meet: the authentication middleware, an alias
    that is gone, a caller without the grant."""
    found: list[Probe] = []
    basic = {"Authorization": "Basic eA=="}
    bearer = {"Authorization": "Bearer not-a-token"}
    no_grant = {"X-Api-Key": no_grant_key}
    for method, path in operations(document):
        alias = path.split("/")[2]
        gone = path.replace(alias, "no-such-entity").replace("{id}", "1")
        found += [
            Probe(method, path, UnauthorizedRequestError, admin=False),
            Probe(method, path, MalformedAuthorizationError, headers=basic, admin=False),
            Probe(method, path, InvalidAccessTokenError, headers=bearer, admin=False),
            Probe(method, path, errors.ConfigurationNotFoundError, url=gone, body={"data": [{}]}),
            Probe(method, path, errors.PermissionDeniedError, headers=no_grant, admin=False),
        ]
    return found


async def send(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, probe: Probe
) -> httpx.Response:
    return await (client if probe.admin else anonymous).request(
        probe.method,
        probe.target(),
        params=probe.params,
        json=probe.body if probe.content is None else None,
        content=probe.content,
        headers=probe.headers,
    )


async def test_every_error_the_rest_layer_answers_is_documented_for_its_operation(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, gateway: Gateway
) -> None:
    document = (await client.get(DOCUMENT)).json()
    await store.set_role(gateway.engine, "elsewhere", ["not-an-entity:read"])
    no_grant_key = await store.create_api_key(gateway.engine, "elsewhere", ["elsewhere"])
    documented = {key: documented_errors(document, op) for key, op in operations(document).items()}

    provoked: set[ErrorClass] = set()
    for probe in [*PROBES, *probes_for_every_operation(document, no_grant_key)]:
        response = await send(client, anonymous, probe)
        answer = response.json()
        errors_ = answer if isinstance(answer, list) else answer.get("errors")
        where = f"{probe.method} {probe.target()} {probe.params} {probe.body}"
        assert errors_, f"{where}: no error but {response.status_code} {response.text}"
        codes = [(e["status"], e["code"]) for e in errors_]
        assert (probe.error.status, probe.error.code) in codes, f"{where}: {response.text}"
        assert response.status_code == errors_[-1]["status"]
        undocumented = set(codes) - documented[(probe.method, probe.path)]
        assert not undocumented, f"{where} answers {undocumented}, not documented"
        provoked.add(probe.error)

    placed = (
        provoked
        | set(NOT_PROVOKED)
        | set(READS_NOT_PROVOKED)
        | set(LISTS_NOT_PROVOKED)
        | set(NOT_FOR_DOCUMENTED_OPERATIONS)
        | set(CHANGE_FEED_NOT_PROVOKED)
    )
    # A class keeping its parent's code is its parent's condition met elsewhere (a GraphQL
    # argument out of range is an invalid query parameter): placed with its parent.
    unplaced = {
        c for c in leaf_classes() if not any(issubclass(c, p) and c.code == p.code for p in placed)
    }
    assert not unplaced, f"error classes neither provoked nor explained: {unplaced}"


async def test_errors_no_test_can_provoke_are_documented_for_every_operation(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get(DOCUMENT)).json()
    expected = {(cls.status, cls.code) for cls in NOT_PROVOKED}
    for key, operation in operations(document).items():
        assert expected <= documented_errors(document, operation), key


async def test_errors_of_reads_no_test_here_can_provoke_are_documented_for_every_read(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get(DOCUMENT)).json()
    expected = {(cls.status, cls.code) for cls in READS_NOT_PROVOKED}
    reads = {k: op for k, op in operations(document).items() if k[0] == "GET"}
    assert reads
    for key, operation in reads.items():
        assert expected <= documented_errors(document, operation), key


async def test_errors_of_lists_no_test_here_can_provoke_are_documented_for_every_list(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get(DOCUMENT)).json()
    expected = {(cls.status, cls.code) for cls in LISTS_NOT_PROVOKED}
    lists = {
        k: op
        for k, op in operations(document).items()
        if k[0] == "GET" and not k[1].endswith("{id}")
    }
    assert lists
    for key, operation in lists.items():
        assert expected <= documented_errors(document, operation), key


async def test_errors_answered_elsewhere_are_not_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get(DOCUMENT)).json()
    elsewhere = {cls.code for cls in NOT_FOR_DOCUMENTED_OPERATIONS}
    for key, operation in operations(document).items():
        assert not {code for _status, code in documented_errors(document, operation)} & elsewhere, (
            key
        )
