"""Manifests from a TypeORM project (through the Node bridge) or from a live database.

The TypeORM side (`ormshift.extract.typeorm`, with the bridge and the compiler cache) is
imported on first use: a command that only reflects a database (migrate, verify) does not
load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ormshift.extract.typeorm import extract_project, sync_project

__all__ = ["extract_project", "sync_project"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ormshift.extract import typeorm  # noqa: PLC0415

        return getattr(typeorm, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
