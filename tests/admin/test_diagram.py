"""The entity diagram on the Entities page and the OpenAPI document for the admin's session."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

import httpx

from app.admin.diagram import entity_diagram
from app.gateway import Gateway
from schema_builder.catalog import Catalog, Relation
from tests.admin.conftest import submit

SVG = "{http://www.w3.org/2000/svg}"
JSON = {"Accept": "application/json"}
DEMO_RELATIONS = {
    ("countries", "stocks", "product-stocks", "has-many"),
    ("categories", "products", "products", "has-many"),
    ("products", "stocks", "product-stocks", "has-many"),
    ("products", "category", "categories", "belongs-to"),
    ("product-stocks", "product", "products", "belongs-to"),
    ("product-stocks", "country", "countries", "belongs-to"),
}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  # our own output, under test


def boxes(svg: ET.Element) -> dict[str, list[str]]:
    """Each entity box's alias and its texts."""
    return {
        g.attrib["data-alias"]: [t.text or "" for t in g.iter(f"{SVG}text")]
        for g in svg.iter(f"{SVG}g")
        if g.attrib.get("class") == "entity"
    }


def arrows(svg: ET.Element) -> set[tuple[str, str, str, str]]:
    """Each relationship arrow: owner, name, target, and its kind."""
    found = set()
    for g in svg.iter(f"{SVG}g"):
        kind = g.attrib.get("class", "")
        if kind.startswith("relation "):
            assert g.find(f"{SVG}line") is not None or g.find(f"{SVG}path") is not None
            found.add(
                (
                    g.attrib["data-owner"],
                    g.attrib["data-name"],
                    g.attrib["data-target"],
                    kind.removeprefix("relation "),
                )
            )
    return found


def svg_of(page: httpx.Response) -> str:
    found = re.search(r"<svg .*?</svg>", page.text, re.DOTALL)
    assert found is not None, page.text
    return found.group(0)


async def test_a_box_per_entity_and_an_arrow_per_relationship(gateway: Gateway) -> None:
    catalog = await gateway.registry.current()
    svg = parse(entity_diagram(catalog))
    drawn = boxes(svg)
    assert set(drawn) == {"categories", "countries", "product-stocks", "products"}
    assert drawn["product-stocks"] == ["product-stocks", "(product_stock)"]
    assert arrows(svg) == DEMO_RELATIONS
    labels = {
        g.attrib["data-name"] + "@" + g.attrib["data-owner"]: g.find(f"{SVG}text")
        for g in svg.iter(f"{SVG}g")
        if g.attrib.get("class", "").startswith("relation ")
    }
    texts = {key: text.text for key, text in labels.items() if text is not None}
    assert texts["stocks@products"] == "stocks 1..*"
    assert texts["category@products"] == "category 1"
    has_many = svg.find(f".//{SVG}g[@data-name='stocks'][@data-owner='products']/{SVG}line")
    belongs_to = svg.find(f".//{SVG}g[@data-name='category']/{SVG}line")
    assert has_many is not None
    assert belongs_to is not None
    assert has_many.attrib["marker-end"] != belongs_to.attrib["marker-end"]
    assert "stroke-dasharray" in belongs_to.attrib
    assert "stroke-dasharray" not in has_many.attrib


async def test_the_drawing_is_deterministic(gateway: Gateway) -> None:
    catalog = await gateway.registry.current()
    reordered = Catalog(catalog.version, dict(reversed(list(catalog.entities.items()))))
    assert entity_diagram(catalog) == entity_diagram(catalog) == entity_diagram(reordered)
    assert entity_diagram(Catalog(1, {})) == ""


async def test_every_name_is_escaped(gateway: Gateway) -> None:
    countries = (await gateway.registry.current()).entities["countries"]
    alias = "<script>alert('x')</script>"
    hostile = dataclasses.replace(
        countries,
        alias=alias,
        configuration=dataclasses.replace(
            countries.configuration, alias=alias, table_name='t"&<b>'
        ),
        relations={
            "a<b": Relation("a<b", "hasMany", alias, alias, "id_country", "id_country", False)
        },
    )
    text = entity_diagram(Catalog(1, {alias: hostile}))
    assert "<script>" not in text
    assert "<b>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    svg = parse(text)
    assert boxes(svg) == {alias: [alias, '(t"&<b>)']}
    assert arrows(svg) == {(alias, "a<b", alias, "has-many")}


async def test_the_entities_page_embeds_the_diagram(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/admin/entities")
    assert page.status_code == 200
    svg = parse(svg_of(page))
    assert set(boxes(svg)) == {"categories", "countries", "product-stocks", "products"}
    assert arrows(svg) == DEMO_RELATIONS
    assert "<script" not in svg_of(page)


async def test_inactive_entities_are_not_drawn(admin: httpx.AsyncClient) -> None:
    assert (await submit(admin, "/admin/entities/countries/deactivate")).status_code == 303
    page = await admin.get("/admin/entities")
    svg = parse(svg_of(page))
    assert set(boxes(svg)) == {"categories", "product-stocks", "products"}
    assert arrows(svg) == {a for a in DEMO_RELATIONS if "countries" not in (a[0], a[2])}
    assert '<span class="badge off">inactive</span>' in page.text


async def test_the_openapi_document_for_the_admin_session(
    admin: httpx.AsyncClient, admin_key: str
) -> None:
    page = await admin.get("/admin/entities")
    assert 'href="/admin/openapi.json"' in page.text
    assert 'href="/dynamic-entity/docs"' in page.text
    response = await admin.get("/admin/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert "/dynamic-entity/products" in document["paths"]
    with_key = await admin.get("/dynamic-entity/openapi.json", headers={"X-Api-Key": admin_key})
    assert with_key.status_code == 200
    assert document == with_key.json()
    # The session does not open /dynamic-entity: that takes a key.
    without_key = await admin.get("/dynamic-entity/openapi.json", headers=JSON)
    assert without_key.status_code == 403


async def test_the_openapi_document_needs_a_session(browser: httpx.AsyncClient) -> None:
    refused = await browser.get("/admin/openapi.json", headers=JSON)
    assert refused.status_code == 403
    assert "openapi" not in refused.text
    redirected = await browser.get("/admin/openapi.json")
    assert redirected.status_code == 303
    assert redirected.headers["location"].startswith("/admin/login?next=")
