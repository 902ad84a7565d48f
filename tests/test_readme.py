"""The README's first screen tells a new user what dexgate is and how to see the API answer
(``make run`` and the lines it prints); its "Where next" list names the Back Office,
GraphiQL, the API page, the command line and the docs, one item each, and every link and
address in the README leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
FIRST_SCREEN = "\n".join(README.splitlines()[:45])
LOCAL = "http://127.0.0.1:8000"


def section(title: str) -> str:
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.M | re.S)
    assert found is not None, f"no section {title!r}"
    return found.group(1)


def test_the_first_screen_says_what_dexgate_is_and_how_to_see_the_api_answer() -> None:
    lines = FIRST_SCREEN.splitlines()
    assert lines[0] == "# dexgate"
    assert lines[2].startswith("dexgate is a data exchange gateway.")
    assert "make run    # installs into .venv, migrates, loads the demo catalog" in FIRST_SCREEN
    assert FIRST_SCREEN.index("dexgate is a") < FIRST_SCREEN.index("make run")
    # What make run prints, to paste: a token, then REST and GraphQL answering with it.
    assert "/token -d grant_type=password -d username=admin" in FIRST_SCREEN
    assert f"'{LOCAL}/dynamic-entity/products?" in FIRST_SCREEN
    assert f"{LOCAL}/graphql" in FIRST_SCREEN
    assert "## Where next" in FIRST_SCREEN


def test_where_next_lists_each_place_once() -> None:
    items = re.findall(r"^- \*\*([^*]+)\*\* — ", section("Where next"), re.M)
    assert items == ["Back Office", "GraphiQL", "API page", "Command line", "Docs"]


def test_every_relative_link_and_anchor_of_the_readme_exists() -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")
        for title in re.findall(r"^#+ (.+)$", README, re.M)
    }
    for target in re.findall(r"\]\(([^)]+)\)", README):
        if target.startswith(("http://", "https://")):
            continue
        if target.startswith("#"):
            assert target[1:] in headings, target
        else:
            assert (ROOT / target.split("#")[0]).exists(), target


async def test_the_addresses_where_next_names_are_served(client: httpx.AsyncClient) -> None:
    addresses = re.findall(rf"<{re.escape(LOCAL)}(/[^>]*)>", section("Where next"))
    assert addresses == ["/admin", "/graphiql", "/dynamic-entity/docs"]
    for path in addresses:
        response = await client.get(path, follow_redirects=True)
        # 503: GraphiQL's or Swagger UI's assets are not built (the page says how).
        assert response.status_code in (200, 503), path
        assert response.headers["content-type"].startswith("text/html"), path
