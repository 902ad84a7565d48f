"""Scenarios A, B and C over REST and GraphQL: the requests, their checks, their load runs.

The same three cases as the peer bed, on the same rows and columns:

- A: the first 100 products, flat (id, sku, name, price, is_active, category_id, created_at);
- B: the same 100 products with their category (id, name) and stock rows (id, warehouse,
  quantity);
- C: one product by id (4242).

Before it is measured, every request is sent once and its answer checked (status 200, no
GraphQL errors, the expected number of rows, the related rows present), so that a fast error
is never reported as a fast answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bench.client import Client
from bench.load import HttpRequest, LoadSettings, drive
from bench.process import BenchError
from bench.results import Failure, LoadResult

PRODUCT_ID = 4242
FLAT = "id sku name price is_active category_id created_at"
NESTED = f"{FLAT} category {{ id name }} stocks {{ id warehouse quantity }}"
PAGE = "page%5Boffset%5D=0&page%5Blimit%5D=100"


class ScenarioCheckError(BenchError):
    """A scenario's request did not answer what it should."""


@dataclass(frozen=True)
class Scenario:
    """One request of the benchmark and what its answer must hold."""

    key: str
    api: str
    title: str
    path: str
    graphql: str | None = None
    variables: dict[str, Any] | None = None
    rows: int = 100
    nested: bool = False

    @property
    def name(self) -> str:
        """``rest A``, ``graphql B``, ...: the key of its results."""
        return f"{self.api} {self.key}"

    @property
    def body(self) -> str | None:
        if self.graphql is None:
            return None
        document: dict[str, Any] = {"query": self.graphql}
        if self.variables is not None:
            document["variables"] = self.variables
        return json.dumps(document)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("A", "rest", "100 products, flat", f"/dynamic-entity/products?{PAGE}"),
    Scenario(
        "B",
        "rest",
        "100 products + category + stocks",
        f"/dynamic-entity/products?{PAGE}&include=category,stocks",
        nested=True,
    ),
    Scenario("C", "rest", "one product by id", f"/dynamic-entity/products/{PRODUCT_ID}", rows=1),
    Scenario(
        "A",
        "graphql",
        "100 products, flat",
        "/graphql",
        f"{{ products(limit: 100) {{ items {{ {FLAT} }} }} }}",
    ),
    Scenario(
        "B",
        "graphql",
        "100 products + category + stocks",
        "/graphql",
        f"{{ products(limit: 100) {{ items {{ {NESTED} }} }} }}",
        nested=True,
    ),
    Scenario(
        "C",
        "graphql",
        "one product by id",
        "/graphql",
        f"query ($id: Int!) {{ product(id: $id) {{ {FLAT} }} }}",
        variables={"id": PRODUCT_ID},
        rows=1,
    ),
)


def selected(apis: set[str]) -> list[Scenario]:
    return [s for s in SCENARIOS if s.api in apis]


def send(client: Client, scenario: Scenario) -> tuple[int, bytes]:
    """Send the scenario's request once; its status and body."""
    if scenario.body is None:
        answer = client.get(scenario.path)
    else:
        answer = client.request("POST", scenario.path, scenario.body.encode())
    return answer.status, answer.body


def check(scenario: Scenario, status: int, body: bytes) -> None:
    """Raise ScenarioCheckError unless the answer holds what the scenario asks for."""
    if status != 200:
        raise ScenarioCheckError(f"{scenario.name}: HTTP {status}: {body[:300]!r}")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ScenarioCheckError(f"{scenario.name}: not JSON: {body[:300]!r}") from exc
    rows = rows_of(scenario, document)
    if len(rows) != scenario.rows:
        raise ScenarioCheckError(f"{scenario.name}: {len(rows)} rows, expected {scenario.rows}")
    if scenario.nested:
        for row in rows:
            category, stocks = row.get("category"), row.get("stocks")
            if not isinstance(category, dict) or not isinstance(stocks, list) or not stocks:
                raise ScenarioCheckError(
                    f"{scenario.name}: product {row.get('id')} lacks its category or stocks"
                )


def rows_of(scenario: Scenario, document: Any) -> list[dict[str, Any]]:
    """The product rows of an answer (REST's ``data``, GraphQL's root field)."""
    if not isinstance(document, dict):
        raise ScenarioCheckError(f"{scenario.name}: unexpected answer {document!r:.300}")
    if document.get("errors"):
        raise ScenarioCheckError(f"{scenario.name}: errors {document['errors']!r:.300}")
    data = document.get("data")
    if scenario.api == "graphql" and isinstance(data, dict):
        data = next(iter(data.values()), None)
        if isinstance(data, dict) and "items" in data:
            data = data["items"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ScenarioCheckError(f"{scenario.name}: no rows in {document!r:.300}")
    return data


def measure(
    scenario: Scenario, base_url: str, api_key: str, settings: LoadSettings
) -> LoadResult | Failure:
    """Check the scenario's answer once, then drive it with wrk."""
    try:
        with Client(base_url, api_key) as client:
            check(scenario, *send(client, scenario))
        request = HttpRequest(base_url + scenario.path, body=scenario.body)
        return drive(request, api_key, settings)
    except BenchError as exc:
        return Failure(str(exc))
    except OSError as exc:
        return Failure(f"{scenario.name}: {exc}")
