"""Queries whose whole answer PostgreSQL writes: the response body without Python row objects.

A query made only of entity list and by-id fields (with their ``items``, ``totalCount``,
relationships, aliases, fragments and ``__typename``) is read by
:mod:`schema_builder.operations.read_json`, one statement per root field, each selection
becoming the shape of the JSON objects in selection order. The values are those graphql-core
would write: the fields PostgreSQL can write exactly are the ones whose REST text is also their
GraphQL text (Int, BigInt, String, Boolean, Decimal, Date, DateTime). Anything else — a
mutation, introspection, a field type not written in SQL, a refused argument or permission —
returns None, and the endpoint tries :mod:`schema_builder.graphql.fast`, then graphql-core.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    VariableNode,
    Visitor,
    get_named_type,
    get_operation_ast,
    type_from_ast,
    visit,
)
from graphql.execution.collect_fields import collect_sub_fields
from graphql.execution.values import get_argument_values, get_variable_values

from schema_builder.catalog import Entity
from schema_builder.errors import EntityNotFoundError
from schema_builder.graphql.fast import Selection, entity_query, root_reads
from schema_builder.graphql.resolvers import (
    GraphQLContext,
    filter_from_input,
    page_bounds,
    sort_keys,
)
from schema_builder.operations import read_json
from schema_builder.operations.ir import (
    ConstantOut,
    FieldOut,
    GetRequest,
    Include,
    ReadRequest,
    RelationOut,
    Shape,
)


class _UnsupportedError(Exception):
    """The query needs the general executor."""


@dataclass(frozen=True, slots=True)
class _Query:
    selection: Selection
    context: GraphQLContext

    def selected(
        self, object_type: GraphQLObjectType, nodes: list[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        s = self.selection
        return collect_sub_fields(s.schema, s.fragments, s.variable_values, object_type, nodes)

    def shape(
        self, entity: Entity, object_type: GraphQLObjectType, nodes: list[FieldNode]
    ) -> Shape:
        """The selection on ``object_type`` as the shape of its JSON objects."""
        catalog = self.context.catalog
        entries: list[FieldOut | ConstantOut | RelationOut] = []
        for key, sub in self.selected(object_type, nodes).items():
            name = sub[0].name.value
            relation = entity.relations.get(name)
            if name == "__typename":
                entries.append(ConstantOut(key, f'"{object_type.name}"'))
            elif relation is not None:
                definition = object_type.fields[name]
                target_type = get_named_type(definition.type)
                assert isinstance(target_type, GraphQLObjectType)
                target = catalog.entities[relation.target]
                shape = self.shape(target, target_type, sub)
                include = Include(name, key=key)
                if relation.many:
                    args = get_argument_values(definition, sub[0], self.selection.variable_values)
                    offset, limit = page_bounds(self.context, args.get("limit"), args.get("offset"))
                    include = Include(
                        name,
                        key=key,
                        conditions=filter_from_input(args.get("filter")),
                        sort=sort_keys(args.get("sort")),
                        limit=limit,  # as the resolvers: capped at the page size per parent
                        offset=offset,
                    )
                entries.append(RelationOut(key, include, shape, omit_empty=False))
            elif name in entity.by_name:
                entries.append(FieldOut(key, name))
            else:
                raise _UnsupportedError(name)
        return tuple(entries)

    def list_part(
        self,
        response_key: str,
        alias: str,
        list_type: GraphQLObjectType,
        nodes: list[FieldNode],
        args: Mapping[str, Any],
    ) -> _ListPart:
        context = self.context
        entity = context.catalog.entity(alias)
        item_type = get_named_type(list_type.fields["items"].type)
        assert isinstance(item_type, GraphQLObjectType)
        outputs: list[tuple[str, int | str | None]] = []  # items index, constant, or the count
        shapes: list[Shape] = []
        for key, sub in self.selected(list_type, nodes).items():
            name = sub[0].name.value
            if name == "items":
                outputs.append((key, len(shapes)))
                shapes.append(self.shape(entity, item_type, sub))
            elif name == "totalCount":
                outputs.append((key, None))
            elif name == "__typename":
                outputs.append((key, f'"{list_type.name}"'))
            else:
                raise _UnsupportedError(name)
        offset, limit = page_bounds(context, args.get("limit"), args.get("offset"))
        request = ReadRequest(
            alias=alias,
            conditions=filter_from_input(args.get("filter")),
            sort=sort_keys(args.get("sort")),
            offset=offset,
            limit=limit,
            count=any(value is None for _key, value in outputs),
        )
        return _ListPart(response_key, request, tuple(shapes), tuple(outputs))

    def one_part(
        self,
        response_key: str,
        alias: str,
        object_type: GraphQLObjectType,
        nodes: list[FieldNode],
        args: Mapping[str, Any],
        free: frozenset[str],
    ) -> _OnePart:
        shape = self.shape(self.context.catalog.entity(alias), object_type, nodes)
        variable = _identifier_variable(nodes[0])
        if variable is not None and variable in free:
            return _OnePart(response_key, alias, shape, variable, None)
        return _OnePart(response_key, alias, shape, None, args["id"])


@dataclass(frozen=True, slots=True)
class _ListPart:
    key: str
    request: ReadRequest
    shapes: tuple[Shape, ...]
    outputs: tuple[tuple[str, int | str | None], ...]  # items index, constant, or the count

    async def text(self, context: GraphQLContext, _variables: Mapping[str, Any]) -> str | None:
        page = await read_json.list_json(
            context.reader, context.catalog, self.request, context.access, self.shapes
        )
        if page is None:
            return None
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
class _OnePart:
    key: str
    alias: str
    shape: Shape
    variable: str | None  # the identifier's variable, read per request
    identifier: Any  # else the identifier

    async def text(self, context: GraphQLContext, variables: Mapping[str, Any]) -> str | None:
        identifier = self.identifier if self.variable is None else variables[self.variable]
        try:
            return await read_json.get_json(
                context.reader,
                context.catalog,
                GetRequest(self.alias, str(identifier)),
                context.access,
                self.shape,
            )
        except EntityNotFoundError:
            return "null"


@dataclass(frozen=True, slots=True)
class _ConstantPart:
    key: str
    json: str

    async def text(self, _context: GraphQLContext, _variables: Mapping[str, Any]) -> str | None:
        return self.json


_Part = _ListPart | _OnePart | _ConstantPart
_Plan = tuple[_Part, ...]


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


@dataclass(slots=True)
class _DocumentPlans:
    """What is known of one operation of one document on one schema: its free variables and
    its plans by the values of its other variables (None: the general executors answer)."""

    schema: GraphQLSchema  # both held, so that the ids they are keyed by stay their own
    document: DocumentNode
    operation: OperationDefinitionNode | None  # None: not a query this path serves
    free: frozenset[str]
    plans: OrderedDict[Hashable, _Plan | None]
    # Each variable and its scalar type, when all are required scalars without a default
    # (``$id: Int!``): their values are parsed directly, the others by graphql-core.
    scalars: tuple[tuple[str, GraphQLScalarType], ...] | None = None

    def coerce(self, variables: Mapping[str, Any]) -> dict[str, Any] | None:
        """The variables' values as graphql-core coerces them; None when they are not
        valid (the executors report why)."""
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
                except Exception:
                    break
                if parsed is Undefined:
                    break
                coerced[name] = parsed
            else:
                return coerced
        values = get_variable_values(
            self.schema, operation.variable_definitions or (), dict(variables)
        )
        return None if isinstance(values, list) else values


class _Plans:
    """Plans of the queries served, a bounded LRU over (schema, document, operation)."""

    def __init__(self, size: int = 512, per_document: int = 64) -> None:
        self.size, self.per_document = size, per_document
        self._documents: OrderedDict[tuple[int, int, str | None], _DocumentPlans] = OrderedDict()

    def of(
        self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
    ) -> _DocumentPlans:
        key = (id(schema), id(document), operation_name)
        entry = self._documents.get(key)
        if entry is not None and entry.schema is schema and entry.document is document:
            self._documents.move_to_end(key)
            return entry
        operation = get_operation_ast(document, operation_name)
        if (
            operation is None
            or operation.operation != OperationType.QUERY
            or schema.query_type is None
        ):
            operation = None  # not a query: the general executors answer
        made = _DocumentPlans(
            schema,
            document,
            operation,
            frozenset() if operation is None else _free_variables(schema, document, operation),
            OrderedDict(),
            None if operation is None else _scalar_variables(schema, operation),
        )
        self._documents[key] = made
        if len(self._documents) > self.size:
            self._documents.popitem(last=False)
        return made


_plans = _Plans()


def variables_key(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> Hashable:
    """The values of ``variables`` that what is known of the operation (its plan, its cost)
    may depend on, as a key: all but the free ones (see :func:`_free_variables`). Raises
    TypeError for values that cannot be a key (unhashable, or nested too deeply)."""
    free = _plans.of(schema, document, operation_name).free
    try:
        key = tuple((k, _frozen(v)) for k, v in variables.items() if k not in free)
    except RecursionError:  # nested too deeply to be worth a key
        raise TypeError("variables nested too deeply") from None
    hash(key)
    return key


def _plan(
    schema: GraphQLSchema,
    document: DocumentNode,
    entry: _DocumentPlans,
    operation: OperationDefinitionNode,
    coerced: dict[str, Any],
    context: GraphQLContext,
) -> _Plan | None:
    selection = Selection.of(schema, document, coerced)
    query = _Query(selection, context)
    parts: list[_Part] = []
    try:
        reads = root_reads(selection, operation)
        if reads is None:
            return None
        for read in reads:
            key, nodes, target = read.key, read.nodes, read.target
            if read.kind == "__typename":
                parts.append(_ConstantPart(key, f'"{target.name}"'))
            elif read.kind == "list":
                parts.append(query.list_part(key, read.alias, target, nodes, read.args))
            else:
                parts.append(query.one_part(key, read.alias, target, nodes, read.args, entry.free))
    except Exception:  # the other executors report it as GraphQL errors
        return None
    return tuple(parts)


async def execute_text(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    context: GraphQLContext,
    values: Hashable | None = None,
) -> bytes | None:
    """The response body (``{"data": ...}``) of a query that only reads entities, written by
    the database; None to use another executor.

    The query's plan — its root fields as list and by-id reads with their shapes — is made
    once per document, operation, catalog and values of the variables it depends on
    (``values``, :func:`variables_key` of the request's variables, when the caller has it
    already), and kept: a by-id field's ``id`` variable is read per request (see
    :func:`_free_variables`). Permissions are checked on every request, by the reads."""
    if not read_json.serves(context.reader):
        return None
    entry = _plans.of(schema, document, operation_name)
    operation = entry.operation
    if operation is None:
        return None
    coerced: dict[str, Any] = {}
    if operation.variable_definitions:
        parsed = entry.coerce(variables or {})
        if parsed is None:
            return None
        coerced = parsed
    plans = entry.plans
    try:
        if values is None:
            values = variables_key(schema, document, operation_name, variables or {})
        key = (context.catalog, context.max_page_size, context.default_page_size, values)
        plan = plans[key]
        plans.move_to_end(key)
    except KeyError:
        plan = _plan(schema, document, entry, operation, coerced, context)
        plans[key] = plan
        if len(plans) > _plans.per_document:
            plans.popitem(last=False)
    except TypeError:  # a value that cannot be a key
        plan = _plan(schema, document, entry, operation, coerced, context)
    if plan is None:
        return None
    texts: list[str] = []
    try:
        for part in plan:
            text = await part.text(context, coerced)
            if text is None:
                return None
            texts.append(f'"{part.key}":{text}')
    except Exception:  # the other executors report it as GraphQL errors
        return None
    return ('{"data":{' + ",".join(texts) + "}}").encode()
