"""Bad input to a command, as one line on stderr and exit status 2.

The one place where the command line turns exceptions into messages: a usage error, a setting,
a configuration, a principal or grant, a weak password, a database that cannot be reached.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
from typing import NoReturn, TypeAlias

from app.settings import SettingsError
from auth.passwords import WeakPasswordError
from auth.permissions import GrantSyntaxError
from auth.store import AuthStoreError
from schema_builder.errors import ConfigurationError
from schema_builder.operations.db_errors import infrastructure_error

USAGE = 2
# PostgreSQL refusing the connection itself: no such database (3D000), bad password (28P01).
_CONNECTION_REFUSED_STATES = ("3D", "28")


class UsageError(Exception):
    """A command that cannot run as given: reported on stderr, exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, reporting a bad argument in one line (argparse prints the usage
    first), with where to read more."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"dexgate: {message} (see `{self.prog} --help`)\n")


Commands: TypeAlias = "argparse._SubParsersAction[ArgumentParser]"


def message(exc: Exception, database: str) -> str | None:
    """What to tell the user about ``exc`` (``database``: the URL, password hidden), or None
    when it is not bad input but a bug."""
    if isinstance(exc, UsageError | SettingsError | WeakPasswordError | AuthStoreError):
        return str(exc)
    if isinstance(exc, GrantSyntaxError):
        return str(exc)
    if isinstance(exc, ConfigurationError):
        problems = "; ".join(str(problem).rstrip(".") for problem in exc.problems)
        return f"the configuration cannot be saved: {problems}."
    if infrastructure_error(exc) is not None or _connection_refused(exc):
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return (
            f"cannot reach the database {database} ({reason}); check that it runs and that "
            "DEXGATE_DATABASE_URL is right"
        )
    return None


def _connection_refused(exc: Exception) -> bool:
    driver = getattr(exc, "orig", None)
    for candidate in (driver, getattr(driver, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_CONNECTION_REFUSED_STATES):
            return True
    return False


def positive_int(text: str) -> int:
    """An argument that must be a whole number, 1 or more (argparse's ``type``)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, 1 or more, got {text!r}")
    return value
