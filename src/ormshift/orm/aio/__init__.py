"""The asyncio face of `ormshift.orm`: the same runtime, awaited.

``AsyncDataSource(url)`` runs the one sync implementation on SQLAlchemy's asyncio
engine (psycopg's async driver) through the greenlet bridge, as SQLAlchemy's own
``AsyncSession`` runs its sync ``Session``. The wrapper classes are generated from the
sync classes' signatures (`generate`, checked for drift by the tests).
"""

from ormshift.orm.aio._generated import (
    AsyncDeleteQueryBuilder,
    AsyncEntityManager,
    AsyncInsertQueryBuilder,
    AsyncRelationQueryBuilder,
    AsyncRepository,
    AsyncSelectQueryBuilder,
    AsyncSoftDeleteQueryBuilder,
    AsyncTreeRepository,
    AsyncUpdateQueryBuilder,
)
from ormshift.orm.aio.datasource import AsyncDataSource

__all__ = [
    "AsyncDataSource",
    "AsyncDeleteQueryBuilder",
    "AsyncEntityManager",
    "AsyncInsertQueryBuilder",
    "AsyncRelationQueryBuilder",
    "AsyncRepository",
    "AsyncSelectQueryBuilder",
    "AsyncSoftDeleteQueryBuilder",
    "AsyncTreeRepository",
    "AsyncUpdateQueryBuilder",
]
