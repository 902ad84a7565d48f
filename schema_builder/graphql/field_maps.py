"""Object and input object types whose field maps are given whole, for one schema build.

graphql-core computes a type's ``fields`` (a cached property) on first use: it resolves the
thunk, checks that the map is a mapping of names to fields, and copies it into a new dict,
calling ``assert_name`` on every key. A 500-entity schema has about 11,000 such types and
150,000 fields; those checks and copies were 60-70 ms of each build (``bench/schema_build.py``
on the 2-core development machine), spent re-checking the same few thousand names.

The builder hands its maps here instead: a map given at creation, or the result of a thunk
once :meth:`FieldMaps.resolve` runs it, becomes the type's ``fields`` as it is (the builder
only ever puts ``GraphQLField`` and ``GraphQLInputField`` objects in them, which mypy checks).
The type itself is created with an empty map, which nothing reads once ``fields`` is set, so
that it keeps no thunk (nor the builder a thunk refers to) once the schema is built.

Fields with arguments likewise (:meth:`FieldMaps.field`): the field takes the builder's map
of arguments as its ``args``, whose names are checked with the field names.

Enum types likewise: graphql-core copies an enum's values into a new dict, checking each name
(``assert_enum_value_name``): 25 µs for an enum of 40 values, 1,000 such enums (sort and group
keys) in a 500-entity schema. :meth:`FieldMaps.enum_type` sets the builder's map as the
``values`` and checks each distinct value name once per build.
Each distinct field name is still checked with graphql-core's ``assert_name``, once per build;
the types' own names are checked by their constructors, and ``validate_schema`` checks the
whole schema afterwards as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFieldResolver,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLOutputType,
)
from graphql.type import definition

ObjectFields = dict[str, GraphQLField]
InputFields = dict[str, GraphQLInputField]


class FieldMaps:
    """Creates a build's object and input types and sets their field maps."""

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._value_names: set[str] = set()
        self._objects: list[tuple[GraphQLObjectType, Callable[[], ObjectFields]]] = []
        self._inputs: list[tuple[GraphQLInputObjectType, Callable[[], InputFields]]] = []

    def object_type(
        self,
        name: str,
        fields: ObjectFields | Callable[[], ObjectFields],
        description: str | None = None,
    ) -> GraphQLObjectType:
        """An object type; a callable ``fields`` runs in :meth:`resolve` (and is then
        dropped: the type does not keep it, nor what it refers to)."""
        created = GraphQLObjectType(name, {}, description=description)
        # What graphql-core's cached property gives a type without interfaces; set here, it
        # does not make Python create a dict for the type's attributes.
        created.interfaces = ()
        if callable(fields):
            self._objects.append((created, fields))
        else:
            self._names.update(fields)
            created.fields = fields
        return created

    def input_type(
        self,
        name: str,
        fields: InputFields | Callable[[], InputFields],
        description: str | None = None,
    ) -> GraphQLInputObjectType:
        """An input object type; a callable ``fields`` runs in :meth:`resolve` (and is
        then dropped)."""
        created = GraphQLInputObjectType(name, {}, description=description)
        if callable(fields):
            self._inputs.append((created, fields))
        else:
            self._names.update(fields)
            created.fields = fields
        return created

    def field(
        self,
        type_: GraphQLOutputType,
        args: dict[str, GraphQLArgument],
        *,
        resolve: GraphQLFieldResolver | None = None,
        description: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> GraphQLField:
        """A field taking ``args``, the map itself (graphql-core would copy it and check each
        argument and name again; the names are checked in :meth:`resolve`)."""
        created = GraphQLField(
            type_, resolve=resolve, description=description, extensions=extensions
        )
        self._names.update(args)
        created.args = args
        return created

    def enum_type(
        self, name: str, values: dict[str, GraphQLEnumValue], description: str | None = None
    ) -> GraphQLEnumType:
        """An enum type whose values are ``values`` (checked in :meth:`resolve`)."""
        created = GraphQLEnumType(name, {}, description=description)
        self._value_names.update(values)
        created.values = values
        return created

    def resolve(self) -> None:
        """Run the pending thunks (which may create more types), then check every field and
        enum value name (graphql-core's checks, memoised by the application's runtime
        tuning)."""
        while self._objects or self._inputs:
            while self._objects:
                object_type, object_thunk = self._objects.pop()
                object_fields = object_thunk()
                self._names.update(object_fields)
                object_type.fields = object_fields
            while self._inputs:
                input_type, input_thunk = self._inputs.pop()
                input_fields = input_thunk()
                self._names.update(input_fields)
                input_type.fields = input_fields
        # The module's attribute, which the runtime tuning may have replaced by a memoised copy.
        assert_name: Callable[[str], str] = getattr(definition, "assert_name")  # noqa: B009
        for name in self._names:
            assert_name(name)
        self._names.clear()
        assert_value_name: Callable[[str], str] = getattr(definition, "assert_enum_value_name")  # noqa: B009
        for name in self._value_names:
            assert_value_name(name)
        self._value_names.clear()
