"""Fetch GraphiQL's browser assets, pinned, from the npm registry into ``app/static/graphiql``.

GraphiQL must work without internet access, so dexgate serves its scripts itself. They are not
committed: this build step runs ``npm pack`` for the pinned packages and extracts only the files
the page loads, with a manifest of what was fetched. ``make install`` runs it when the assets
are missing: ``python -m app.graphiql_assets [--if-missing]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PINNED = {"graphiql": "3.8.3", "react": "18.3.1", "react-dom": "18.3.1"}
FILES = {
    "graphiql": ["package/graphiql.min.js", "package/graphiql.min.css", "package/LICENSE"],
    "react": ["package/umd/react.production.min.js", "package/LICENSE"],
    "react-dom": ["package/umd/react-dom.production.min.js", "package/LICENSE"],
}
ASSETS_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
MANIFEST = "manifest.json"


def assets_present(directory: Path = ASSETS_DIR) -> bool:
    manifest = directory / MANIFEST
    if not manifest.is_file():
        return False
    try:
        return bool(json.loads(manifest.read_text()).get("packages") == PINNED)
    except ValueError:
        return False


def build(directory: Path = ASSETS_DIR) -> None:
    """Download the pinned packages with npm and keep the files GraphiQL's page loads."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: install Node.js (npm) to build GraphiQL's assets")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        specs = [f"{name}@{version}" for name, version in PINNED.items()]
        subprocess.run(  # noqa: S603 - fixed arguments, npm from PATH
            [npm, "pack", "--silent", "--pack-destination", str(work), *specs],
            check=True,
            cwd=work,
            stdout=subprocess.DEVNULL,
        )
        staging = work / "assets"
        staging.mkdir()
        for name, version in PINNED.items():
            archive = work / f"{name}-{version}.tgz"
            with tarfile.open(archive) as tar:
                for member in FILES[name]:
                    source = tar.extractfile(member)
                    if source is None:
                        raise RuntimeError(f"{member} missing from {archive.name}")
                    base = Path(member).name
                    target = staging / (f"{name}.LICENSE" if base == "LICENSE" else base)
                    target.write_bytes(source.read())
        (staging / MANIFEST).write_text(json.dumps({"packages": PINNED}, indent=2) + "\n")
        if directory.exists():
            shutil.rmtree(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--if-missing", action="store_true", help="do nothing when present")
    args = parser.parse_args(argv)
    if args.if_missing and assets_present():
        return 0
    try:
        build()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        print(f"GraphiQL assets not built: {exc}", file=sys.stderr)
        return 1
    print(f"GraphiQL assets in {ASSETS_DIR}: " + ", ".join(f"{k} {v}" for k, v in PINNED.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
