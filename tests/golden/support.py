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

from sqlalchemy.orm import registry

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
        modules = [m for m in sys.modules if m == name or m.startswith(name + ".")]
        for registry in {_registry(sys.modules[m]) for m in modules} - {None}:
            # SQLAlchemy keeps a weak set of every registry and configures them all
            # on the next configure_mappers(); a forgotten package whose classes are
            # half collected would make some later, unrelated test fail.
            registry.dispose()
        for mod in modules:
            del sys.modules[mod]


def _registry(module: ModuleType) -> registry | None:
    base = getattr(module, "Base", None)
    found = getattr(base, "registry", None)
    return found if isinstance(found, registry) else None


def generated(name: str) -> GeneratedPackage:
    return render_package(golden_manifest(name))
