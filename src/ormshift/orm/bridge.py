"""The one place where ormshift touches SQLAlchemy's greenlet bridge.

The async face runs the sync implementation as SQLAlchemy's own ``AsyncSession`` does:
each call is a sync function run in a greenlet (``greenlet_spawn``), and every time
the driver (psycopg's ``AsyncConnection`` behind the asyncio engine's adapted DBAPI)
has to wait, the greenlet hands the driver's coroutine to the event loop
(``await_``) and is resumed with its result. What this relies on, from
``sqlalchemy.util`` (public there, though documented only with the asyncio
extension):

- ``greenlet_spawn(fn)`` runs ``fn`` to its end, awaiting what it hands over, and
  throws an exception raised by such an await (``CancelledError`` too) into ``fn`` at
  the point it waited, so that ``fn``'s own ``with``/``finally`` blocks unwind it;
- ``await_(awaitable)`` works in any greenlet that ``greenlet_spawn`` started and
  raises ``MissingGreenlet`` anywhere else; ``in_greenlet()`` tells which.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.util import await_, greenlet_spawn
from sqlalchemy.util.concurrency import in_greenlet

from ormshift.orm.errors import OrmError

__all__ = ["call", "settled"]

R = TypeVar("R")


async def call(fn: Callable[[], R]) -> R:
    """``fn()`` (sync ormshift code) run on the event loop through the greenlet bridge."""
    return await greenlet_spawn(fn)


def settled(value: object) -> object:
    """A listener's or subscriber's result: a coroutine (an ``async def`` listener) is
    awaited when the async face runs it; on the sync face it is refused."""
    if not inspect.isawaitable(value):
        return value
    if in_greenlet():
        return await_(value)
    if inspect.iscoroutine(value):
        value.close()  # never awaited: no "was never awaited" warning on top of the error
    raise OrmError(
        "a listener returned a coroutine on the sync face: make it a plain function, "
        "or run it through ormshift.orm.aio.AsyncDataSource"
    )
