"""The generated package imported and ``configure_mappers()`` run, before it is written.

`generate` only says it succeeded once SQLAlchemy has accepted every mapper: the package
is written to a scratch directory under a unique name, imported, configured, and then
forgotten (its modules dropped, its registry disposed).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import configure_mappers

from ormshift.errors import CodegenError

if TYPE_CHECKING:
    from ormshift.codegen.package import GeneratedPackage


def check_configures(package: GeneratedPackage) -> tuple[str, ...]:
    """Import ``package`` and configure its mappers; the warnings SQLAlchemy gave.

    Raises `CodegenError` with SQLAlchemy's first line when it does not configure."""
    name = f"ormshift_check_{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="ormshift-check-") as tmp:
        root = Path(tmp) / name
        for rel, text in package.files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
        sys.path.insert(0, tmp)
        module = None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                module = importlib.import_module(name)
                configure_mappers()
        except Exception as exc:  # whatever SQLAlchemy or Python raised: report, not crash
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CodegenError(
                f"the generated models do not configure ({type(exc).__name__}: {first}); "
                "this is an ormshift bug: please report it with the manifest"
            ) from exc
        finally:
            sys.path.remove(tmp)
            base = getattr(module, "Base", None)
            if base is not None:
                base.registry.dispose()
            for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
                del sys.modules[mod]
    return tuple(str(w.message) for w in caught)
