"""Hostile REST write bodies: JSON bombs (deep nesting, huge numbers, duplicate keys), wrong
encodings and media types. Every one is refused with its code and writes nothing; the inputs
that are valid after all (a BOM, UTF-16) are written exactly as meant.

Duplicate keys: a JSON object that names a key twice is refused — 1301 in a write body, DX101
in a filter — instead of keeping one of the values silently, so that no proxy or validator in
front of dexgate can read a different request than dexgate does.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app import demo
from tests.hostile.support import rest_error, unchanged

COUNTRIES = "/dynamic-entity/countries"
STOCKS = "/dynamic-entity/product-stocks"
ZURICH = {"iso2_code": "XZ", "iso3_code": "XZZ", "name": "Z\u00fcrich \u6771\u4eac \U0001f642"}


def deep(opening: str, closing: str, levels: int, inner: str = "1") -> str:
    return opening * levels + inner + closing * levels


@pytest.mark.parametrize(
    ("url", "content", "code"),
    [
        (COUNTRIES, "[" * 100_000, "1301"),
        (COUNTRIES, '{"data": ' + deep("[", "]", 100_000) + "}", "1301"),
        (COUNTRIES, deep('{"data": ', "}", 100_000), "1301"),
        (COUNTRIES, '{"data": [' + deep('{"a": ', "}", 50_000) + "]}", "1301"),
        (
            COUNTRIES,
            '{"data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": '
            + deep('{"a": ', "}", 500)
            + "}]}",
            "1305",
        ),
        (STOCKS, '{"data": [{"product_id": 1, "warehouse": "W9", "quantity": 1e999999}]}', "1305"),
        (
            STOCKS,
            '{"data": [{"product_id": 1, "warehouse": "W9", "quantity": -1e-999999}]}',
            "1305",
        ),
        (STOCKS, '{"data": [{"product_id": 1, "warehouse": "W9", "quantity": 1E+400}]}', "1305"),
        (
            STOCKS,
            '{"data": [{"product_id": 1, "warehouse": "W9", "quantity": ' + "9" * 5000 + "}]}",
            "1301",  # more digits than the JSON decoder turns into an integer
        ),
        (STOCKS, '{"data": [{"product_id": 1, "warehouse": "W9", "quantity": Infinity}]}', "1301"),
        (STOCKS, '{"data": [{"product_id": 1, "warehouse": "W9", "quantity": -Infinity}]}', "1301"),
        (
            COUNTRIES,
            '{"data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": 1e999999}]}',
            "1305",
        ),
        ("/dynamic-entity/products/1", '{"data": {"price": 1e999999999999}}', "1306"),
        ("/dynamic-entity/products/1", '{"data": {"price": -0.' + "0" * 20_000 + "1}}", "1306"),
        (COUNTRIES, json.dumps({"data": [{**ZURICH, "name": "x" * 100_000}]}), "1306"),
    ],
    ids=[
        "100k-brackets",
        "100k-brackets-in-data",
        "100k-objects",
        "50k-objects-in-item",
        "500-deep-value",
        "1e999999",
        "-1e-999999",
        "1E+400",
        "5000-digit-integer",
        "infinity",
        "-infinity",
        "number-for-text",
        "decimal-1e999999999999",
        "decimal-20000-fraction-digits",
        "100-kilobyte-text",
    ],
)
async def test_json_bomb_in_a_write_is_refused_and_writes_nothing(
    shared_client: httpx.AsyncClient,
    shared_engine: AsyncEngine,
    url: str,
    content: str,
    code: str,
) -> None:
    method = "PATCH" if url.endswith("/1") else "POST"
    async with unchanged(shared_engine):
        response = await shared_client.request(method, url, content=content.encode())
        rest_error(response, 400, code)


@pytest.mark.parametrize(
    ("method", "url", "content"),
    [
        (
            "POST",
            COUNTRIES,
            '{"data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": "A", "name": "B"}]}',
        ),
        (
            "PUT",
            COUNTRIES,
            '{"data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": "A", "name": "B"}]}',
        ),
        ("PATCH", "/dynamic-entity/products/1", '{"data": {"name": "A", "name": "B"}}'),
        (
            "PATCH",
            "/dynamic-entity/products",
            '{"data": [{"id_product": 1, "id_product": 2, "name": "B"}]}',
        ),
        (
            "POST",
            COUNTRIES,
            '{"data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": "K"}], "data": []}',
        ),
        (
            "POST",
            COUNTRIES,
            '{"data": [], "data": [{"iso2_code": "XK", "iso3_code": "XKX", "name": "K"}]}',
        ),
        (
            "POST",
            "/dynamic-entity/products",
            '{"data": [{"sku": "NEW-1", "name": "N", "price": "1.00", "stocks": '
            '[{"warehouse": "W1", "quantity": 1, "quantity": 2}]}]}',
        ),
    ],
    ids=["post", "put", "patch-by-id", "patch-identifier", "data-first", "data-last", "child"],
)
async def test_duplicate_keys_in_a_write_body_are_refused_with_1301(
    shared_client: httpx.AsyncClient,
    shared_engine: AsyncEngine,
    method: str,
    url: str,
    content: str,
) -> None:
    async with unchanged(shared_engine):
        response = await shared_client.request(method, url, content=content.encode())
        rest_error(response, 400, "1301")


def zurich_body(iso2: str) -> str:
    item = {**ZURICH, "iso2_code": iso2, "iso3_code": iso2 + "X"}
    return json.dumps({"data": [item]}, ensure_ascii=False)


@pytest.mark.parametrize(
    ("content", "content_type", "code"),
    [
        (zurich_body("XA").encode("latin-1", "replace"), "application/json", "1301"),
        (
            zurich_body("XA").encode("latin-1", "replace"),
            "application/json; charset=iso-8859-1",
            "1301",
        ),
        (
            zurich_body("XA").encode("cp1252", "replace"),
            "application/json; charset=windows-1252",
            "1301",
        ),
        (zurich_body("XA").encode().replace(b"\xc3\xbc", b"\xc3\x28"), "application/json", "1301"),
        (zurich_body("XA").encode().replace(b"\xc3\xbc", b"\xc0\xaf"), "application/json", "1301"),
        # Python's JSON reader lets an encoded surrogate through; the text rules refuse it.
        (
            zurich_body("XA").encode().replace(b"\xc3\xbc", b"\xed\xa0\x80"),
            "application/json",
            "1306",
        ),
        (zurich_body("XA").encode()[:-3] + b"\xf0\x9f", "application/json", "1301"),
        (
            b"\xef\xbb\xbf" + zurich_body("XA").encode("latin-1", "replace"),
            "application/json",
            "1301",
        ),
        (zurich_body("XA").encode("utf-16")[:-1], "application/json", "1301"),
    ],
    ids=[
        "latin-1",
        "latin-1-declared",
        "cp1252-declared",
        "invalid-utf-8",
        "overlong-utf-8",
        "utf-8-surrogate",
        "truncated-utf-8",
        "bom-then-latin-1",
        "odd-utf-16",
    ],
)
async def test_body_that_is_not_utf8_or_utf16_is_refused(
    shared_client: httpx.AsyncClient,
    shared_engine: AsyncEngine,
    content: bytes,
    content_type: str,
    code: str,
) -> None:
    async with unchanged(shared_engine):
        response = await shared_client.post(
            COUNTRIES, content=content, headers={"Content-Type": content_type}
        )
        rest_error(response, 400, code)


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16", b""),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-32", b""),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "utf-16-le", "utf-16-be", "utf-32"],
)
async def test_utf8_with_bom_utf16_and_utf32_bodies_are_read_as_meant(
    client: httpx.AsyncClient, engine: AsyncEngine, encoding: str, prefix: bytes
) -> None:
    # RFC 8259 asks for UTF-8 and lets a reader skip a BOM; like Python's own JSON reader,
    # dexgate also recognises UTF-16 and UTF-32 (RFC 4627's detection), which lose nothing.
    content = prefix + zurich_body("XB").encode(encoding)
    response = await client.post(COUNTRIES, content=content)
    assert response.status_code == 201, response.text
    [created] = response.json()["data"]
    assert created["name"] == ZURICH["name"]
    async with engine.connect() as connection:
        stored = await connection.scalar(
            sa.select(demo.country.c.name).where(demo.country.c.iso2_code == "XB")
        )
    assert stored == ZURICH["name"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/graphql",
        "application/octet-stream",
        "json",
        "application/json\x00",
    ],
)
async def test_write_declared_as_another_media_type_is_refused_with_415(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine, content_type: str
) -> None:
    body = json.dumps({"data": [ZURICH]}).encode()
    async with unchanged(shared_engine):
        for method in ("POST", "PATCH", "PUT"):
            response = await shared_client.request(
                method, COUNTRIES, content=body, headers={"Content-Type": content_type}
            )
            rest_error(response, 415, "DX105")


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "APPLICATION/JSON",
        "application/json;charset=UTF-8",
        "application/vnd.api+json",
        'application/json; boundary="unterminated',
    ],
    ids=["missing", "empty", "upper-case", "charset", "suffix", "odd-parameter"],
)
async def test_write_declared_as_json_or_not_declared_is_accepted(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    request = client.build_request(
        "POST", COUNTRIES, content=json.dumps({"data": [ZURICH]}).encode()
    )
    if content_type is None:
        del request.headers["Content-Type"]
    else:
        request.headers["Content-Type"] = content_type
    response = await client.send(request)
    assert response.status_code == 201, response.text
    assert response.json()["data"][0]["name"] == ZURICH["name"]


async def test_a_bomb_in_one_item_fails_the_whole_batch(
    shared_client: httpx.AsyncClient, shared_engine: AsyncEngine
) -> None:
    items: list[Any] = [
        {"iso2_code": "XC", "iso3_code": "XCC", "name": "Fine"},
        {"iso2_code": "XD", "iso3_code": "XDD", "name": json.loads(deep('{"a": ', "}", 300))},
        {"iso2_code": "XE", "iso3_code": "XEE", "name": "Fine too"},
    ]
    async with unchanged(shared_engine):
        response = await shared_client.post(COUNTRIES, json={"data": items})
        error = rest_error(response, 400, "1305")
        assert error["message"] == "Invalid data type `countries[1]` for field `name`"
