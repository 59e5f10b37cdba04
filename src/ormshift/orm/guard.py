"""Whether the ORM's fast paths must step aside: one guard for reads and writes.

`ormshift.orm.plain_find` (plain finds) and `ormshift.orm.write_cache` (cached write
statements) skip parts of SQLAlchemy's per-statement work. They may only do so when
nobody could tell: no echo or INFO logging of statements, no listener of statement,
transaction or dialect execution events, and no ``schema_translate_map`` (which
rewrites each statement's table names at execution). Any of these sends both paths
through SQLAlchemy, so that reads and writes always see the same thing. A find also
steps aside for listeners of the sessions it would otherwise make (`session_watched`).

The two private SQLAlchemy reads the checks need (whether an engine or a connection
logs its statements) come from `ormshift.orm.internals`, with every other one; the
guard tests (tests/integration/test_orm_fast_path_guard.py) fail if either stops
meaning that.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ormshift.orm.internals import (
    connection_echoes,
    engine_logs_statements,
    has_events,
    mapped_count,
)

__all__ = [
    "connection_watched",
    "engine_watched",
    "hooks_apply",
    "session_watched",
    "tree_applies",
]

#: statement and transaction events of connections (``begin``/``rollback``: the generic
#: find's session begins and ends a transaction on its connection, which they would see)
_CONNECTION_EVENTS = (
    "before_execute",
    "after_execute",
    "before_cursor_execute",
    "after_cursor_execute",
    "begin",
    "commit",
    "rollback",
)
_DIALECT_EVENTS = ("handle_error", "do_execute", "do_setinputsizes")
#: what the generic find's session (begun, run, closed) would tell its listeners
_SESSION_EVENTS = (
    "do_orm_execute",
    "after_transaction_create",
    "after_transaction_end",
    "after_begin",
    "before_commit",
    "after_commit",
    "after_rollback",
    "after_soft_rollback",
    "loaded_as_persistent",
    "persistent_to_detached",
)


def _hooked(dispatch: Any, events: bool, dialect: Any, options: Any) -> bool:
    """``events``: whether SQLAlchemy would dispatch connection events at all (its own
    flag, `internals.has_events`); without it no listener of ``dispatch`` is called, and
    the same holds for the dialect's, so the listener collections are only looked at
    once a listener of some event of theirs exists."""
    return bool(
        (events and any(getattr(dispatch, name) for name in _CONNECTION_EVENTS))
        or (
            has_events(dialect) and any(getattr(dialect.dispatch, name) for name in _DIALECT_EVENTS)
        )
        or "schema_translate_map" in options
    )


def engine_watched(engine: Engine) -> bool:
    """Someone could tell a statement on a new connection of ``engine`` (a connection's
    own listeners can only be added once it exists: the engine's say it all)."""
    return engine_logs_statements(engine) or _hooked(
        engine.dispatch, has_events(engine), engine.dialect, engine.get_execution_options()
    )


def connection_watched(connection: Connection) -> bool:
    """Someone could tell a statement on ``connection`` (its own listeners and options,
    which include its engine's)."""
    if connection_echoes(connection):
        return True
    engine = connection.engine
    own = has_events(connection)
    # a connection's dispatch is its own listeners (and its class's) joined to its
    # engine's; without any of its own (SQLAlchemy's flag) the engine's say it all, and
    # the engine's dispatch is not made anew with every connection
    return _hooked(
        connection.dispatch if own else engine.dispatch,
        own or has_events(engine),
        connection.dialect,
        connection.get_execution_options(),
    )


def session_watched(probe: Session) -> bool:
    """Someone listens to the sessions made like ``probe`` (its class or sessionmaker)."""
    dispatch = probe.dispatch
    return any(getattr(dispatch, name, None) for name in _SESSION_EVENTS)


#: registry -> (mapper count when decided, whether any class of it has hooks)
_HOOKED: dict[int, tuple[int, bool]] = {}


def hooks_apply(info: Any, subscribers: tuple[Any, ...]) -> bool:
    """Entity listeners, subscribers or value transformers could see this operation:
    the fast paths (`plain_find`, `simple_save`) step aside, the generic paths call
    `ormshift.orm.hooks`. Any class of the model's registry counts, since a find or a
    save can reach every class its relations reach."""
    if subscribers:
        return True
    registry = info.mapper.registry
    known = _HOOKED.get(id(registry))
    if known is not None and known[0] == mapped_count(registry):
        return known[1]
    from ormshift.orm.listeners import listeners_of  # noqa: PLC0415 - light, no cycle
    from ormshift.orm.transformers import has_transformers  # noqa: PLC0415

    mappers = list(registry.mappers)
    found = any(listeners_of(m.class_) or has_transformers(m.class_) for m in mappers)
    _HOOKED[id(registry)] = (len(mappers), found)
    return found


def tree_applies(info: Any) -> bool:
    """A TypeORM tree entity (`ormshift.orm.trees`): its writes keep the tree's rows,
    which only the generic save's flush does, so `simple_save` steps aside."""
    from ormshift.orm.trees import tree_of  # noqa: PLC0415 - light, no cycle

    return tree_of(info) is not None
