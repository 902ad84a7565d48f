"""Queries that only read entities, answered from their plans without graphql-core's executor.

Whether an operation is answered here is decided once per document and operation, when it is
first planned: a query whose root fields are all entity list, by-id and aggregate fields (or
``__typename``) is; a mutation, introspection, or any other root field goes to graphql-core
(:mod:`schema_builder.graphql.resolvers`, which plans its reads with the same walk). Nothing is
ever tried here and then again there.

Each root field becomes a read plan (:mod:`schema_builder.graphql.selection`) executed by the
application's :class:`~schema_builder.operations.reads.reader.Reader`, which writes the JSON;
the answer is spliced together as text. A field refused (a permission, an argument, a filter
value, the database out of time) is answered as graphql-core answers it: null (the whole
``data`` when the field is non-null) and an error with its code, at its place.

Plans are kept per schema, document and operation, and per the values of the variables they
depend on; a by-id field's ``id`` variable is read per request (see :func:`_free_variables`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    VariableNode,
    Visitor,
    get_operation_ast,
    type_from_ast,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values

from schema_builder.errors import DexgateError, EntityNotFoundError
from schema_builder.graphql.aggregate import PlannedAggregate, plan_aggregate
from schema_builder.graphql.errors import field_error, internal_error, locations
from schema_builder.graphql.projection import Projection, project, projection
from schema_builder.graphql.selection import (
    GraphQLContext,
    Selection,
    Walk,
    entity_query,
    root_reads,
)
from schema_builder.json_output import dumps
from schema_builder.operations.reads.plan import GetPlan, ListPlan

logger = logging.getLogger("dexgate.graphql")


@dataclass(frozen=True, slots=True)
class Answer:
    """The ``data`` object's text, and the errors of the fields refused (formatted)."""

    data: str
    errors: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _ListPart:
    key: str
    nodes: list[FieldNode]
    non_null: bool
    plan: ListPlan
    outputs: tuple[tuple[str, int | str | None], ...]  # items index, constant, or the count

    async def text(self, context: GraphQLContext, _variables: Mapping[str, Any]) -> str:
        page = await context.reads.list(context.catalog, self.plan, context.access)
        parts = []
        for key, value in self.outputs:
            if isinstance(value, int):
                text = page.arrays[value]
            elif value is None:
                text = str(page.total)
            else:
                text = value
            parts.append(f'"{key}":{text}')
        return "{" + ",".join(parts) + "}"


@dataclass(frozen=True, slots=True)
class _GetPart:
    key: str
    nodes: list[FieldNode]
    non_null: bool
    plan: GetPlan
    variable: str | None  # the identifier's variable, read per request
    identifier: Any  # else the identifier

    async def text(self, context: GraphQLContext, variables: Mapping[str, Any]) -> str:
        identifier = self.identifier if self.variable is None else variables[self.variable]
        try:
            return await context.reads.get(
                context.catalog, self.plan, str(identifier), context.access
            )
        except EntityNotFoundError:
            return "null"


@dataclass(frozen=True, slots=True)
class _AggregatePart:
    key: str
    nodes: list[FieldNode]
    non_null: bool
    planned: PlannedAggregate
    shape: Projection

    async def text(self, context: GraphQLContext, _variables: Mapping[str, Any]) -> str:
        return dumps(project(await self.planned.answer(context), self.shape))


@dataclass(frozen=True, slots=True)
class _ConstantPart:
    key: str
    json: str

    async def text(self, _context: GraphQLContext, _variables: Mapping[str, Any]) -> str:
        return self.json


@dataclass(frozen=True, slots=True)
class _RefusedPart:
    """A root field whose planning was refused (an argument out of range, a bad filter)."""

    key: str
    nodes: list[FieldNode]
    non_null: bool
    error: DexgateError


_Part = _ListPart | _GetPart | _AggregatePart | _ConstantPart | _RefusedPart


def _identifier_variable(node: FieldNode) -> str | None:
    for argument in node.arguments or ():
        if argument.name.value == "id" and isinstance(argument.value, VariableNode):
            return argument.value.name.value
    return None


class _VariableUses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.uses: Counter[str] = Counter()

    def enter_variable(self, node: VariableNode, *_args: Any) -> None:
        self.uses[node.name.value] += 1


def _free_variables(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> frozenset[str]:
    """The variables whose only use is the ``id`` of a by-id field at the root: the plan of
    the operation does not depend on their values, which are read per request."""
    query_type = schema.query_type
    if query_type is None or not operation.variable_definitions:
        return frozenset()
    counted = _VariableUses()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            visit(definition.selection_set, counted)
    as_identifier: Counter[str] = Counter()
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            continue
        marker = entity_query(query_type.fields.get(selection.name.value))
        variable = _identifier_variable(selection)
        if marker is not None and marker[0] == "get" and variable is not None:
            as_identifier[variable] += 1
    return frozenset(v for v, n in as_identifier.items() if n == counted.uses[v])


def _scalar_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> tuple[tuple[str, GraphQLScalarType], ...] | None:
    scalars = []
    for definition in operation.variable_definitions or ():
        kind = type_from_ast(schema, definition.type)
        if (
            definition.default_value is not None
            or definition.directives
            or not isinstance(kind, GraphQLNonNull)
            or not isinstance(kind.of_type, GraphQLScalarType)
        ):
            return None
        scalars.append((definition.variable.name.value, kind.of_type))
    return tuple(scalars)


def _frozen(value: Any) -> Hashable:
    """A variable's value as a key: equal only to the same value of the same type."""
    if isinstance(value, dict):
        return ("{}", tuple(sorted((k, _frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("[]", tuple(_frozen(v) for v in value))
    return (type(value), value)


class DocumentPlans:
    """What is known of one operation of one document on one schema: whether it is answered
    from plans (``operation`` None: graphql-core answers it), its free variables and its
    plans by the values of its other variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode | None,
        per_document: int,
    ) -> None:
        self.schema = schema  # both held, so that the ids they are keyed by stay their own
        self.document = document
        self.operation = operation
        self.free = (
            frozenset() if operation is None else _free_variables(schema, document, operation)
        )
        # Each variable and its scalar type, when all are required scalars without a default
        # (``$id: Int!``): their values are parsed directly, the others by graphql-core.
        self.scalars = None if operation is None else _scalar_variables(schema, operation)
        self.plans: LRUCache[Hashable, tuple[_Part, ...]] = LRUCache(maxsize=per_document)

    def coerce(self, variables: Mapping[str, Any]) -> dict[str, Any] | list[GraphQLError]:
        """The variables' values as graphql-core coerces them, or why they are refused."""
        operation = self.operation
        assert operation is not None
        if self.scalars is not None:
            coerced: dict[str, Any] = {}
            for name, scalar in self.scalars:
                value = variables.get(name)
                if value is None:
                    break
                try:
                    parsed = scalar.parse_value(value)
                except Exception:  # graphql-core says why below
                    break
                if parsed is Undefined:
                    break
                coerced[name] = parsed
            else:
                return coerced
        return get_variable_values(
            self.schema, operation.variable_definitions or (), dict(variables)
        )

    def key(self, variables: Mapping[str, Any]) -> Hashable:
        """The values of ``variables`` the plans (and the execution limits) depend on: all
        but the free ones. Raises TypeError for values that cannot be a key."""
        try:
            key = tuple((k, _frozen(v)) for k, v in variables.items() if k not in self.free)
        except RecursionError:  # nested too deeply to be worth a key
            raise TypeError("variables nested too deeply") from None
        hash(key)
        return key


class QueryPlans:
    """The plans of the operations served, a bounded cache over (schema, document,
    operation); one per application."""

    def __init__(self, size: int = 512, per_document: int = 64) -> None:
        self.per_document = per_document
        self._documents: LRUCache[tuple[int, int, str | None], DocumentPlans] = LRUCache(
            maxsize=size
        )

    def of(
        self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
    ) -> DocumentPlans:
        key = (id(schema), id(document), operation_name)
        entry = self._documents.get(key)
        if entry is not None and entry.schema is schema and entry.document is document:
            return entry
        operation = get_operation_ast(document, operation_name)
        if operation is not None and not _answered_here(schema, document, operation):
            operation = None
        made = DocumentPlans(schema, document, operation, self.per_document)
        self._documents[key] = made
        return made


def _answered_here(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> bool:
    """A query whose root fields (whatever directives keep) all read entities."""
    if operation.operation != OperationType.QUERY or schema.query_type is None:
        return False
    # Directives may depend on variables: every root field named anywhere must qualify.
    query_type = schema.query_type
    names = _root_field_names(document, operation)
    return all(
        name == "__typename" or entity_query(query_type.fields.get(name)) is not None
        for name in names
    )


def _root_field_names(document: DocumentNode, operation: OperationDefinitionNode) -> set[str]:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    seen: set[str] = set()
    pending = list(operation.selection_set.selections)
    while pending:
        node = pending.pop()
        if isinstance(node, FieldNode):
            names.add(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            pending.extend(node.selection_set.selections)
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name not in seen and name in fragments:
                seen.add(name)
                pending.extend(fragments[name].selection_set.selections)
    return names


def _plan(
    entry: DocumentPlans, coerced: dict[str, Any], context: GraphQLContext
) -> tuple[_Part, ...]:
    operation = entry.operation
    assert operation is not None
    selection = Selection.of(entry.schema, entry.document, coerced)
    walk = Walk(selection, context)
    reads = root_reads(selection, operation)
    assert reads is not None  # _answered_here
    parts: list[_Part] = []
    query_type = entry.schema.query_type
    assert query_type is not None
    for read in reads:
        key, nodes, target = read.key, read.nodes, read.target
        if read.kind == "__typename":
            parts.append(_ConstantPart(key, f'"{target.name}"'))
            continue
        non_null = isinstance(read.type, GraphQLNonNull)
        try:
            field = query_type.fields[nodes[0].name.value]
            args = get_argument_values(field, nodes[0], coerced)
            if read.kind == "aggregate":
                planned = plan_aggregate(selection, field, nodes, args, context)
                shape = projection(selection, target, nodes)
                parts.append(_AggregatePart(key, nodes, non_null, planned, shape))
            elif read.kind == "list":
                plan, outputs = walk.list_plan(read.alias, target, nodes, args)
                parts.append(_ListPart(key, nodes, non_null, plan, outputs))
            else:
                get_plan = walk.get_plan(read.alias, target, nodes)
                variable = _identifier_variable(nodes[0])
                if variable is not None and variable in entry.free:
                    parts.append(_GetPart(key, nodes, non_null, get_plan, variable, None))
                else:
                    parts.append(_GetPart(key, nodes, non_null, get_plan, None, args["id"]))
        except DexgateError as exc:
            parts.append(_RefusedPart(key, nodes, non_null, exc))
    return tuple(parts)


async def answer(
    entry: DocumentPlans,
    variables: Mapping[str, Any] | None,
    context: GraphQLContext,
    values: Hashable | None,
) -> Answer | list[GraphQLError]:
    """The answer of an operation ``entry`` says is answered here; the variables' errors
    when they are refused. ``values`` is ``entry.key(variables)`` when the caller has it
    (None: not a key)."""
    coerced: dict[str, Any] = {}
    if entry.operation is not None and entry.operation.variable_definitions:
        parsed = entry.coerce(variables or {})
        if isinstance(parsed, list):
            return parsed
        coerced = parsed
    plan_key = (context.catalog, context.max_page_size, context.default_page_size, values)
    parts = entry.plans.get(plan_key) if values is not None else None
    if parts is None:
        parts = _plan(entry, coerced, context)
        if values is not None:
            entry.plans[plan_key] = parts
    texts: list[str] = []
    errors: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, _ConstantPart):
            texts.append(f'"{part.key}":{part.json}')
            continue
        error: dict[str, Any] | None = None
        if isinstance(part, _RefusedPart):
            error = field_error(part.error, locations(part.nodes), [part.key])
        else:
            try:
                text = await part.text(context, coerced)
            except DexgateError as exc:
                error = field_error(exc, locations(part.nodes), [part.key])
            except Exception:
                logger.error("Unhandled error in GraphQL field %s", part.key, exc_info=True)
                error = internal_error(locations(part.nodes), [part.key])
        if error is None:
            texts.append(f'"{part.key}":{text}')
            continue
        errors.append(error)
        if part.non_null:  # the null reaches the root: no data at all
            return Answer("null", errors)
        texts.append(f'"{part.key}":null')
    return Answer("{" + ",".join(texts) + "}", errors)


def answer_body(result: Answer) -> bytes:
    """The response body of an answer, keys in graphql-core's order."""
    if not result.errors:
        return b'{"data":' + result.data.encode() + b"}"
    return ('{"errors":' + dumps(result.errors) + ',"data":' + result.data + "}").encode()
