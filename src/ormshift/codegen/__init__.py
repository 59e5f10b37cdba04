"""Manifest -> SQLAlchemy 2.x typed declarative models whose schema is TypeORM's."""

from ormshift.codegen.models import Finding
from ormshift.codegen.package import GeneratedPackage, render_package, write_package
from ormshift.codegen.plan import Plan, plan

__all__ = ["Finding", "GeneratedPackage", "Plan", "plan", "render_package", "write_package"]
