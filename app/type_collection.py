"""graphql-core's collection of a schema's types, with the same result in less time.

``GraphQLSchema(...)`` finds every named type by walking the root types' fields, their
arguments and input fields depth first (``TypeSet.collect_referenced_types``). graphql-core
calls itself once per field and per argument, and each call unwraps the type through
``get_named_type`` and five ``is_*_type`` functions before it finds the type collected
already. A 500-entity schema has 150,000 such fields and arguments for 11,000 types: the walk
was 110-120 ms of each build (``bench/schema_build.py`` on the 2-core development machine).

:func:`collect_referenced_types` is the same walk, in the same order (so the schema's type map
and its SDL are the same), that unwraps list and non-null types inline and only recurses
into a type it has not collected yet: 35-45 ms. :func:`app.runtime.Runtime.install` puts it
in place of graphql-core's method; :mod:`tests.test_type_collection` compares the two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    GraphQLWrappingType,
)
from graphql.type.schema import TypeSet

# graphql-core's own method, as this module found it (before the runtime replaced it).
GRAPHQL_CORE_COLLECT: Callable[[TypeSet, Any], None] = TypeSet.collect_referenced_types
_FIELDS_HOLDERS = (GraphQLObjectType, GraphQLInterfaceType)


def collect_referenced_types(self: dict[Any, None], type_: Any) -> None:
    """``TypeSet.collect_referenced_types``: add ``type_``'s named type to ``self`` (an
    ordered set) and then, depth first, every type it refers to that is not there yet."""
    while isinstance(type_, GraphQLWrappingType):
        type_ = type_.of_type
    if type_ in self:
        return
    self[type_] = None
    collect = collect_referenced_types
    if isinstance(type_, GraphQLUnionType):
        for member_type in type_.types:
            collect(self, member_type)
    elif isinstance(type_, _FIELDS_HOLDERS):
        for interface_type in type_.interfaces:
            collect(self, interface_type)
        for field in type_.fields.values():
            named = field.type
            while isinstance(named, GraphQLWrappingType):
                named = named.of_type
            if named not in self:
                collect(self, named)
            for arg in field.args.values():
                named = arg.type
                while isinstance(named, GraphQLWrappingType):
                    named = named.of_type
                if named not in self:
                    collect(self, named)
    elif isinstance(type_, GraphQLInputObjectType):
        for input_field in type_.fields.values():
            named = input_field.type
            while isinstance(named, GraphQLWrappingType):
                named = named.of_type
            if named not in self:
                collect(self, named)
