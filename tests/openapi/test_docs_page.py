"""``GET /dynamic-entity/docs``: Swagger UI on the OpenAPI document, with every file it loads
served by dexgate. Without the built assets (``make swagger-assets``) the tests that need them
are skipped with the reason, or fail where ``DEXGATE_REQUIRE_BROWSER=1`` (as in CI)."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import app.openapi
from app.assets.swagger import ASSETS_DIR, MANIFEST, PINNED, assets_present
from app.gateway import Gateway
from schema_builder.definition import parse_entries

DOCS = "/dynamic-entity/docs"
REQUIRE_BROWSER = os.environ.get("DEXGATE_REQUIRE_BROWSER") == "1"
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
def assets() -> None:
    if not assets_present():
        reason = "Swagger UI's assets are not built: run `make swagger-assets` (needs npm)"
        if REQUIRE_BROWSER:
            pytest.fail(reason)
        pytest.skip(reason)


async def test_page_loads_swagger_ui_from_dexgate_only(
    assets: None, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    page = await client.get(DOCS)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text
    assert "https://" not in page.text
    assert 'data-document="/dynamic-entity/openapi.json"' in page.text
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(references) == [
        "/page-assets/swagger-start.js",
        "/swagger-ui/static/favicon-32x32.png",
        "/swagger-ui/static/swagger-ui-bundle.js",
        "/swagger-ui/static/swagger-ui.css",
    ]
    for reference in references:
        asset = await anonymous.get(reference)  # open: a browser sends no key for them
        assert asset.status_code == 200, reference
        expected = CONTENT_TYPES[os.path.splitext(reference)[1]]
        assert expected in asset.headers["content-type"]


async def test_assets_are_pinned_with_their_licences(assets: None) -> None:
    manifest = json.loads((ASSETS_DIR / MANIFEST).read_text())
    assert manifest == {"packages": PINNED}
    assert "Apache License" in (ASSETS_DIR / "LICENSE").read_text()
    assert (ASSETS_DIR / "swagger-ui-bundle.js.LICENSE.txt").is_file()


async def test_page_hands_the_api_key_to_swagger_ui(
    assets: None, client: httpx.AsyncClient
) -> None:
    assert '<script src="/page-assets/swagger-start.js">' in (await client.get(DOCS)).text
    script = (await client.get("/page-assets/swagger-start.js")).text
    assert 'get("api_key")' in script
    assert 'headers["X-Api-Key"] = apiKey' in script
    assert "validatorUrl: null" in script  # no badge fetched from the validator's site


async def test_page_needs_credentials_and_takes_an_api_key_in_the_query(
    assets: None, anonymous: httpx.AsyncClient, admin_key: str
) -> None:
    refused = await anonymous.get(DOCS)
    assert refused.status_code == 403
    assert refused.json() == [{"status": 403, "code": "DX120", "message": "Unauthorized request."}]
    opened = await anonymous.get(DOCS, params={"api_key": admin_key})
    assert opened.status_code == 200
    document = await anonymous.get("/dynamic-entity/openapi.json", params={"api_key": admin_key})
    assert document.status_code == 200


async def test_page_without_assets_answers_503_saying_how_to_build_them(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.openapi, "assets_present", lambda: False)
    page = await client.get(DOCS)
    assert page.status_code == 503
    assert "make swagger-assets" in page.text


async def test_missing_asset_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/swagger-ui/static/no-such-file.js")
    assert response.status_code == 404


DOC_PAGES = sa.Table(
    "doc_page",
    sa.MetaData(),
    sa.Column("id_doc_page", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(64), nullable=False),
)
DOCS_ENTITY: dict[str, Any] = {
    "tableName": "doc_page",
    "tableAlias": "docs",
    "isActive": True,
    "definition": {
        "identifier": "id_doc_page",
        "fields": [
            {
                "fieldName": "id_doc_page",
                "fieldVisibleName": "id_doc_page",
                "type": "integer",
                "isCreatable": False,
                "isEditable": False,
                "validation": {"isRequired": False},
            },
            {
                "fieldName": "title",
                "fieldVisibleName": "title",
                "type": "string",
                "isCreatable": True,
                "isEditable": True,
                "validation": {"isRequired": True},
            },
        ],
    },
}


async def test_an_entity_registered_as_docs_keeps_its_route(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    async with gateway.engine.begin() as connection:
        await connection.run_sync(DOC_PAGES.metadata.create_all)
    await gateway.registry.apply(parse_entries([DOCS_ENTITY]))
    created = await client.post(DOCS, json={"data": [{"title": "Guide"}]})
    assert created.status_code == 201, created.text

    listed = await client.get(DOCS)

    assert listed.status_code == 200
    assert listed.json() == {"data": [{"id_doc_page": 1, "title": "Guide"}]}
    document = (await client.get("/dynamic-entity/openapi.json")).json()
    assert "/dynamic-entity/docs" in document["paths"]
