"""Scalars and input types shared by every generated schema."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from graphql import (
    BooleanValueNode,
    FloatValueNode,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from graphql.error import GraphQLError

__all__ = ["GraphQLArgument", "GraphQLField"]


def _decimal_out(value: Any) -> str:
    if isinstance(value, Decimal | int | str):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise GraphQLError(f"Decimal cannot represent {value!r}.")


def _decimal_in(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise GraphQLError(f'Decimal cannot represent {value!r}: send a string like "19.99".')
    return str(value)


def _decimal_literal(node: ValueNode, _variables: Any = None) -> str:
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return str(node.value)
    raise GraphQLError('Decimal literals are strings or numbers, e.g. "19.99".')


DecimalScalar = GraphQLScalarType(
    "Decimal",
    description='An exact decimal number, serialised as a string such as "20.00".',
    serialize=_decimal_out,
    parse_value=_decimal_in,
    parse_literal=_decimal_literal,
)


def _string_in(name: str) -> Any:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise GraphQLError(f"{name} must be an ISO 8601 string.")
        return value

    return parse


def _string_literal(name: str) -> Any:
    def parse(node: ValueNode, _variables: Any = None) -> str:
        if isinstance(node, StringValueNode):
            return node.value
        raise GraphQLError(f"{name} must be an ISO 8601 string.")

    return parse


DateScalar = GraphQLScalarType(
    "Date",
    description='A calendar date in ISO 8601, e.g. "2026-11-27".',
    serialize=str,
    parse_value=_string_in("Date"),
    parse_literal=_string_literal("Date"),
)
DateTimeScalar = GraphQLScalarType(
    "DateTime",
    description='A date and time in ISO 8601, e.g. "2026-11-27T10:00:00".',
    serialize=str,
    parse_value=_string_in("DateTime"),
    parse_literal=_string_literal("DateTime"),
)


def _json_literal(node: ValueNode, variables: Any = None) -> Any:
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, StringValueNode | BooleanValueNode):
        return node.value
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, FloatValueNode):
        return float(node.value)
    if isinstance(node, ListValueNode):
        return [_json_literal(v, variables) for v in node.values]
    if isinstance(node, ObjectValueNode):
        return {f.name.value: _json_literal(f.value, variables) for f in node.fields}
    raise GraphQLError("Unsupported JSON literal.")


JSONScalar = GraphQLScalarType(
    "JSON",
    description="Any JSON value.",
    serialize=lambda v: v,
    parse_value=lambda v: v,
    parse_literal=_json_literal,
)


def _bigint_out(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError(f"BigInt cannot represent {value!r}.")
    return value


def _bigint_in(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError(f"BigInt cannot represent {value!r}.")
    return value


def _bigint_literal(node: ValueNode, _variables: Any = None) -> int:
    if isinstance(node, IntValueNode):
        return int(node.value)
    raise GraphQLError("BigInt literals are integers.")


BigIntScalar = GraphQLScalarType(
    "BigInt",
    description="A 64-bit integer.",
    serialize=_bigint_out,
    parse_value=_bigint_in,
    parse_literal=_bigint_literal,
)


def _filter_input(
    name: str, scalar: GraphQLInputType, *, like: bool, ordered: bool
) -> GraphQLInputObjectType:
    fields: dict[str, GraphQLInputField] = {
        "eq": GraphQLInputField(scalar, description="Equal to."),
        "ne": GraphQLInputField(scalar, description="Not equal to (nulls never match)."),
    }
    if ordered:
        for op, text in (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<=")):
            fields[op] = GraphQLInputField(scalar, description=f"{text} the value.")
    fields["in"] = GraphQLInputField(
        GraphQLList(GraphQLNonNull(scalar)), description="Equal to one of the values."
    )
    if like:
        fields["like"] = GraphQLInputField(
            GraphQLString, description="SQL LIKE pattern (% and _), case-sensitive."
        )
    fields["isNull"] = GraphQLInputField(
        GraphQLBoolean, description="true: only nulls; false: only non-nulls."
    )
    return GraphQLInputObjectType(name, fields, description=f"Conditions on a {name[:-6]} field.")


FILTERS: dict[str, GraphQLInputObjectType] = {
    "Int": _filter_input("IntFilter", GraphQLInt, like=False, ordered=True),
    "BigInt": _filter_input("BigIntFilter", BigIntScalar, like=False, ordered=True),
    "Float": _filter_input("FloatFilter", GraphQLFloat, like=False, ordered=True),
    "Decimal": _filter_input("DecimalFilter", DecimalScalar, like=False, ordered=True),
    "String": _filter_input("StringFilter", GraphQLString, like=True, ordered=True),
    "Boolean": _filter_input("BooleanFilter", GraphQLBoolean, like=False, ordered=False),
    "Date": _filter_input("DateFilter", DateScalar, like=False, ordered=True),
    "DateTime": _filter_input("DateTimeFilter", DateTimeScalar, like=False, ordered=True),
}

MutationErrorType = GraphQLObjectType(
    "MutationError",
    {
        "status": GraphQLField(GraphQLNonNull(GraphQLInt)),
        "code": GraphQLField(GraphQLNonNull(GraphQLString)),
        "message": GraphQLField(GraphQLNonNull(GraphQLString)),
    },
    description="Why an item was not saved: the same status, code and message as REST.",
)

DeleteResultType = GraphQLObjectType(
    "DeleteResult",
    {
        "deletedCount": GraphQLField(GraphQLNonNull(GraphQLInt)),
        "errors": GraphQLField(GraphQLNonNull(GraphQLList(GraphQLNonNull(MutationErrorType)))),
    },
    description="How many rows were deleted, and the rows that could not be (1317).",
)
