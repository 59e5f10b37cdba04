"""The runtime: a TypeORM-shaped repository layer on SQLAlchemy 2.x."""

from ormshift.orm import errors, listeners, operators
from ormshift.orm.datasource import DataSource, PoolOptions, PoolStats
from ormshift.orm.errors import *  # noqa: F403 - the public errors, as errors lists them
from ormshift.orm.listeners import *  # noqa: F403 - the listener API, as listeners lists it
from ormshift.orm.manager import DeleteResult, EntityManager, InsertResult, UpdateResult
from ormshift.orm.operators import *  # noqa: F403 - the find operators, as operators lists them
from ormshift.orm.querybuilder import Brackets, NotBrackets, SelectQueryBuilder
from ormshift.orm.records import to_record
from ormshift.orm.repository import Repository
from ormshift.orm.transformers import Transformed, ValueTransformer

__all__ = [
    "Brackets",
    "DataSource",
    "DeleteResult",
    "EntityManager",
    "InsertResult",
    "NotBrackets",
    "PoolOptions",
    "PoolStats",
    "Repository",
    "SelectQueryBuilder",
    "Transformed",
    "UpdateResult",
    "ValueTransformer",
    "to_record",
]
__all__ += errors.__all__
__all__ += listeners.__all__
__all__ += operators.__all__
