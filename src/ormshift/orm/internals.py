"""Every read or write of SQLAlchemy's (and psycopg's) private internals in ormshift.

ormshift uses SQLAlchemy's and psycopg's public API everywhere but here. The fast paths
(`ormshift.orm.plain_find`, `ormshift.orm.write_cache`), their guard
(`ormshift.orm.guard`), the fair pools (`ormshift.orm.pool`, `ormshift.orm.aio.pool`)
and the asyncio bridge's reused greenlets (`ormshift.orm.bridge`) need a few things
SQLAlchemy keeps private; each is one small function below, with what it relies on.
The SQLAlchemy range pyproject.toml admits is the range these were read against
(2.1.x); the tests that fail if one stops meaning what it says are named beside it.
The asyncio engine's connections (`ormshift.orm.aio.waiting`) rely on psycopg 3.3's
waiting protocol, read against 3.3.9 (``wait_contract`` below).
"""

from __future__ import annotations

from typing import Any, TypeAlias

from psycopg import errors as psycopg_errors
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.orm.strategy_options import _AbstractLoad
from sqlalchemy.pool import Pool, QueuePool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util.queue import Empty, Full, QueueCommon

__all__ = [
    "ASYNC_CREATOR",
    "GREENLET_PROVIDER",
    "AbstractLoad",
    "Empty",
    "Full",
    "QueueCommon",
    "adopt_loaded",
    "bind_processors",
    "cancel_running_query",
    "connection_echoes",
    "detach_loaded",
    "engine_logs_statements",
    "has_events",
    "invalidate_pooled",
    "mapped_count",
    "path_registry",
    "pool_queue",
    "psycopg_wait_timeout",
    "result_columns",
    "use_queue_class",
]

#: the type of what ``joinedload()`` / ``selectinload()`` / ``load_only()`` return and
#: chain on (``Load`` and the wildcard form share it); public functions return it
AbstractLoad: TypeAlias = _AbstractLoad


def engine_logs_statements(engine: Engine) -> bool:
    """``Engine._should_log_info()``: the engine echoes, or the ``sqlalchemy.engine``
    logger is at INFO (tests/integration/test_orm_fast_path_guard.py)."""
    return bool(engine._should_log_info())


def connection_echoes(connection: Connection) -> bool:
    """``Connection._echo``: the same, decided when the connection was made
    (tests/integration/test_orm_fast_path_guard.py)."""
    return bool(connection._echo)


def has_events(target: Connection | Engine | Any) -> bool:
    """``_has_events`` of a connection, an engine or a dialect: SQLAlchemy's own gate,
    set once a listener of any of its connection (or dialect) events is added to it or
    its class; while it is unset SQLAlchemy dispatches none of them
    (tests/integration/test_orm_fast_path_guard.py)."""
    return bool(target._has_events)


def result_columns(compiled: SQLCompiler) -> list[tuple[str, str, tuple[Any, ...], Any]]:
    """``SQLCompiler._result_columns``: per result column, in order, (key name, name,
    the objects it renders, its type) — how SQLAlchemy's own result maps columns to
    attributes (tests/integration/test_orm_plain_find.py compares its entities with the ORM's)."""
    return list(compiled._result_columns)


def bind_processors(compiled: SQLCompiler) -> dict[str, Any]:
    """``SQLCompiler._bind_processors``: bind name -> the type's processor (a tuple for
    the items of a tuple bind); a name absent needs no processing."""
    return dict(compiled._bind_processors)


def mapped_count(registry: Any) -> int:
    """How many classes ``registry`` maps (``registry._managers``, one per class), read
    without building ``registry.mappers`` (a new frozenset on every call)."""
    return len(registry._managers)


def path_registry(mapper: Mapper[Any]) -> Any:
    """``Mapper._path_registry``: the root load path the ORM stamps on loaded states."""
    return mapper._path_registry


def adopt_loaded(state: InstanceState[Any], identity_key: Any, load_path: Any) -> None:
    """Make ``state`` what ``Query`` loading makes of a fresh row: persistent-to-be with
    ``identity_key`` (``state.key``, no identity token) loaded along ``load_path``. The
    caller fills its ``__dict__`` and adds it to a session's identity map."""
    state.key = identity_key
    state.identity_token = None
    state.load_path = load_path


def detach_loaded(state: InstanceState[Any], identity_key: Any, expired: set[str]) -> None:
    """Make ``state`` what ``make_transient_to_detached`` makes of a new instance whose
    ``__dict__`` the caller filled with loaded values (nothing committed, modified,
    expired or pending before; nobody listening to ``expire`` events): ``state.key`` the
    identity, and ``expired`` (its column attributes not loaded) expired. Query-builder
    entities (tests/unit/test_orm_querybuilder.py compares the two states)."""
    state.key = identity_key
    state.expired_attributes.update(expired)


def invalidate_pooled(connection: Connection, exc: BaseException) -> None:
    """``Pool._invalidate``: what SQLAlchemy does on a disconnect error — the connection
    leaves the pool and those checked out before it are replaced at next checkout."""
    connection.engine.pool._invalidate(connection.connection, exc)


def use_queue_class(pool_class: type[QueuePool], queue_class: type[QueueCommon[Any]]) -> None:
    """Make ``pool_class`` keep its idle connections in ``queue_class``
    (``QueuePool._queue_class``, the one hook SQLAlchemy has for it;
    tests/unit/test_orm_pool.py checks the queue is used)."""
    setattr(pool_class, "_queue_class", queue_class)  # noqa: B010 (private on purpose)


#: the class attribute by which SQLAlchemy's ``await_`` (and ``in_greenlet``) know a
#: greenlet they may switch out of to the event loop: a greenlet of ``greenlet_spawn``
#: has it (``sqlalchemy.util.concurrency._AsyncIoGreenlet``), and so does the bridge's
#: reusable one (tests/unit/test_orm_bridge.py fails if ``await_`` stops honouring it)
GREENLET_PROVIDER = "__sqlalchemy_greenlet_provider__"


def pool_queue(pool: Pool) -> Any:
    """The queue of idle connections of a ``QueuePool`` (``QueuePool._pool``)."""
    return pool._pool  # type: ignore[attr-defined]


#: the keyword of SQLAlchemy's psycopg async DBAPI adapter (``PsycopgAdaptDBAPI.connect``,
#: the one ``create_async_engine(async_creator=...)`` uses) naming the coroutine function
#: that opens the driver connection; given in ``connect_args`` it opens
#: `ormshift.orm.aio.waiting.KeptReaderConnection` with the URL's own arguments
#: (tests/integration/test_orm_aio_waiting.py checks the engine's connections are of it)
ASYNC_CREATOR = "async_creator_fn"

# psycopg's waiting protocol, what `ormshift.orm.aio.waiting` relies on: every operation
# of an ``AsyncConnection`` that may block (execute, fetch, commit, rollback, COPY,
# notifies) is a generator consumed by the connection's own ``wait(gen, interval,
# timeout)`` (``connection.wait`` in ``cursor_async``, ``_copy_async``); the generator
# yields a ``psycopg.waiting.Wait`` (R, W or RW on ``pgconn.socket``, which it does not
# change) and is sent the ``Ready`` bits found, 0 meaning none; only that ``wait``
# waits on the socket of a connection open for queries (connecting and cancelling use
# sockets of their own). (tests/integration/test_orm_aio_waiting.py)


def cancel_running_query(connection: Any) -> Any:
    """``AsyncConnection._try_cancel``: what psycopg's ``wait`` awaits when interrupted
    while a query runs (``cancel_safe`` with a 5 s timeout, a failure logged)."""
    return connection._try_cancel(timeout=5.0)


def psycopg_wait_timeout() -> type[Exception]:
    """``psycopg.errors._WaitTimeout``: what ``waiting.wait_async`` raises at its timeout."""
    return psycopg_errors._WaitTimeout
