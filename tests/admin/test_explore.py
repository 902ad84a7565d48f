"""The Explore panel: a grouping and an aggregate answered as a table and a bar chart, with the
REST URL and the GraphQL query that answer the same, on every database."""

from __future__ import annotations

import html
import re

import httpx

from app.admin.bar_chart import bar_chart


def _table(page: str) -> list[tuple[str, str]]:
    body = page.split('id="explore-table"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", body)
    return [(html.unescape(a), html.unescape(b)) for a, b in cells]


def _code(page: str, id_: str) -> str:
    found = re.search(rf'id="{id_}">(.*?)</', page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


async def test_the_panel_answers_as_the_rest_url_it_shows(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    page = await admin.get(
        "/admin/entities/product-stocks/explore",
        params={"group": "warehouse", "measure": "sum.quantity", "order": "value"},
    )
    assert page.status_code == 200, page.text
    rows = _table(page.text)
    assert rows
    rest = _code(page.text, "explore-rest")
    answer = (await client.get(rest)).json()["data"]
    assert [(g["warehouse"], str(g["sum"]["quantity"])) for g in answer] == rows
    totals = [int(value) for _label, value in rows]
    assert totals == sorted(totals, reverse=True)
    assert page.text.count("<rect ") == len(rows)
    graphql = _code(page.text, "explore-graphql")
    body = (await client.post("/graphql", json={"query": graphql})).json()
    assert "errors" not in body, body
    groups = body["data"]["productStocksAggregate"]["groups"]
    assert [(g["key"]["warehouse"], str(g["sum"]["quantity"])) for g in groups] == rows


async def test_without_a_grouping_one_row_and_every_choice_is_offered(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    page = await admin.get("/admin/entities/products/explore", params={"measure": "count"})
    assert page.status_code == 200
    count = (await client.get("/dynamic-entity/products?aggregate[count]=*")).json()["data"]
    assert _table(page.text) == [("all rows", str(count[0]["count"]))]
    assert 'value="avg.price"' in page.text
    assert 'value="sum.name"' not in page.text
    linked = await admin.get("/admin/entities/products")
    assert "/admin/entities/products/explore" in linked.text


async def test_unknown_choices_fall_back_and_a_missing_entity_is_not_found(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get(
        "/admin/entities/products/explore", params={"group": "nope", "measure": "sum.name"}
    )
    assert page.status_code == 200
    assert _table(page.text)[0][0] == "all rows"
    missing = await admin.get("/admin/entities/nothing-here/explore")
    assert missing.status_code == 404


async def test_the_page_needs_an_admin_session(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/admin/entities/products/explore")
    assert page.status_code in (303, 403)
    assert "explore-table" not in page.text


def test_the_chart_escapes_labels_and_draws_negative_values_left() -> None:
    svg = bar_chart([("<b>", 10.0, "10"), ("minus", -5.0, "-5"), ("none", None, "null")], "t")
    assert "<b>" not in svg
    assert "&lt;b&gt;" in svg
    bars = re.findall(r'<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"', svg)
    assert len(bars) == 2
    (x_positive, w_positive), (x_negative, w_negative) = bars
    assert float(x_negative) + float(w_negative) == float(x_positive)
    assert float(w_positive) == 2 * float(w_negative)
