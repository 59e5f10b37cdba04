"""Puts the Node bridge's sources (not its node_modules) into the wheel as ormshift/_bridge.

Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BRIDGE = Path(__file__).resolve().parent / "bridge"


def bridge_files() -> list[Path]:
    """The bridge's JavaScript and its npm manifest and lockfile, relative to bridge/."""
    found = [Path("package.json"), Path("package-lock.json")]
    for path in sorted(BRIDGE.rglob("*.js")):
        rel = path.relative_to(BRIDGE)
        if rel.parts[0] != "node_modules":
            found.append(rel)
    return found


class BuildWithBridge(build_py):
    def run(self) -> None:
        super().run()
        if not BRIDGE.is_dir():  # building from an sdist that lacks it: refuse, do not ship half
            raise SystemExit("bridge/ is missing: build the wheel from the repository or the sdist")
        target = Path(self.build_lib) / "ormshift" / "_bridge"
        for rel in bridge_files():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(BRIDGE / rel, target / rel)


setup(cmdclass={"build_py": BuildWithBridge})
