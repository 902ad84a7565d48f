"""Which errors each REST operation can answer, as OpenAPI responses grouped by status.

The lists name error classes (:mod:`schema_builder.errors`, :mod:`auth.errors`), so codes,
statuses and messages come from the classes themselves. What a write can refuse depends on
the entity and on the entities it writes nested rows into (url rules, non-editable
relationships, identifiers that cannot be created, required fields).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, Literal

from auth.errors import (
    AuthError,
    InvalidAccessTokenError,
    MalformedAuthorizationError,
    RateLimitedError,
    UnauthorizedRequestError,
)
from schema_builder.catalog import Catalog, Entity
from schema_builder.errors import (
    AggregateFieldNotFoundError,
    AggregateNotApplicableError,
    BodyTooLargeError,
    ConfigurationNotFoundError,
    CursorPrunedError,
    DeleteForeignKeyError,
    DexgateError,
    DuplicateEntryError,
    EntityNotFoundError,
    FilterFieldNotFoundError,
    IdentifierNotCreatableError,
    ImmutableFieldError,
    InternalError,
    InvalidAggregateError,
    InvalidDataFormatError,
    InvalidFieldTypeError,
    InvalidFieldValueError,
    InvalidFilterError,
    InvalidQueryParameterError,
    InvalidUrlError,
    MissingIdentifierError,
    NotNullViolationError,
    PageLimitExceededError,
    PermissionDeniedError,
    ReferencedEntityMissingError,
    RelationNotEditableError,
    RelationNotFoundError,
    RequestTimeoutError,
    RequiredFieldMissingError,
    ResponseTooLargeError,
    ServiceUnavailableError,
    TooManyGroupsError,
    TooManyItemsError,
    TooManyRowsError,
    UnfilteredDeleteError,
    UnknownFieldError,
    UnknownSortFieldError,
    UnsupportedMediaTypeError,
)
from schema_builder.operations.ir import MAX_RESPONSE_ROWS

OperationKind = Literal[
    "list",
    "get",
    "create",
    "update",
    "upsert",
    "delete",
    "update_one",
    "upsert_one",
    "delete_one",
    "change_feed",
]
ErrorClass = type[DexgateError] | type[AuthError]
JSON = dict[str, Any]

# Every operation: the authentication middleware (with the rate limit), the alias lookup, the
# permission check and the database boundary.
EVERY: tuple[ErrorClass, ...] = (
    UnauthorizedRequestError,
    MalformedAuthorizationError,
    InvalidAccessTokenError,
    RateLimitedError,
    ConfigurationNotFoundError,
    PermissionDeniedError,
    ServiceUnavailableError,
    RequestTimeoutError,
    InternalError,
)
LIST: tuple[ErrorClass, ...] = (
    InvalidQueryParameterError,
    PageLimitExceededError,
    InvalidFilterError,
    FilterFieldNotFoundError,
    UnknownSortFieldError,
    RelationNotFoundError,
    TooManyRowsError,
    ResponseTooLargeError,
    AggregateFieldNotFoundError,
    InvalidAggregateError,
    AggregateNotApplicableError,
    TooManyGroupsError,
)
GET: tuple[ErrorClass, ...] = (
    InvalidQueryParameterError,
    RelationNotFoundError,
    TooManyRowsError,
    ResponseTooLargeError,
    EntityNotFoundError,
)
# Every write: the body, each item's fields and values, and what the database refuses.
WRITE: tuple[ErrorClass, ...] = (
    BodyTooLargeError,
    UnsupportedMediaTypeError,
    InvalidDataFormatError,
    RelationNotFoundError,
    UnknownFieldError,
    InvalidFieldTypeError,
    InvalidFieldValueError,
    ImmutableFieldError,
    DuplicateEntryError,
    NotNullViolationError,
    ReferencedEntityMissingError,
)
DELETE: tuple[ErrorClass, ...] = (
    InvalidFilterError,
    FilterFieldNotFoundError,
    UnfilteredDeleteError,
    EntityNotFoundError,
    DeleteForeignKeyError,
)
DELETE_ONE: tuple[ErrorClass, ...] = (EntityNotFoundError, DeleteForeignKeyError)
# GET /change-feed/{alias}: its parameters, and a cursor older than the events kept.
CHANGE_FEED: tuple[ErrorClass, ...] = (InvalidQueryParameterError, CursorPrunedError)

# Statuses a write can answer with Spryker's error array or, with X-Is-Transactional: false
# and no item saved, with {"data": [], "errors": [...]}.
_ITEM_STATUSES = (400, 404, 422)
_MESSAGES: dict[ErrorClass, str] = {
    InvalidQueryParameterError: "`page[offset]` must be a non-negative integer, got 'x'.",
    InvalidFilterError: "Filter value 'x' for field `<field>` of `<alias>` is not an integer.",
    ServiceUnavailableError: "The database is unavailable. Retry the request shortly.",
    RequestTimeoutError: RequestTimeoutError(30).message,
    BodyTooLargeError: BodyTooLargeError(5 * 1024 * 1024).message,
    TooManyItemsError: TooManyItemsError(1001, 1000).message,
    TooManyRowsError: TooManyRowsError(MAX_RESPONSE_ROWS).message,
    RateLimitedError: "Too many requests: the limit is 120 per minute for API key erp; retry in "
    "1 s.",
}


def write_reach(catalog: Catalog, entity: Entity) -> list[Entity]:
    """The entity and every entity a write can reach through editable hasMany relationships."""
    reached = {entity.alias: entity}
    pending = [entity]
    while pending:
        for relation in pending.pop().relations.values():
            if relation.many and relation.is_editable and relation.target not in reached:
                target = catalog.entities[relation.target]
                reached[target.alias] = target
                pending.append(target)
    return list(reached.values())


def error_classes(catalog: Catalog, entity: Entity, kind: OperationKind) -> list[ErrorClass]:
    """The errors ``kind`` on ``entity`` can answer with, in the order of the tables above."""
    if kind == "list":
        return [*EVERY, *LIST]
    if kind == "get":
        return [*EVERY, *GET]
    if kind == "delete":
        return [*EVERY, *DELETE]
    if kind == "delete_one":
        return [*EVERY, *DELETE_ONE]
    if kind == "change_feed":
        return [*EVERY, *CHANGE_FEED]
    reach = write_reach(catalog, entity)
    fields = [f for e in reach for f in e.fields]
    found: list[ErrorClass] = [*EVERY, *WRITE]
    if any(not (r.many and r.is_editable) for e in reach for r in e.relations.values()):
        found.append(RelationNotEditableError)
    if any("url" in f.definition.validation.constraints for f in fields):
        found.append(InvalidUrlError)
    mode = kind.removesuffix("_one")
    if mode == kind:  # the collection: an array of items
        found.append(TooManyItemsError)
    if mode in ("create", "upsert") and any(f.definition.validation.is_required for f in fields):
        found.append(RequiredFieldMissingError)
    if mode == "update":
        found.append(EntityNotFoundError)
        # On /{id} the URL names the row; nested rows must still name theirs.
        if kind == "update" or len(reach) > 1:
            found.append(MissingIdentifierError)
    if mode == "upsert" and any(not e.identifier.definition.is_creatable for e in reach):
        found.append(IdentifierNotCreatableError)
    return found


def example_message(cls: ErrorClass, max_page_size: int) -> str:
    """The class's message for placeholder arguments (``<field>``), or a typical one."""
    if cls in _MESSAGES:
        return _MESSAGES[cls]
    context: dict[str, Any] = {
        "limit": max_page_size + 1,
        "maximum": max_page_size,
        "content_type": "text/plain",
    }
    arguments = {
        p.name: context.get(p.name, f"<{p.name}>")
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.default is inspect.Parameter.empty
    }
    error = cls(**arguments)
    return error.message


def code_order(cls: ErrorClass) -> tuple[bool, str]:
    """Spryker's numeric codes first, then dexgate's ``DX`` codes."""
    return cls.code.startswith("DX"), cls.code


def example_name(cls: ErrorClass) -> str:
    return f"error-{cls.code}"


def examples(classes: Iterable[ErrorClass], max_page_size: int) -> JSON:
    """``components.examples``: Spryker's error array holding one error of each class."""
    out: JSON = {}
    for cls in sorted(set(classes), key=code_order):
        message = example_message(cls, max_page_size)
        out[example_name(cls)] = {
            "summary": f"{cls.code}: {message}",
            "value": [{"status": cls.status, "code": cls.code, "message": message}],
        }
    return out


def responses(
    catalog: Catalog,
    entity: Entity,
    kind: OperationKind,
    max_page_size: int,
    partial: JSON | None = None,
) -> JSON:
    """OpenAPI responses for the errors of ``kind`` on ``entity``, one per status; ``partial``
    is the body of a non-transactional write that saved nothing. Statuses only the errors
    every operation shares can answer refer to ``components.responses``."""
    by_status = _by_status(error_classes(catalog, entity, kind))
    out: JSON = {}
    for status, classes in by_status.items():
        if set(classes) <= set(EVERY):
            out[str(status)] = {"$ref": f"#/components/responses/{response_name(status)}"}
        else:
            out[str(status)] = _response(status, classes, max_page_size, partial)
    return out


def shared_responses(max_page_size: int) -> JSON:
    """``components.responses``: the errors every operation can answer, per status."""
    return {
        response_name(status): _response(status, classes, max_page_size, None)
        for status, classes in _by_status(EVERY).items()
    }


def response_name(status: int) -> str:
    return HTTPStatus(status).phrase.replace(" ", "")


def _by_status(classes: Iterable[ErrorClass]) -> dict[int, list[ErrorClass]]:
    by_status: dict[int, list[ErrorClass]] = {}
    for cls in classes:
        if cls not in by_status.setdefault(cls.status, []):
            by_status[cls.status].append(cls)
    return {status: sorted(by_status[status], key=code_order) for status in sorted(by_status)}


def _response(
    status: int, classes: list[ErrorClass], max_page_size: int, partial: JSON | None
) -> JSON:
    codes = ", ".join(f"`{cls.code}`" for cls in classes)
    description = f"{HTTPStatus(status).phrase}: {codes} (an example of each below)."
    schema: JSON = {"$ref": "#/components/schemas/Errors"}
    if partial is not None and status in _ITEM_STATUSES:
        schema = {"oneOf": [schema, partial]}
    response: JSON = {
        "description": description,
        "content": {
            "application/json": {
                "schema": schema,
                "examples": {
                    cls.code: {"$ref": f"#/components/examples/{example_name(cls)}"}
                    for cls in classes
                },
            }
        },
    }
    headers = _headers(status)
    if headers:
        response["headers"] = headers
    return response


WRITE_ERRORS_NOTE = (
    "A refused write lists every error of every item and answers with the status of the last "
    'one. With `X-Is-Transactional: false` and no item saved, the body is `{"data": [], '
    '"errors": [...]}` with the status of the first error.'
)


def _headers(status: int) -> JSON:
    if status == 401:
        return {
            "WWW-Authenticate": {
                "description": 'Bearer error="invalid_token"',
                "schema": {"type": "string"},
            }
        }
    if status in (429, 503):
        return {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer"},
            }
        }
    return {}
