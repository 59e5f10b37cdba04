"""`DataSource`: one SQLAlchemy engine and session factory, shared by every thread.

Each repository call outside a transaction takes a connection from the pool for that
call only and gives it back before returning; `DataSource.transaction` holds one for
the block. Pool statistics keep counters (``*_total``) apart from gauges.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack, overload

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from ormshift.dsn import redact, sqlalchemy_url
from ormshift.errors import ConnectionFailed
from ormshift.orm.errors import PoolTimeout, QueryFailed, TransactionNotStarted, translated
from ormshift.orm.hooks import transaction_event
from ormshift.orm.intervals import keep_interval_text
from ormshift.orm.manager import EntityManager, aborted
from ormshift.orm.pool import FairQueuePool
from ormshift.orm.repository import Repository

if TYPE_CHECKING:
    from ormshift.orm.trees.repository import TreeRepository
    from ormshift.orm.types import Params, Row

__all__ = ["DataSource", "PoolOptions", "PoolStats"]

T = TypeVar("T")
R = TypeVar("R")

ISOLATION_LEVELS = {
    "READ UNCOMMITTED": "READ UNCOMMITTED",
    "READ COMMITTED": "READ COMMITTED",
    "REPEATABLE READ": "REPEATABLE READ",
    "SERIALIZABLE": "SERIALIZABLE",
}


@dataclass(frozen=True)
class PoolOptions:
    """Connection pool settings; ``statement_timeout`` in seconds (None: the server's)."""

    size: int = 10
    overflow: int = 10
    timeout: float = 30.0
    recycle: float = -1
    pre_ping: bool = False
    statement_timeout: float | None = None


class PoolKeywords(TypedDict, total=False):
    """`PoolOptions`' fields as keyword arguments of `DataSource`."""

    size: int
    overflow: int
    timeout: float
    recycle: float
    pre_ping: bool
    statement_timeout: float | None


@dataclass(frozen=True)
class PoolStats:
    """Gauges (size, checked_out, checked_in, overflow, waiting) and counters since start."""

    size: int
    checked_out: int
    checked_in: int
    overflow: int
    connections_total: int
    checkouts_total: int
    checkins_total: int
    timeouts_total: int
    wait_seconds_total: float
    #: threads waiting for a connection now (served in arrival order)
    waiting: int = 0


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.checkouts = 0
        self.checkins = 0
        self.timeouts = 0
        self.wait = 0.0


def engine_options(pool: PoolOptions, echo: bool, *, threads: bool = True) -> dict[str, Any]:
    """`create_engine`'s keywords for ``pool`` (``threads``: the thread pool that serves
    waiting threads in arrival order, else SQLAlchemy's default for the engine)."""
    connect_args: dict[str, Any] = {}
    if pool.statement_timeout is not None:
        ms = int(pool.statement_timeout * 1000)
        connect_args["options"] = f"-c statement_timeout={ms}"
    options: dict[str, Any] = {
        "pool_size": pool.size,
        "max_overflow": pool.overflow,
        "pool_timeout": pool.timeout,
        "pool_recycle": pool.recycle,
        "pool_pre_ping": pool.pre_ping,
        "connect_args": connect_args,
        "echo": echo,
        # single statements run in autocommit, as TypeORM runs them: no BEGIN
        # and COMMIT round trips; transactions switch the level at checkout
        "isolation_level": "AUTOCOMMIT",
    }
    if threads:
        # waiting threads get connections in arrival order (see `pool`)
        options["poolclass"] = FairQueuePool
    return options


class Configured:
    """What `DataSource` and `ormshift.orm.aio.AsyncDataSource` are given: a URL, the
    pool's options (a `PoolOptions`, or its fields as keywords), echo and subscribers."""

    def __init__(
        self,
        url: str,
        *,
        pool: PoolOptions | None = None,
        echo: bool = False,
        subscribers: Sequence[object] = (),
        **pool_kwargs: Unpack[PoolKeywords],
    ) -> None:
        if pool is None:
            pool = PoolOptions(**pool_kwargs)
        elif pool_kwargs:
            raise TypeError("pass either pool= or pool keyword arguments, not both")
        self._open(url, pool, echo, tuple(subscribers))

    def _open(
        self, url: str, pool: PoolOptions, echo: bool, subscribers: tuple[object, ...]
    ) -> None:
        raise NotImplementedError


class DataSource(Configured):
    """TypeORM's ``DataSource`` over SQLAlchemy: repositories, a manager, transactions."""

    def _open(
        self, url: str, pool: PoolOptions, echo: bool, subscribers: tuple[object, ...]
    ) -> None:
        self.options = pool
        self.url = redact(url)
        try:
            self.engine: Engine = self._create_engine(url, pool, echo)
        except Exception as exc:
            raise ConnectionFailed(f"{redact(url)} is not a usable database URL: {exc}") from exc
        self._sessions = sessionmaker(
            self.engine.execution_options(isolation_level="READ COMMITTED"),
            expire_on_commit=False,
            autoflush=False,
        )
        self._counters = _Counters()
        self._listen()
        self._autocommit = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        #: TypeORM's ``subscribers`` (`ormshift.orm.listeners.EntitySubscriber`), in order
        self.subscribers = subscribers
        self.manager = EntityManager(
            self._sessions,
            on_pool_timeout=self._count_timeout,
            autocommit=self._autocommit,
            subscribers=self.subscribers,
        )
        #: TypeORM's ``dataSource.createQueryBuilder(Entity, "alias")`` (or empty, for
        #: ``select(...).from_(Entity, "alias")``): the manager's, outside a transaction
        self.create_query_builder = self.manager.create_query_builder
        self._repositories: dict[type[Any], Repository[Any]] = {}
        self._lock = threading.Lock()

    def _create_engine(self, url: str, pool: PoolOptions, echo: bool) -> Engine:
        """The engine every call runs on; `ormshift.orm.aio` gives the asyncio engine's."""
        return create_engine(sqlalchemy_url(url), **engine_options(pool, echo))

    def _listen(self) -> None:
        counters = self._counters

        def on_connect(dbapi_connection: Any, *_: Any) -> None:
            keep_interval_text(dbapi_connection)
            with counters.lock:
                counters.connections += 1

        def on_checkout(*_: Any) -> None:
            with counters.lock:
                counters.checkouts += 1

        def on_checkin(*_: Any) -> None:
            with counters.lock:
                counters.checkins += 1

        event.listen(self.engine, "connect", on_connect)
        event.listen(self.engine, "checkout", on_checkout)
        event.listen(self.engine, "checkin", on_checkin)

    def get_tree_repository(self, entity: type[T]) -> TreeRepository[T]:
        """TypeORM's ``getTreeRepository`` (`ormshift.orm.trees.repository`)."""
        return self.manager.get_tree_repository(entity)

    def get_repository(self, entity: type[T]) -> Repository[T]:
        """The repository of ``entity``; one per entity, created once, from any thread."""
        found = self._repositories.get(entity)
        if found is None:
            with self._lock:
                found = self._repositories.get(entity)
                if found is None:
                    found = Repository(entity, self.manager)
                    self._repositories[entity] = found
        return found

    @contextmanager
    def _transaction(self, isolation: str | None) -> Iterator[EntityManager]:
        session: Session = self._sessions()
        started = time.perf_counter()
        transaction_event(self.manager, "before_transaction_start")
        try:
            with translated():
                if isolation is not None:
                    level = ISOLATION_LEVELS.get(isolation.upper().replace("_", " "))
                    if level is None:
                        raise ValueError(
                            f"unknown isolation level {isolation!r}; "
                            f"use one of {', '.join(ISOLATION_LEVELS)}"
                        )
                    session.connection(execution_options={"isolation_level": level})
                else:
                    session.connection()
        except PoolTimeout:
            session.close()
            self._note_wait(started)
            self._count_timeout()
            raise
        except Exception:
            session.close()
            raise
        self._note_wait(started)
        manager = EntityManager(
            self._sessions, session, self._count_timeout, self._autocommit, self.subscribers
        )
        try:
            transaction_event(manager, "after_transaction_start")
            yield manager
            if manager.lost:
                # a nested transaction rolled this one back (`EntityManager._lose_transaction`)
                # or failed its start event: TypeORM's commit finds no transaction to end,
                # and its rollback neither; what is left open is rolled back, as the
                # pool does with a connection given back inside a transaction
                session.rollback()
                raise TransactionNotStarted(
                    "Transaction is not started yet, start transaction before committing "
                    "or rolling it back."
                )
            transaction_event(manager, "before_transaction_commit")
            if manager.left_open and aborted(session):
                # TypeORM's commit at the depth it believes in RELEASEs the savepoint
                # left open, which the aborted transaction refuses
                raise QueryFailed(
                    "current transaction is aborted, commands ignored until end of "
                    "transaction block",
                    sqlstate="25P02",
                )
            if manager.left_open:
                # ... and, the RELEASE going through, sends no COMMIT: its after-commit
                # event runs inside the transaction still open, and the connection goes
                # back to the pool inside it, where it is rolled back. Nothing of the
                # transaction is kept, and the call returns as if it had committed.
                transaction_event(manager, "after_transaction_commit")
                session.rollback()
                return
            if aborted(session):
                # PostgreSQL's COMMIT of an aborted transaction (a failure caught inside)
                # rolls it back without an error, as TypeORM's COMMIT does
                session.rollback()
            else:
                with translated():
                    session.commit()
        except BaseException:
            if not manager.lost:
                # TypeORM throws the original error even when its rollback throws (a
                # rollback event whose query fails in the aborted transaction):
                # EntityManager.transaction drops the rollback's error
                with suppress(Exception):
                    transaction_event(manager, "before_transaction_rollback")
                    session.rollback()
                    transaction_event(self.manager, "after_transaction_rollback")
            session.rollback()
            raise
        finally:
            session.close()
        transaction_event(self.manager, "after_transaction_commit")

    def _count_timeout(self) -> None:
        with self._counters.lock:
            self._counters.timeouts += 1

    def _note_wait(self, started: float) -> None:
        with self._counters.lock:
            self._counters.wait += time.perf_counter() - started

    @overload
    def transaction(
        self, work: None = None, *, isolation: str | None = None
    ) -> AbstractContextManager[EntityManager]: ...
    @overload
    def transaction(
        self, work: Callable[[EntityManager], R], *, isolation: str | None = None
    ) -> R: ...
    def transaction(
        self,
        work: Callable[[EntityManager], R] | None = None,
        *,
        isolation: str | None = None,
    ) -> AbstractContextManager[EntityManager] | R:
        """A transaction: ``with ds.transaction() as m:`` or ``ds.transaction(fn)``.

        Inside, ``m.transaction()`` opens a savepoint. The block commits when it ends
        and rolls back when it raises.
        """
        if work is None:
            return self._transaction(isolation)
        with self._transaction(isolation) as manager:
            return work(manager)

    def query(self, sql: str, params: Params | None = None) -> list[Row]:
        return self.manager.query(sql, params)

    def pool_stats(self) -> PoolStats:
        pool = self.engine.pool
        assert isinstance(pool, QueuePool)
        c = self._counters
        with c.lock:
            return PoolStats(
                size=pool.size(),
                checked_out=pool.checkedout(),
                checked_in=pool.checkedin(),
                overflow=max(pool.overflow(), 0),
                connections_total=c.connections,
                checkouts_total=c.checkouts,
                checkins_total=c.checkins,
                timeouts_total=c.timeouts,
                wait_seconds_total=c.wait,
                waiting=pool.waiting() if isinstance(pool, FairQueuePool) else 0,
            )

    def destroy(self) -> None:
        """Close every pooled connection (TypeORM's ``destroy``)."""
        self.engine.dispose()

    def __enter__(self) -> DataSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.destroy()
