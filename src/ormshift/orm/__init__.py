"""The runtime: a TypeORM-shaped repository layer on SQLAlchemy 2.x."""

from ormshift.orm import listeners, operators
from ormshift.orm.datasource import DataSource, PoolOptions, PoolStats
from ormshift.orm.errors import (
    CheckViolation,
    ConnectionLost,
    EntityNotFound,
    FindOptionsError,
    ForeignKeyViolation,
    MissingDeleteDateColumn,
    NotNullViolation,
    NoVersionOrUpdateDateColumn,
    OptimisticLockCanNotBeUsed,
    OptimisticLockVersionMismatch,
    OrmError,
    PessimisticLockTransactionRequired,
    PoolTimeout,
    QueryFailed,
    QueryTimeout,
    RelationNotJoined,
    SubjectWithoutIdentifier,
    UniqueViolation,
    UnknownProperty,
    UnsupportedFindOptions,
    UpdateValuesMissing,
)
from ormshift.orm.listeners import *  # noqa: F403 - the listener API, as listeners lists it
from ormshift.orm.manager import DeleteResult, EntityManager, InsertResult, UpdateResult
from ormshift.orm.operators import *  # noqa: F403 - the find operators, as operators lists them
from ormshift.orm.querybuilder import Brackets, NotBrackets, SelectQueryBuilder
from ormshift.orm.records import to_record
from ormshift.orm.repository import Repository
from ormshift.orm.transformers import Transformed, ValueTransformer

__all__ = [
    "Brackets",
    "CheckViolation",
    "ConnectionLost",
    "DataSource",
    "DeleteResult",
    "EntityManager",
    "EntityNotFound",
    "FindOptionsError",
    "ForeignKeyViolation",
    "InsertResult",
    "MissingDeleteDateColumn",
    "NoVersionOrUpdateDateColumn",
    "NotBrackets",
    "NotNullViolation",
    "OptimisticLockCanNotBeUsed",
    "OptimisticLockVersionMismatch",
    "OrmError",
    "PessimisticLockTransactionRequired",
    "PoolOptions",
    "PoolStats",
    "PoolTimeout",
    "QueryFailed",
    "QueryTimeout",
    "RelationNotJoined",
    "Repository",
    "SelectQueryBuilder",
    "SubjectWithoutIdentifier",
    "Transformed",
    "UniqueViolation",
    "UnknownProperty",
    "UnsupportedFindOptions",
    "UpdateResult",
    "UpdateValuesMissing",
    "ValueTransformer",
    "to_record",
]
__all__ += listeners.__all__
__all__ += operators.__all__
