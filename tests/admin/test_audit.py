"""The audit log page: what admins did in the Back Office, by whom, filtered and paged."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.admin.audit import PAGE_SIZE
from app.gateway import Gateway
from auth.audit import record
from tests.admin.conftest import ADMIN, submit


async def test_a_change_made_in_the_back_office_is_shown_with_its_admin(
    admin: httpx.AsyncClient, gateway: Gateway
) -> None:
    created = await submit(admin, "/admin/api-keys", {"name": "erp", "roles": ["admin"]})
    assert created.status_code == 200
    key = re.search(r'id="new-key">([^<]+)<', created.text)
    assert key is not None
    assert (await submit(admin, "/admin/entities/countries/deactivate")).status_code == 303

    page = await admin.get("/admin/audit")
    assert page.status_code == 200
    rows = re.findall(
        r"<tr>\s*<td>[^<]*</td>\s*<td><code>([^<]*)</code></td>\s*<td>([^<]*)</td>", page.text
    )
    assert rows[:2] == [(f"user:{ADMIN}", "entity.update"), (f"user:{ADMIN}", "apikey.create")]
    assert key.group(1) not in page.text
    assert "prefix: " + key.group(1)[:10] in page.text

    only = await admin.get("/admin/audit", params={"entity": "countries"})
    assert "apikey.create" not in only.text
    assert "entity.update" in only.text


async def test_the_page_shows_the_newest_records_and_pages_back(
    admin: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.begin() as connection:
        for i in range(PAGE_SIZE + 5):
            await record(connection, "cli:<b>x</b>", "create", entity="gadgets", identifiers=[i])
    first = await admin.get("/admin/audit", params={"actor": "cli:<b>x</b>"})
    assert first.text.count("<td>create</td>") == PAGE_SIZE
    assert "<b>x</b>" not in first.text
    assert "cli:&lt;b&gt;x&lt;/b&gt;" in first.text
    older = re.search(r'<a class="button" href="([^"]+)">Older</a>', first.text)
    assert older is not None
    second = await admin.get(older.group(1).replace("&amp;", "&"))
    shown = re.findall(r'<td class="identifiers">\s*(\d+)', second.text)
    assert shown == ["4", "3", "2", "1", "0"]
    assert "Older</a>" not in second.text
