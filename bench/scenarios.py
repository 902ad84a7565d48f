"""Scenarios A, B and C over REST and GraphQL: the requests, their checks, their load runs.

The same three cases as the peer bed, on the same rows and columns:

- A: the first 100 products, flat (id, sku, name, price, is_active, category_id, created_at);
- B: the same 100 products with their category (id, name) and stock rows (id, warehouse,
  quantity);
- C: one product by id (4242).

Each is defined for both configurations of the data (``configurations.py``): entities.json's
(``rest A``...) and the Spryker-style one (``spryker rest A``...).

Before it is measured, every request is sent once and its answer checked (status 200, no
GraphQL errors, the expected number of rows, the related rows present), so that a fast error
is never reported as a fast answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.client import Client
from bench.configurations import DEXGATE, SPRYKER, Configuration
from bench.load import HttpRequest, LoadSettings, drive
from bench.process import BenchError
from bench.results import Failure, LoadResult

PRODUCT_ID = 4242
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
    configuration: Configuration = DEXGATE

    @property
    def name(self) -> str:
        """``rest A``, ``graphql B``, ``spryker rest A``...: the key of its results."""
        return f"{self.configuration.prefix}{self.api} {self.key}"

    @property
    def body(self) -> str | None:
        if self.graphql is None:
            return None
        document: dict[str, Any] = {"query": self.graphql}
        if self.variables is not None:
            document["variables"] = self.variables
        return json.dumps(document)


def scenarios_for(configuration: Configuration) -> tuple[Scenario, ...]:
    """A, B and C over REST and GraphQL, addressed as ``configuration`` names things."""
    flat = " ".join(configuration.product_fields)
    category, stocks = configuration.relationships
    nested = (
        f"{flat} {category} {{ {' '.join(configuration.category_fields)} }} "
        f"{stocks} {{ {' '.join(configuration.stock_fields)} }}"
    )
    rest = f"/dynamic-entity/{configuration.alias}"
    listed = f"{configuration.list_query}(limit: 100)"
    return (
        Scenario("A", "rest", "100 products, flat", f"{rest}?{PAGE}", configuration=configuration),
        Scenario(
            "B",
            "rest",
            "100 products + category + stocks",
            f"{rest}?{PAGE}&include={category},{stocks}",
            nested=True,
            configuration=configuration,
        ),
        Scenario(
            "C",
            "rest",
            "one product by id",
            f"{rest}/{PRODUCT_ID}",
            rows=1,
            configuration=configuration,
        ),
        Scenario(
            "A",
            "graphql",
            "100 products, flat",
            "/graphql",
            f"{{ {listed} {{ items {{ {flat} }} }} }}",
            configuration=configuration,
        ),
        Scenario(
            "B",
            "graphql",
            "100 products + category + stocks",
            "/graphql",
            f"{{ {listed} {{ items {{ {nested} }} }} }}",
            nested=True,
            configuration=configuration,
        ),
        Scenario(
            "C",
            "graphql",
            "one product by id",
            "/graphql",
            f"query ($id: Int!) {{ {configuration.get_query}(id: $id) {{ {flat} }} }}",
            variables={"id": PRODUCT_ID},
            rows=1,
            configuration=configuration,
        ),
    )


# The entities.json configuration's scenarios (the names ``rest A``...), then the Spryker-style
# configuration's (``spryker rest A``...).
SCENARIOS: tuple[Scenario, ...] = scenarios_for(DEXGATE)
SPRYKER_SCENARIOS: tuple[Scenario, ...] = scenarios_for(SPRYKER)
ALL_SCENARIOS: tuple[Scenario, ...] = SCENARIOS + SPRYKER_SCENARIOS


def selected(apis: set[str], scenarios: Sequence[Scenario] = SCENARIOS) -> list[Scenario]:
    return [s for s in scenarios if s.api in apis]


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
    configuration = scenario.configuration
    for row in rows:
        if row.get(configuration.id_field) is None:
            raise ScenarioCheckError(
                f"{scenario.name}: a row without `{configuration.id_field}`: {row!r:.300}"
            )
    if scenario.nested:
        category_name, stocks_name = configuration.relationships
        for row in rows:
            category, stocks = row.get(category_name), row.get(stocks_name)
            if not isinstance(category, dict) or not isinstance(stocks, list) or not stocks:
                raise ScenarioCheckError(
                    f"{scenario.name}: product {row.get(configuration.id_field)} lacks its "
                    f"{category_name} or {stocks_name}"
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
    scenario: Scenario,
    base_url: str,
    api_key: str,
    settings: LoadSettings,
    cpu: Callable[[], float] | None = None,
) -> LoadResult | Failure:
    """Check the scenario's answer once, then drive it with wrk (``cpu``: the server's CPU
    seconds so far, for its CPU time per request)."""
    try:
        with Client(base_url, api_key) as client:
            check(scenario, *send(client, scenario))
        request = HttpRequest(base_url + scenario.path, body=scenario.body)
        return drive(request, api_key, settings, cpu)
    except BenchError as exc:
        return Failure(str(exc))
    except OSError as exc:
        return Failure(f"{scenario.name}: {exc}")
