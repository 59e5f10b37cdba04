"""What the generated wrappers stand on, written once by hand: the sync object each
wraps, the repositories a manager hands out, and transactions as ``async with``.

A transaction on the async face is the sync face's context manager, entered and left
through the greenlet bridge; the block between runs on the event loop, each awaited
call in a greenlet of its own on the transaction's session. A task cancelled inside
the block leaves it with ``CancelledError``, which rolls the transaction back as any
other error does.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from functools import cache, partial
from itertools import islice
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ormshift.orm.bridge import call

if TYPE_CHECKING:
    from ormshift.orm.aio._generated import (
        AsyncEntityManager,
        AsyncRepository,
        AsyncTreeRepository,
    )
    from ormshift.orm.manager import EntityManager
    from ormshift.orm.querybuilder import SelectQueryBuilder
    from ormshift.orm.querybuilder.relation import RelationQueryBuilder
    from ormshift.orm.repository import Repository

__all__ = [
    "EntityManagerFace",
    "RelationQueryBuilderFace",
    "RepositoryFace",
    "SelectQueryBuilderFace",
    "around",
    "entered",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
R = TypeVar("R")


@asynccontextmanager
async def entered(
    transaction: AbstractContextManager[EntityManager],
) -> AsyncIterator[AsyncEntityManager]:
    """A sync transaction (or savepoint) context manager as an async one."""
    from ormshift.orm.aio._generated import AsyncEntityManager  # noqa: PLC0415 - cycle

    manager = await call(transaction.__enter__)
    try:
        yield AsyncEntityManager(manager)
    except BaseException as exc:
        if not await call(partial(transaction.__exit__, type(exc), exc, exc.__traceback__)):
            raise
    else:
        await call(lambda: transaction.__exit__(None, None, None))


async def around(
    block: AbstractAsyncContextManager[AsyncEntityManager],
    work: Callable[[AsyncEntityManager], Awaitable[R]],
) -> R:
    """TypeORM's ``transaction(fn)``: ``fn``'s result, awaited inside ``block``."""
    async with block as manager:
        return await work(manager)


class EntityManagerFace:
    """An `EntityManager` (the data source's, or a transaction's) on the async face."""

    def __init__(self, sync: EntityManager) -> None:
        self._sync = sync
        #: the same object, for the generated overloaded methods (their implementation's
        #: union of arguments fits no single overload of the sync method)
        self._sync_any: Any = sync
        self._repositories: dict[type[Any], AsyncRepository[Any]] = {}
        self._tree_repositories: dict[type[Any], AsyncTreeRepository[Any]] = {}

    @property
    def sync(self) -> EntityManager:
        """The sync manager this one runs (in a transaction: on its session)."""
        return self._sync

    @property
    def in_transaction(self) -> bool:
        return self._sync.in_transaction

    @property
    def subscribers(self) -> tuple[object, ...]:
        return self._sync.subscribers

    def _face(self, result: object) -> Any:
        return _face(self, result)

    def get_repository(self, entity: type[T]) -> AsyncRepository[T]:
        """The repository of ``entity`` working through this manager."""
        found = self._repositories.get(entity)
        if found is None:
            from ormshift.orm.aio._generated import AsyncRepository  # noqa: PLC0415 - cycle

            manager: Any = self
            found = AsyncRepository(self._sync.get_repository(entity), manager)
            self._repositories[entity] = found
        return found

    def get_tree_repository(self, entity: type[T]) -> AsyncTreeRepository[T]:
        """TypeORM's ``getTreeRepository``, working through this manager."""
        found = self._tree_repositories.get(entity)
        if found is None:
            from ormshift.orm.aio._generated import AsyncTreeRepository  # noqa: PLC0415 - cycle

            manager: Any = self
            found = AsyncTreeRepository(self._sync.get_tree_repository(entity), manager)
            self._tree_repositories[entity] = found
        return found

    @overload
    def transaction(self, work: None = None) -> AbstractAsyncContextManager[AsyncEntityManager]: ...
    @overload
    def transaction(self, work: Callable[[AsyncEntityManager], Awaitable[R]]) -> Awaitable[R]: ...
    def transaction(
        self, work: Callable[[AsyncEntityManager], Awaitable[R]] | None = None
    ) -> AbstractAsyncContextManager[AsyncEntityManager] | Awaitable[R]:
        """Inside a transaction: a savepoint, ``async with m.transaction() as m2:`` or
        ``await m.transaction(fn)`` (``fn`` a coroutine function of the manager)."""
        savepoint = entered(self._sync.transaction())
        if work is None:
            return savepoint
        return around(savepoint, work)


class RepositoryFace(Generic[T]):
    """A `Repository` on the async face, working through an `AsyncEntityManager`."""

    def __init__(self, sync: Repository[T], manager: AsyncEntityManager) -> None:
        self._sync = sync
        self._sync_any: Any = sync
        self.target = sync.target
        self.manager = manager

    def __repr__(self) -> str:
        return f"AsyncRepository[{self.target.__name__}]"

    @property
    def sync(self) -> Repository[T]:
        return self._sync

    def _face(self, result: object) -> Any:
        return _face(self, result)


class SelectQueryBuilderFace(Generic[T_co]):
    """A `SelectQueryBuilder` whose terminals (``get_many`` ...) are awaited."""

    def __init__(self, sync: SelectQueryBuilder[T_co]) -> None:
        self._sync = sync
        self._sync_any: Any = sync

    @property
    def sync(self) -> SelectQueryBuilder[T_co]:
        """The sync builder (what a condition function or a subquery is given)."""
        return self._sync

    async def stream(self, batch: int = 1000) -> AsyncGenerator[dict[str, Any]]:
        """TypeORM's ``stream()``: the raw rows one by one (``async for``), read from a
        server-side cursor ``batch`` rows at a time, each batch fetched through the
        greenlet bridge; the connection is held until the iteration ends or the
        iterator is closed (``aclose``, or leaving an ``async for`` early)."""
        rows = self._sync.stream(batch)
        try:
            while chunk := await call(partial(_take, rows, batch)):
                for row in chunk:
                    yield row
        finally:
            await call(rows.close)

    def _face(self, result: object) -> Any:
        return _face(self, result)


def _take(rows: Iterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Up to ``n`` rows of ``rows``."""
    return list(islice(rows, n))


class RelationQueryBuilderFace:
    """A `RelationQueryBuilder` whose writes and loads are awaited."""

    def __init__(self, sync: RelationQueryBuilder) -> None:
        self._sync = sync
        self._sync_any: Any = sync

    @property
    def sync(self) -> RelationQueryBuilder:
        return self._sync

    def _face(self, result: object) -> Any:
        return _face(self, result)


@cache
def _wrappers() -> dict[type[Any], type[Any]]:
    """Each sync builder class -> its generated wrapper (`_generated.WRAPPED`)."""
    from ormshift.orm.aio._generated import WRAPPED  # noqa: PLC0415 - cycle

    return {
        getattr(importlib.import_module(module), name): wrapper
        for (module, name), wrapper in WRAPPED.items()
    }


def _face(owner: object, result: object) -> Any:
    """A sync object a wrapped method returned, on the async face: the owner itself for
    its own sync object (TypeORM's chained builder calls return the builder), a builder
    in the wrapper of its class (or of its nearest wrapped base)."""
    if result is getattr(owner, "_sync", None):
        return owner
    table = _wrappers()
    for cls in type(result).__mro__:
        wrapper = table.get(cls)
        if wrapper is not None:
            return wrapper(result)
    return result
