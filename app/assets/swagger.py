"""Swagger UI's browser assets, pinned, in ``app/static/swagger-ui`` (see app.assets.npm), for
the API page at ``/dynamic-entity/docs``.

``make install`` builds them when they are missing: ``python -m app.assets.swagger``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.assets.npm import MANIFEST, NpmAssets

PINNED = {"swagger-ui-dist": "5.35.0"}
FILES = {
    "swagger-ui-dist": [
        "package/swagger-ui-bundle.js",
        "package/swagger-ui.css",
        "package/favicon-32x32.png",
        "package/LICENSE",
        "package/NOTICE",
        # the licences of what the bundle includes
        "package/swagger-ui-bundle.js.LICENSE.txt",
    ],
}
ASSETS_DIR = Path(__file__).resolve().parent.parent / "static" / "swagger-ui"
ASSETS = NpmAssets("Swagger UI assets", PINNED, FILES, ASSETS_DIR)

__all__ = ["ASSETS", "ASSETS_DIR", "MANIFEST", "PINNED", "assets_present", "build"]


def assets_present(directory: Path = ASSETS_DIR) -> bool:
    return ASSETS.present(directory)


def build(directory: Path = ASSETS_DIR) -> None:
    ASSETS.build(directory)


if __name__ == "__main__":
    sys.exit(ASSETS.main())
