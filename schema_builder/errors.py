"""The error vocabulary of the operations layer.

Every error a client can cause is a class carrying its HTTP ``status`` and its ``code`` as class
attributes and a rendered ``message``. Transports turn them into responses in one place each.
Spryker's codes (1301-1318, 007) keep Spryker's messages; errors Spryker has no code for use
codes of our own with a ``DX`` prefix, listed in ``docs/errors.md``.

Each code is written once, as the ``code`` of the one class that stands for its condition; a
subclass inherits it when it is the same condition met elsewhere (a GraphQL argument is a
query parameter). The errors of authentication (:mod:`auth.errors`) and of GraphQL requests
(:mod:`app.graphql.request_errors`) carry codes the same way; ``tests/test_error_codes.py``
checks that no two classes define one code and that ``docs/errors.md`` lists every code.

    DexgateError
    ├── EntityError                     (Spryker's 13xx family and 007)
    │   ├── InvalidDataFormatError        1301
    │   ├── EntityNotFoundError           1303
    │   ├── ImmutableFieldError           1304
    │   ├── InvalidFieldTypeError         1305
    │   ├── InvalidFieldValueError        1306
    │   ├── RequiredFieldMissingError     1307
    │   ├── IdentifierNotCreatableError   1308
    │   ├── DuplicateEntryError           1309
    │   ├── MissingIdentifierError        1310
    │   ├── UnknownFieldError             1311
    │   ├── ConfigurationNotFoundError    007
    │   ├── RelationNotFoundError         1313
    │   ├── RelationNotEditableError      1314
    │   ├── FilterFieldNotFoundError      1315
    │   ├── InvalidUrlError               1316
    │   ├── DeleteForeignKeyError         1317
    │   └── MethodNotAllowedError         1318
    ├── RequestError                    (our own DX1xx codes: malformed requests)
    │   ├── InvalidQueryParameterError    DX100
    │   ├── InvalidFilterError            DX101
    │   ├── UnknownSortFieldError         DX102
    │   ├── PageLimitExceededError        DX103
    │   ├── UnfilteredDeleteError         DX104
    │   ├── UnsupportedMediaTypeError     DX105
    │   ├── RouteMethodNotAllowedError    DX106
    │   ├── NotNullViolationError         DX107
    │   ├── RouteNotFoundError            DX108
    │   ├── ReferencedEntityMissingError  DX109
    │   ├── BodyTooLargeError             DX130 (413: over DEXGATE_MAX_BODY_SIZE)
    │   ├── TooManyItemsError             DX131 (413: over DEXGATE_MAX_WRITE_ITEMS)
    │   ├── TooManyRowsError              DX137 (an include nesting more rows than allowed)
    │   ├── ResponseTooLargeError         DX139 (more text than the database writes at once)
    │   ├── ChangeFeedOffError            DX140 (404: the entity's change feed is off)
    │   ├── CursorPrunedError             DX141 (410: events after the cursor were pruned)
    │   ├── AggregateFieldNotFoundError   DX150 (an aggregate names an unknown field)
    │   ├── InvalidAggregateError         DX151 (an unknown function, a malformed parameter)
    │   ├── AggregateNotApplicableError   DX152 (sum of text, a date bucket of a number…)
    │   └── TooManyGroupsError            DX153 (more groups than DEXGATE_MAX_PAGE_SIZE)
    ├── PermissionDeniedError           DX122 (403: the principal lacks the grant)
    ├── ServiceUnavailableError         DX503
    ├── RequestTimeoutError             DX504 (over DEXGATE_REQUEST_TIMEOUT)
    └── InternalError                   DX500
    ConfigurationError                  (not a client error: a configuration that cannot be saved)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from auth.errors import AuthError


class DexgateError(Exception):
    """An error with an HTTP status, a stable code and a message safe to show to clients."""

    status: ClassVar[int] = 500
    code: ClassVar[str]  # each concrete class names its own, or inherits its condition's

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "code": self.code, "message": self.message}


class EntityError(DexgateError):
    """An error of Spryker's Dynamic Entity vocabulary."""


class InvalidDataFormatError(EntityError):
    status = 400
    code = "1301"

    def __init__(self) -> None:
        super().__init__(
            "Invalid or missing data format. Please ensure that the data is provided in the "
            "correct format. Example request body: {'data':[{...},{...},..]}"
        )


class EntityNotFoundError(EntityError):
    status = 404
    code = "1303"

    def __init__(self, path: str) -> None:
        super().__init__(f"The entity `{path}` could not be found in the database.")


class ImmutableFieldError(EntityError):
    status = 400
    code = "1304"

    def __init__(self, path: str, field: str) -> None:
        super().__init__(f"Modification of immutable field `{path}.{field}` is prohibited")


class InvalidFieldTypeError(EntityError):
    status = 400
    code = "1305"

    def __init__(self, path: str, field: str) -> None:
        super().__init__(f"Invalid data type `{path}` for field `{field}`")


class InvalidFieldValueError(EntityError):
    status = 400
    code = "1306"

    def __init__(self, path: str, field: str, rules: str) -> None:
        super().__init__(f"Invalid data value `{path}` for field: `{field}`. Field rules: {rules}")


class RequiredFieldMissingError(EntityError):
    status = 400
    code = "1307"

    def __init__(self, path: str, field: str) -> None:
        super().__init__(f"The required field must not be empty. Field: `{path}.{field}`")


class IdentifierNotCreatableError(EntityError):
    status = 400
    code = "1308"

    def __init__(self, path: str, identifier: str) -> None:
        super().__init__(
            f"Entity `{path}.{identifier}` not found by identifier, and new identifier can not be "
            "persisted. Please update the request."
        )


class DuplicateEntryError(EntityError):
    status = 400
    code = "1309"

    def __init__(self, path: str) -> None:
        super().__init__(
            f"Failed to persist the data for `{path}`. Please verify the provided data and try "
            "again. Entry is duplicated."
        )


class MissingIdentifierError(EntityError):
    status = 400
    code = "1310"

    def __init__(self, path: str) -> None:
        super().__init__(f"Incomplete Request - missing identifier for `{path}`")


class UnknownFieldError(EntityError):
    status = 400
    code = "1311"

    def __init__(self, path: str, field: str) -> None:
        super().__init__(f"The provided `{path}.{field}` is incorrect or invalid.")


class ConfigurationNotFoundError(EntityError):
    status = 404
    code = "007"

    def __init__(self) -> None:
        super().__init__("Not found")


class RelationNotFoundError(EntityError):
    status = 400
    code = "1313"

    def __init__(self, relation: str) -> None:
        super().__init__(
            f"Relation `{relation}` not found. Please check the requested relation name and try "
            "again."
        )


class RelationNotEditableError(EntityError):
    status = 422
    code = "1314"

    def __init__(self, relation: str) -> None:
        super().__init__(f"The relationship `{relation}` is not editable by configuration.")


class FilterFieldNotFoundError(EntityError):
    status = 400
    code = "1315"

    def __init__(self, field: str, alias: str) -> None:
        super().__init__(f"Filter field `{field}` for table alias `{alias}` not found.")


class InvalidUrlError(EntityError):
    status = 400
    code = "1316"

    def __init__(self, path: str, field: str) -> None:
        super().__init__(
            f"The URL is invalid. `{path}` field `{field}` must have a URL data format."
        )


class DeleteForeignKeyError(EntityError):
    status = 400
    code = "1317"

    def __init__(self, path: str, child: str | None) -> None:
        """``child``: the alias of the entity whose rows refer to this one, when the caller may
        read it; never a table name."""
        named = f" Child entity: `{child}`." if child is not None else ""
        super().__init__(
            f"Failed to delete the data for `{path}`. The entity has a child entity and can not "
            f"be deleted.{named}"
        )


class MethodNotAllowedError(EntityError):
    status = 405
    code = "1318"

    def __init__(self, alias: str) -> None:
        super().__init__(f"Method not allowed for the entity `{alias}`.")


class RequestError(DexgateError):
    """A malformed request that Spryker has no code for."""

    status = 400


class InvalidQueryParameterError(RequestError):
    code = "DX100"


class InvalidArgumentError(InvalidQueryParameterError):
    """A GraphQL argument out of its range (a negative ``limit`` or ``offset``): what
    :class:`InvalidQueryParameterError` is for a REST query parameter."""


class InvalidFilterError(RequestError):
    code = "DX101"


class UnknownSortFieldError(RequestError):
    code = "DX102"

    def __init__(self, field: str, alias: str) -> None:
        super().__init__(f"Sort field `{field}` for table alias `{alias}` not found.")


class PageLimitExceededError(RequestError):
    code = "DX103"

    def __init__(self, limit: int, maximum: int) -> None:
        super().__init__(
            f"page[limit]={limit} exceeds the maximum page size of {maximum}. "
            "Request fewer items per page."
        )


class UnfilteredDeleteError(RequestError):
    code = "DX104"

    def __init__(self, alias: str) -> None:
        super().__init__(
            f"Deleting every `{alias}` at once is refused. Add a filter[...] parameter or delete "
            "by identifier."
        )


class UnsupportedMediaTypeError(RequestError):
    status = 415
    code = "DX105"

    def __init__(self, content_type: str) -> None:
        super().__init__(
            f"Unsupported Content-Type `{content_type}`. Send the body as application/json."
        )


class RouteMethodNotAllowedError(RequestError):
    status = 405
    code = "DX106"

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        super().__init__(f"Method {method} is not allowed here. Allowed: {', '.join(allowed)}.")
        self.allowed = tuple(allowed)


class NotNullViolationError(RequestError):
    code = "DX107"

    def __init__(self, path: str, field: str) -> None:
        super().__init__(
            f"Failed to persist the data for `{path}`. Please verify the provided data and try "
            f"again. Field `{field}` must not be null."
        )


class RouteNotFoundError(RequestError):
    status = 404
    code = "DX108"

    def __init__(self, path: str) -> None:
        super().__init__(f"No route matches `{path}`.")


class ReferencedEntityMissingError(RequestError):
    code = "DX109"

    def __init__(self, path: str, field: str) -> None:
        where = f"{path}.{field}" if field else path
        super().__init__(
            f"Failed to persist the data for `{where}`. It refers to an entity that does not exist."
        )


class BodyTooLargeError(RequestError):
    status = 413
    code = "DX130"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The request body is larger than {limit} bytes, the most accepted "
            "(DEXGATE_MAX_BODY_SIZE). Send less per request."
        )


class HeadersTooLargeError(RequestError):
    status = 431
    code = "DX135"

    def __init__(self, max_size: int, max_count: int) -> None:
        super().__init__(
            f"The request line and headers are larger than {max_size} bytes "
            f"(DEXGATE_MAX_HEADER_SIZE) or more than {max_count} headers "
            "(DEXGATE_MAX_HEADERS). Send fewer or shorter headers."
        )


class TooManyItemsError(RequestError):
    status = 413
    code = "DX131"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"The request writes {count} items; at most {limit} are accepted per request "
            "(DEXGATE_MAX_WRITE_ITEMS). Split it into several requests."
        )


class TooManyRowsError(RequestError):
    """A response that would nest more than the bound of rows (includes, nested lists)."""

    code = "DX137"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"`include` would return more than {limit} rows; include fewer levels or ask for "
            "a smaller page."
        )


class ResponseTooLargeError(RequestError):
    """A response longer than the database writes in one value (MariaDB: ``max_allowed_packet``,
    beyond which it answers NULL with only a warning)."""

    code = "DX139"

    def __init__(self) -> None:
        super().__init__(
            "The response is larger than the database can write at once (on MariaDB and MySQL "
            "the server's max_allowed_packet); ask for a smaller page or fewer fields."
        )


class ChangeFeedOffError(RequestError):
    """The change feed of an active entity that does not record its changes."""

    status = 404
    code = "DX140"

    def __init__(self, alias: str) -> None:
        super().__init__(
            f"The change feed of `{alias}` is off: its changes are not recorded. Switch it on "
            f'with `dexgate entities change-feed {alias} on` or `"changeFeed": true`.'
        )


class CursorPrunedError(RequestError):
    """A cursor older than the events kept: some events after it were pruned."""

    status = 410
    code = "DX141"

    def __init__(self, alias: str, cursor: int, pruned: int) -> None:
        super().__init__(
            f"Events of `{alias}` after position {cursor} were removed (retention, "
            f"DEXGATE_EVENT_RETENTION) up to position {pruned}. Read the entity again, then "
            "follow the feed from the oldest event kept (omit `after`)."
        )
        self.pruned = pruned


class AggregateFieldNotFoundError(RequestError):
    """An aggregate, a group key, a ``having`` or a ``sort`` names a field the entity lacks."""

    code = "DX150"

    def __init__(self, field: str, alias: str) -> None:
        super().__init__(f"Aggregate field `{field}` for table alias `{alias}` not found.")


class InvalidAggregateError(RequestError):
    """An aggregate request that cannot be read: an unknown function or bucket, a malformed
    ``aggregate``/``groupBy``/``having``/``sort`` parameter."""

    code = "DX151"


class AggregateNotApplicableError(RequestError):
    """A function or a bucket that does not apply to the field's type (``sum`` of a string,
    ``month`` of a number)."""

    code = "DX152"


class TooManyGroupsError(RequestError):
    """More groups than one answer holds, asked without a page."""

    code = "DX153"

    def __init__(self, maximum: int) -> None:
        super().__init__(
            f"The grouping gives more than {maximum} groups (DEXGATE_MAX_PAGE_SIZE). Narrow "
            "the filter, group by fewer keys, or page the groups with page[limit] and "
            "page[offset] (GraphQL: limit and offset)."
        )


class PermissionDeniedError(DexgateError):
    """A valid principal without the grant for this entity and operation."""

    status = 403
    code = "DX122"

    def __init__(self, alias: str, operation: str) -> None:
        super().__init__(
            f"Not allowed to {operation} `{alias}`: no role grants {alias}:{operation}."
        )
        self.alias = alias
        self.operation = operation


class ServiceUnavailableError(DexgateError):
    status = 503
    code = "DX503"


class RequestTimeoutError(DexgateError):
    """The request ran past its time limit and was cancelled; its transaction rolled back."""

    status = 504
    code = "DX504"

    def __init__(self, seconds: float | None = None) -> None:
        limit = "its time limit" if seconds is None else f"{seconds:g} s"
        super().__init__(
            f"The request took longer than {limit} (DEXGATE_REQUEST_TIMEOUT) and was cancelled."
        )


class InternalError(DexgateError):
    status = 500
    code = "DX500"

    def __init__(self) -> None:
        super().__init__("Internal server error. The incident has been logged.")


# Every error a client is answered with: the operations' and the authentication's.
ApiError = DexgateError | AuthError


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a configuration cannot be saved: where it is, what is wrong, how to fix it."""

    entity: str
    message: str
    field: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = self.entity if self.field is None else f"{self.entity}.{self.field}"
        text = f"{where}: {self.message}"
        return text if self.fix is None else f"{text} Fix: {self.fix}"


class ConfigurationError(Exception):
    """A configuration that cannot be saved; carries every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
