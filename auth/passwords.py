"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when the user does not exist, so an unknown name costs as much time as a known one.
# The argon2id hash of "dexgate: no such user" with the hasher's parameters, written out so that
# importing this module costs nothing (hashing it here took 0.1 s and 64 MiB in every process).
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$im8lH28ZbYjwWCxkCC/AZg$"
    "Tj3Qtcal13lhot3kxq1dmDrRPA6rkH3W7L2DGUeSdfo"
)

MIN_LENGTH = 8


class WeakPasswordError(ValueError):
    pass


def check_strength(password: str) -> None:
    """Raises WeakPasswordError when ``password`` is too short to be used."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"A password needs at least {MIN_LENGTH} characters.")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``; raises WeakPasswordError when it is too short."""
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; takes the same time whether or not the user exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
