"""SQLAlchemy models for a TypeORM project made on the fly (extract + generate + import),
as a user would make them with ``ormshift extract`` and ``ormshift generate``."""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path
from typing import Any

from ormshift.manifest import Manifest

__all__ = ["generated_models"]


def generated_models(manifest: Manifest, directory: Path) -> tuple[str, dict[str, type[Any]]]:
    """Generate ``manifest``'s package under ``directory`` and import it: (module, classes)."""
    from ormshift.codegen import render_package, write_package  # noqa: PLC0415 - heavy
    from ormshift.compare.runner import load_models  # noqa: PLC0415 - cycle

    name = f"ormshift_models_{uuid.uuid4().hex[:8]}"
    write_package(render_package(manifest), directory / name)
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    return name, load_models(name)
