"""Refusals of a GraphQL request before it executes, with their codes."""

from __future__ import annotations

SYNTAX = "DX110"
VALIDATION = "DX111"
VARIABLES = "DX112"
MALFORMED = "DX113"
INTERNAL = "DX500"


class GraphQLRequestError(Exception):
    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status
