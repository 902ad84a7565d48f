"""Schemathesis against the demo REST API: requests generated from the OpenAPI document, and
every answer checked against it: no 5xx, and status codes, content types, headers and bodies as
the document describes them.

Every operation of the document (the demo's four entities: GET, POST, PATCH, PUT and DELETE on
collections and by identifier) is a subtest, run with schema-conforming requests (positive) and
with schema-violating ones (negative), each with a small derandomized number of examples, so CI
gets the same bounded run every time. The database is a fresh copy of the demo per test, so writes
and deletes are fine. The app runs in-process through schemathesis' ASGI transport, which starts
its lifespan on its own event loop thread (so the app here owns its engine, unlike
``gateway_app``'s) and ends it when the test ends (schemathesis' ``pytest_runtest_teardown``).

Not checked: ``negative_data_rejection``, which reads two documented behaviours as failures (a
``X-Is-Transactional: false`` write answers 200 with the rejected items under ``errors``; a
malformed ``Authorization`` header beside a valid ``X-Api-Key`` is not looked at), and
``positive_data_acceptance``, since schema-valid writes are refused for the state of the database
(unknown or duplicate keys: 1303, 1308, 1309).

Operations are driven with ``operation.as_strategy()`` rather than
``schemathesis.pytest.from_fixture(...).parametrize()``: schemathesis 4.32's lazy loader sets
``request.node._nodeid``, which pytest 9.2 no longer has.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err

from app.application import create_app
from app.settings import Settings
from tests.openapi.support import DOCUMENT

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}  # per operation


def test_every_operation_answers_as_documented(
    settings: Settings, admin_key: str, subtests: pytest.Subtests
) -> None:
    headers = {"X-Api-Key": admin_key}
    schema = schemathesis.openapi.from_asgi(DOCUMENT, create_app(settings), headers=headers)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # a part of the document schemathesis cannot read
        operations.append(result.ok())
    assert len(operations) == 34  # the demo's entities; countries cannot be deleted

    for operation in operations:
        for mode, examples in EXAMPLES.items():

            @hypothesis.settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            )
            @hypothesis.given(case=operation.as_strategy(mode))
            def answers_as_documented(case: Case[APIOperation[Any, Any, Any, Any]]) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            with subtests.test(msg=f"{operation.label} ({mode})"):
                answers_as_documented()
