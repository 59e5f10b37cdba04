"""`AsyncDataSource`: the sync `DataSource` run on SQLAlchemy's asyncio engine.

The engine is ``create_async_engine`` on psycopg's async driver; the sync data source
is built over its ``sync_engine``, as SQLAlchemy's ``AsyncSession`` is built over a
sync ``Session``, so every query, fast path, error translation and listener is the
sync face's own code, run through the greenlet bridge (`ormshift.orm.bridge`). The
pool is SQLAlchemy's asyncio queue pool with the same options, serving waiting tasks in
arrival order (`ormshift.orm.aio.pool`); its statistics are the sync data source's.
Its connections wait for the server with one socket reader each
(`ormshift.orm.aio.waiting`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar, overload

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ormshift.dsn import sqlalchemy_url
from ormshift.orm.aio._generated import (
    AsyncEntityManager,
    AsyncRepository,
    AsyncSelectQueryBuilder,
    AsyncTreeRepository,
)
from ormshift.orm.aio.faces import around, entered
from ormshift.orm.aio.pool import FairAsyncQueuePool
from ormshift.orm.aio.waiting import KeptReaderConnection
from ormshift.orm.bridge import call
from ormshift.orm.datasource import (
    Configured,
    DataSource,
    PoolOptions,
    PoolStats,
    engine_options,
)
from ormshift.orm.errors import translated
from ormshift.orm.internals import ASYNC_CREATOR

if TYPE_CHECKING:
    from ormshift.orm.types import Params, Row

__all__ = ["AsyncDataSource"]

T = TypeVar("T")
R = TypeVar("R")


class _OnAsyncEngine(DataSource):
    """The sync data source over an asyncio engine's ``sync_engine``."""

    async_engine: AsyncEngine

    def _create_engine(self, url: str, pool: PoolOptions, echo: bool) -> Engine:
        options = engine_options(pool, echo, threads=False)
        options["poolclass"] = FairAsyncQueuePool  # waiting tasks served in arrival order
        # psycopg connections that keep their socket reader between waits
        options["connect_args"] = {
            **options["connect_args"],
            ASYNC_CREATOR: KeptReaderConnection.connect,
        }
        self.async_engine = create_async_engine(sqlalchemy_url(url), **options)
        return self.async_engine.sync_engine

    def pool_stats(self) -> PoolStats:
        stats = super().pool_stats()
        pool = self.engine.pool
        if isinstance(pool, FairAsyncQueuePool):
            return replace(stats, waiting=pool.waiting())
        return stats


class AsyncDataSource(Configured):
    """TypeORM's ``DataSource`` for asyncio: ``await ds.get_repository(Post).find(...)``."""

    def _open(
        self, url: str, pool: PoolOptions, echo: bool, subscribers: tuple[object, ...]
    ) -> None:
        self.sync = _OnAsyncEngine(url, pool=pool, echo=echo, subscribers=subscribers)
        self.engine: AsyncEngine = self.sync.async_engine
        self.options = self.sync.options
        self.url = self.sync.url
        self.subscribers = self.sync.subscribers
        self.manager = AsyncEntityManager(self.sync.manager)

    async def initialize(self) -> AsyncDataSource:
        """TypeORM's ``initialize``: connects once (failing here, with the typed error,
        when the database cannot be reached) and returns the data source."""

        def ping() -> None:
            with translated(), self.sync.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        await call(ping)
        return self

    async def destroy(self) -> None:
        """Close every pooled connection (TypeORM's ``destroy``)."""
        await self.engine.dispose()

    async def __aenter__(self) -> AsyncDataSource:
        return await self.initialize()

    async def __aexit__(self, *_: object) -> None:
        await self.destroy()

    def get_repository(self, entity: type[T]) -> AsyncRepository[T]:
        """The repository of ``entity`` (one per entity, as on the sync face)."""
        return self.manager.get_repository(entity)

    def get_tree_repository(self, entity: type[T]) -> AsyncTreeRepository[T]:
        """TypeORM's ``getTreeRepository`` (one per entity, as on the sync face)."""
        return self.manager.get_tree_repository(entity)

    @overload
    def transaction(
        self, work: None = None, *, isolation: str | None = None
    ) -> AbstractAsyncContextManager[AsyncEntityManager]: ...
    @overload
    def transaction(
        self, work: Callable[[AsyncEntityManager], Awaitable[R]], *, isolation: str | None = None
    ) -> Awaitable[R]: ...
    def transaction(
        self,
        work: Callable[[AsyncEntityManager], Awaitable[R]] | None = None,
        *,
        isolation: str | None = None,
    ) -> AbstractAsyncContextManager[AsyncEntityManager] | Awaitable[R]:
        """``async with ds.transaction() as m:`` or ``await ds.transaction(fn)``, ``fn`` a
        coroutine function of the manager; inside, ``m.transaction()`` is a savepoint.
        The block commits when it ends and rolls back when it raises or is cancelled."""
        block = entered(self.sync.transaction(isolation=isolation))
        if work is None:
            return block
        return around(block, work)

    async def query(self, sql: str, params: Params | None = None) -> list[Row]:
        return await self.manager.query(sql, params)

    @overload
    def create_query_builder(self, entity: type[T], alias: str) -> AsyncSelectQueryBuilder[T]: ...
    @overload
    def create_query_builder(
        self, entity: None = None, alias: None = None
    ) -> AsyncSelectQueryBuilder[object]: ...
    def create_query_builder(
        self, entity: type[object] | None = None, alias: str | None = None
    ) -> object:
        manager: Any = self.manager
        return manager.create_query_builder(entity, alias)

    def pool_stats(self) -> PoolStats:
        return self.sync.pool_stats()
