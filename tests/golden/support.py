"""Shared by the codegen tests: the stored manifests, and generated packages imported.

``tests/golden/<set>/manifest.json`` is the manifest TypeORM's metadata builder gave for
``tests/corpus/<set>`` (refresh with ``ormshift extract tests/corpus/<set> -o ...``);
``tests/golden/<set>/*.py.golden`` is the package ormshift generates from it. Set
``ORMSHIFT_REGEN_GOLDEN=1`` to rewrite the golden sources after a deliberate change.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from ormshift.codegen import GeneratedPackage, render_package, write_package
from ormshift.manifest import Manifest, read

GOLDEN = Path(__file__).resolve().parent
GOLDEN_SETS = sorted(p.name for p in GOLDEN.iterdir() if (p / "manifest.json").is_file())


def golden_manifest(name: str) -> Manifest:
    return read(GOLDEN / name / "manifest.json")


@contextmanager
def imported(package: GeneratedPackage, where: Path) -> Iterator[ModuleType]:
    """``package`` written under ``where`` with a unique name and imported; forgotten after."""
    name = f"ormshift_generated_{uuid.uuid4().hex[:8]}"
    write_package(package, where / name)
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(where))
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]


def generated(name: str) -> GeneratedPackage:
    return render_package(golden_manifest(name))
