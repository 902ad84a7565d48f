"""Authentication and authorisation errors, with their HTTP status and code.

Spryker's codes where Spryker has them (001, 002, and its 403 without credentials); our own
``DX12x`` codes otherwise (listed in ``docs/errors.md``).

    AuthError
    ├── UnauthorizedRequestError      403  DX120  no valid credentials (Spryker: no code)
    ├── MalformedAuthorizationError   403  002    Authorization header is not ``Bearer <token>``
    ├── InvalidAccessTokenError       401  001    bearer token invalid, expired or revoked
    ├── AdminRequiredError            403  DX123  admin-only surface (GraphiQL, introspection)
    ├── TooManyAttemptsError          429  DX124  failed logins throttled
    └── RateLimitedError              429  DX125  request rate limit reached
"""

from __future__ import annotations

from typing import ClassVar


class AuthError(Exception):
    status: ClassVar[int] = 403
    code: ClassVar[str]  # each concrete class names its own
    default_message: ClassVar[str] = "Unauthorized request."

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "code": self.code, "message": self.message}


class UnauthorizedRequestError(AuthError):
    code = "DX120"


class MalformedAuthorizationError(AuthError):
    code = "002"
    default_message = "Missing access token."


class InvalidAccessTokenError(AuthError):
    status = 401
    code = "001"
    default_message = "Invalid access token."


class AdminRequiredError(AuthError):
    code = "DX123"
    default_message = "This needs the admin role."


class TooManyAttemptsError(AuthError):
    status = 429
    code = "DX124"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(f"Too many failed logins; retry in {self.retry_after} s.")


class RateLimitedError(AuthError):
    """The caller used up its request rate limit; ``retry_after`` is in whole seconds."""

    status = 429
    code = "DX125"

    def __init__(self, limit: int, whom: str, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(
            f"Too many requests: the limit is {limit} per minute {whom}; "
            f"retry in {self.retry_after} s."
        )
