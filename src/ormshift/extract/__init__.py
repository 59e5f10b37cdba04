"""Manifests from a TypeORM project (through the Node bridge) or from a live database."""

from ormshift.extract.typeorm import extract_project, sync_project

__all__ = ["extract_project", "sync_project"]
