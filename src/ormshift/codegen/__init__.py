"""Manifest -> SQLAlchemy 2.x typed declarative models whose schema is TypeORM's."""

from ormshift.codegen.alembic_env import MIGRATIONS_DIR, render_alembic
from ormshift.codegen.migration import render_baseline
from ormshift.codegen.models import Finding
from ormshift.codegen.package import GeneratedPackage, render_package, write_package
from ormshift.codegen.plan import ATTRIBUTE_NAMES, AttributeNames, Plan, plan

__all__ = [
    "ATTRIBUTE_NAMES",
    "MIGRATIONS_DIR",
    "AttributeNames",
    "Finding",
    "GeneratedPackage",
    "Plan",
    "plan",
    "render_alembic",
    "render_baseline",
    "render_package",
    "write_package",
]
