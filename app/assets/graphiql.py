"""GraphiQL's browser assets, pinned, in ``app/static/graphiql`` (see app.assets.npm).

``make install`` builds them when they are missing: ``python -m app.assets.graphiql``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.assets.npm import MANIFEST, NpmAssets

PINNED = {"graphiql": "3.8.3", "react": "18.3.1", "react-dom": "18.3.1"}
FILES = {
    "graphiql": ["package/graphiql.min.js", "package/graphiql.min.css", "package/LICENSE"],
    "react": ["package/umd/react.production.min.js", "package/LICENSE"],
    "react-dom": ["package/umd/react-dom.production.min.js", "package/LICENSE"],
}
ASSETS_DIR = Path(__file__).resolve().parent.parent / "static" / "graphiql"
ASSETS = NpmAssets("GraphiQL assets", PINNED, FILES, ASSETS_DIR, prefix_licenses=True)

__all__ = ["ASSETS", "ASSETS_DIR", "MANIFEST", "PINNED", "assets_present", "build"]


def assets_present(directory: Path = ASSETS_DIR) -> bool:
    return ASSETS.present(directory)


def build(directory: Path = ASSETS_DIR) -> None:
    ASSETS.build(directory)


if __name__ == "__main__":
    sys.exit(ASSETS.main())
