"""ormshift: move a TypeORM data layer, and its data, to Python and SQLAlchemy 2.x."""

from ormshift.errors import OrmshiftError

__version__ = "0.1.0"

__all__ = ["OrmshiftError", "__version__"]
