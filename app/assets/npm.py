"""Browser assets fetched, pinned, from the npm registry with ``npm pack`` into ``app/static``.

dexgate's pages (GraphiQL, Swagger UI) must work without internet access, so dexgate serves
their files itself. They are not committed: a build step packs the pinned packages and extracts
only the files the pages load and their licences, with a manifest of what was fetched; the
directory is replaced only once every file has been extracted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class NpmAssets:
    label: str
    pinned: Mapping[str, str]
    files: Mapping[str, Sequence[str]]
    directory: Path
    # Several packages each with a LICENSE: keep them apart as NAME.LICENSE.
    prefix_licenses: bool = False

    def present(self, directory: Path | None = None) -> bool:
        manifest = (directory or self.directory) / MANIFEST
        if not manifest.is_file():
            return False
        try:
            return bool(json.loads(manifest.read_text()).get("packages") == dict(self.pinned))
        except ValueError:
            return False

    def build(self, directory: Path | None = None) -> None:
        """Download the pinned packages with npm and keep only their listed files."""
        target_dir = directory or self.directory
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm is not installed: install Node.js (npm) to build {self.label}")
        with tempfile.TemporaryDirectory() as temporary:
            work = Path(temporary)
            specs = [f"{name}@{version}" for name, version in self.pinned.items()]
            subprocess.run(  # noqa: S603 - fixed arguments, npm from PATH
                [npm, "pack", "--silent", "--pack-destination", str(work), *specs],
                check=True,
                cwd=work,
                stdout=subprocess.DEVNULL,
            )
            staging = work / "assets"
            staging.mkdir()
            for name, version in self.pinned.items():
                archive = work / f"{name}-{version}.tgz"
                with tarfile.open(archive) as tar:
                    for member in self.files[name]:
                        try:
                            source = tar.extractfile(member)
                        except KeyError:
                            source = None
                        if source is None:
                            raise RuntimeError(f"{member} missing from {archive.name}")
                        base = Path(member).name
                        if self.prefix_licenses and base == "LICENSE":
                            base = f"{name}.LICENSE"
                        (staging / base).write_bytes(source.read())
            manifest = json.dumps({"packages": dict(self.pinned)}, indent=2) + "\n"
            (staging / MANIFEST).write_text(manifest)
            if target_dir.exists():
                shutil.rmtree(target_dir)
            target_dir.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(staging, target_dir)

    def main(self, argv: list[str] | None = None) -> int:
        """``python -m app.X_assets [--if-missing]``."""
        parser = argparse.ArgumentParser(description=f"Fetch {self.label} into {self.directory}.")
        parser.add_argument("--if-missing", action="store_true", help="do nothing when present")
        args = parser.parse_args(argv)
        if args.if_missing and self.present():
            return 0
        try:
            self.build()
        except (RuntimeError, OSError, subprocess.CalledProcessError, tarfile.TarError) as exc:
            print(f"{self.label} not built: {exc}", file=sys.stderr)
            return 1
        pins = ", ".join(f"{k} {v}" for k, v in self.pinned.items())
        print(f"{self.label} in {self.directory}: {pins}")
        return 0
