"""Where REST and GraphQL legitimately answer differently, stated per transport.

- A by-identifier read of a missing row is REST's 404 ``1303``; in GraphQL the by-id query is
  nullable and answers ``null`` (no error), as GraphQL APIs do.
- GraphQL's schema is typed from the configuration, so input the operation would refuse with a
  Spryker code is refused earlier by GraphQL itself: an unknown field (REST 1311), a field that
  is not creatable (REST 1304), an integer field sent a string (REST 1305), an unknown filter
  field (REST 1315) or sort key (REST DX102) sent as variables are variable errors (``DX112``);
  an unknown relationship in the selection (REST 1313) and the delete mutation of an entity that
  is not deletable (REST 1318, the mutation does not exist) are validation errors (``DX111``).
  Both are 400s whose message names the offending field.

Everything else the operations decide carries the same code on both transports (see the other
contract modules).
"""

from __future__ import annotations

from app.gateway import Gateway
from tests.contract.api import Api, Outcome
from tests.contract.test_writes import product, snapshot


def expect(api: Api, outcome: Outcome, *, rest: tuple[str, int], graphql: tuple[str, int]) -> None:
    assert outcome.errors == [rest if api.transport == "rest" else graphql], outcome.messages


async def test_get_of_a_missing_row_is_1303_in_rest_and_null_in_graphql(api: Api) -> None:
    outcome = await api.get("products", 99999)
    assert outcome.rows == []
    if api.transport == "rest":
        assert outcome.errors == [("1303", 404)]
    else:
        assert outcome.ok
        assert outcome.errors == []


async def test_unknown_field_in_a_write_is_1311_in_rest_and_a_variable_error_in_graphql(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    outcome = await api.create("products", [product("UNK-1", colour="red")])
    expect(api, outcome, rest=("1311", 400), graphql=("DX112", 400))
    assert "colour" in outcome.messages[0]
    assert await snapshot(gateway) == before


async def test_field_that_is_not_creatable_is_1304_in_rest_and_a_variable_error_in_graphql(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    outcome = await api.create("products", [product("IMM-1", id_product=5000)])
    expect(api, outcome, rest=("1304", 400), graphql=("DX112", 400))
    assert "id_product" in outcome.messages[0]
    assert await snapshot(gateway) == before


async def test_integer_field_sent_text_is_1305_in_rest_and_a_variable_error_in_graphql(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    stock = {"product_id": 1, "warehouse": "Warehouse9", "quantity": "many"}
    outcome = await api.create("product-stocks", [stock])
    expect(api, outcome, rest=("1305", 400), graphql=("DX112", 400))
    assert "quantity" in outcome.messages[0]
    assert await snapshot(gateway) == before


async def test_filter_on_an_unknown_field_is_1315_in_rest_and_a_variable_error_in_graphql(
    api: Api,
) -> None:
    outcome = await api.list("products", filter={"colour": {"eq": "red"}})
    expect(api, outcome, rest=("1315", 400), graphql=("DX112", 400))
    assert "colour" in outcome.messages[0]


async def test_sort_by_an_unknown_field_is_dx102_in_rest_and_a_variable_error_in_graphql(
    api: Api,
) -> None:
    outcome = await api.list("products", sort=["-colour"])
    expect(api, outcome, rest=("DX102", 400), graphql=("DX112", 400))
    assert "colour" in outcome.messages[0].lower()  # GraphQL names the value COLOUR_DESC


async def test_unknown_relationship_is_1313_in_rest_and_a_validation_error_in_graphql(
    api: Api,
) -> None:
    outcome = await api.list("products", include=["warehouses"])
    expect(api, outcome, rest=("1313", 400), graphql=("DX111", 400))
    assert "warehouses" in outcome.messages[0]


async def test_delete_of_a_non_deletable_entity_is_1318_in_rest_and_absent_in_graphql(
    api: Api, gateway: Gateway
) -> None:
    before = await snapshot(gateway)
    outcome = await api.delete("countries", 1)
    expect(api, outcome, rest=("1318", 405), graphql=("DX111", 400))
    if api.transport == "graphql":
        assert "deleteCountries" in outcome.messages[0]
    assert await snapshot(gateway) == before
