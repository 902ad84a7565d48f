"""Every GraphQL name dexgate generates, derived from an entity's alias in one place.

For the alias ``product-stocks`` (or a ``graphqlName`` of ``ProductStock``):

| what | name |
|---|---|
| object type | ``ProductStock`` (``graphqlName``, else the alias singularised in PascalCase) |
| list query | ``productStocks`` (the alias in camelCase) |
| by-id query | ``productStock`` (type name in camelCase; ``productStocksById`` if equal) |
| list result | ``ProductStockList`` |
| filter input | ``ProductStockFilter`` |
| sort enum | ``ProductStockSort`` with values ``<FIELD>_ASC`` / ``<FIELD>_DESC`` (upper snake) |
| inputs | ``ProductStockCreateInput``, ``ProductStockUpdateInput``, ``ProductStockUpsertInput`` |
| mutations | ``createProductStocks``, ``updateProductStocks``, ``upsertProductStocks``, |
| | ``deleteProductStocks`` (deletable entities only) |
| mutation result | ``ProductStockMutationResult`` |
| aggregate query | ``productStocksAggregate`` with ``ProductStockAggregate``, |
| | ``…AggregateGroup``, ``…GroupKey``, ``…GroupBy``, ``…AggregateSort``, ``…Having``, |
| | ``…Counts``, ``…Sums``, ``…Averages``, ``…Values`` and a ``…Having`` input of each of |
| | the last three; ``…AggregateFilter`` for an entity with belongsTo relationships |
| a row's aggregate of a hasMany relationship ``stocks`` | ``stocksAggregate`` (the |
| | relationship's name and ``Aggregate``) with ``ProductStockRelatedAggregate`` |

Object fields and filter keys are the fields' visible names (the same as over REST);
relationship fields are the relationship names. Generated names follow GraphQL's conventions:
types PascalCase, fields camelCase, enum values upper snake case (``isActive`` and
``is_active`` sort as ``IS_ACTIVE_ASC``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z0-9]+")
# Word boundaries inside a name: lower or digit before upper (isActive), an acronym before a
# capitalised word (HTTPStatus).
_CASE_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _words(alias: str) -> list[str]:
    return _WORD.findall(alias)


def singular(word: str) -> str:
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 3:
        return word[:-3] + ("Y" if word[-3].isupper() else "y")
    if lower.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if lower.endswith("s") and len(word) > 1 and not lower.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def pascal(words: list[str]) -> str:
    return "".join(w[:1].upper() + w[1:] for w in words)


def camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def upper_snake(name: str) -> str:
    """A GraphQL name in upper snake case, as enum values are written: ``isActive`` and
    ``is_active`` give ``IS_ACTIVE``, ``HTTPStatus`` gives ``HTTP_STATUS``."""
    return _CASE_BOUNDARY.sub("_", name).upper()


def related_aggregate_field(relation: str) -> str:
    """The field of a row's aggregate of its hasMany relationship ``relation``, named as the
    root aggregate fields are: ``stocks`` gives ``stocksAggregate``."""
    return f"{relation}Aggregate"


def sort_value(field: str, descending: bool) -> str:
    """The sort enum value ordering by ``field``: ``PRICE_ASC``, ``IS_ACTIVE_DESC``."""
    return f"{upper_snake(field)}_{'DESC' if descending else 'ASC'}"


@dataclass(frozen=True, slots=True)
class EntityNames:
    type: str
    list_query: str
    get_query: str
    list_result: str
    filter: str
    sort: str
    create_input: str
    update_input: str
    upsert_input: str
    mutation_result: str
    create: str
    update: str
    upsert: str
    delete: str
    aggregate_query: str
    aggregate: str
    aggregate_group: str
    group_key: str
    group_by: str
    aggregate_sort: str
    having: str
    counts: str
    sums: str
    averages: str
    values: str
    sums_having: str
    averages_having: str
    values_having: str
    related_aggregate: str
    aggregate_filter: str

    def all_type_names(self) -> tuple[str, ...]:
        return (
            self.type,
            self.list_result,
            self.filter,
            self.sort,
            self.create_input,
            self.update_input,
            self.upsert_input,
            self.mutation_result,
            self.aggregate,
            self.aggregate_group,
            self.group_key,
            self.group_by,
            self.aggregate_sort,
            self.having,
            self.counts,
            self.sums,
            self.averages,
            self.values,
            self.sums_having,
            self.averages_having,
            self.values_having,
            self.related_aggregate,
            self.aggregate_filter,
        )

    def all_field_names(self) -> tuple[str, ...]:
        """Root fields: three queries and four mutations."""
        return (
            self.list_query,
            self.get_query,
            self.aggregate_query,
            self.create,
            self.update,
            self.upsert,
            self.delete,
        )


def entity_names(alias: str, graphql_name: str | None = None) -> EntityNames:
    words = _words(alias) or ["Entity"]
    plural = pascal(words)
    if plural[:1].isdigit():
        plural = f"E{plural}"
    base = graphql_name or pascal([*words[:-1], singular(words[-1])])
    if base[:1].isdigit():
        base = f"E{base}"
    list_query = camel(plural)
    get_query = camel(base)
    if get_query == list_query:
        get_query = f"{list_query}ById"
    return EntityNames(
        type=base,
        list_query=list_query,
        get_query=get_query,
        list_result=f"{base}List",
        filter=f"{base}Filter",
        sort=f"{base}Sort",
        create_input=f"{base}CreateInput",
        update_input=f"{base}UpdateInput",
        upsert_input=f"{base}UpsertInput",
        mutation_result=f"{base}MutationResult",
        create=f"create{plural}",
        update=f"update{plural}",
        upsert=f"upsert{plural}",
        delete=f"delete{plural}",
        aggregate_query=f"{list_query}Aggregate",
        aggregate=f"{base}Aggregate",
        aggregate_group=f"{base}AggregateGroup",
        group_key=f"{base}GroupKey",
        group_by=f"{base}GroupBy",
        aggregate_sort=f"{base}AggregateSort",
        having=f"{base}Having",
        counts=f"{base}Counts",
        sums=f"{base}Sums",
        averages=f"{base}Averages",
        values=f"{base}Values",
        sums_having=f"{base}SumsHaving",
        averages_having=f"{base}AveragesHaving",
        values_having=f"{base}ValuesHaving",
        related_aggregate=f"{base}RelatedAggregate",
        aggregate_filter=f"{base}AggregateFilter",
    )


# Names of the shared types every schema holds; an entity name may not take one of them.
SHARED_TYPE_NAMES = frozenset(
    {
        "Query",
        "Mutation",
        "BigInt",
        "Decimal",
        "Date",
        "DateTime",
        "JSON",
        "MutationError",
        "DeleteResult",
        "AggregateFunction",
        "IntFilter",
        "BigIntFilter",
        "FloatFilter",
        "DecimalFilter",
        "StringFilter",
        "BooleanFilter",
        "DateFilter",
        "DateTimeFilter",
        "Int",
        "Float",
        "String",
        "Boolean",
        "ID",
    }
)
