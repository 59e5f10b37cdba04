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

`call` does what ``greenlet_spawn`` does, with one difference: its greenlets are kept
and reused (``greenlet_spawn`` makes one per call). On Python 3.11+ a new greenlet's
first frame gets a fresh data-stack chunk, an ``mmap`` and ``munmap`` per call (about
10 µs of system time here, plus its page faults), and the asyncio face makes one call
per awaited method: seven for a transaction of five writes. A reused greenlet is
marked as SQLAlchemy marks its own (`internals.GREENLET_PROVIDER`), so ``await_`` and
``in_greenlet`` treat it alike.
"""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from greenlet import getcurrent, greenlet
from sqlalchemy.util import await_
from sqlalchemy.util.concurrency import in_greenlet

from ormshift.orm.errors import OrmError
from ormshift.orm.internals import GREENLET_PROVIDER

__all__ = ["call", "settled"]

R = TypeVar("R")


#: idle greenlets kept per thread (an event loop's calls never outnumber its tasks)
KEEP = 64
_FINISHED = object()


class _Worker(greenlet):  # type: ignore[misc]  # (greenlet has no type stubs)
    """A greenlet that runs one sync function after another, each started by `call`:
    it hands back an awaitable for every ``await_`` and `_FINISHED` at the end (the
    outcome in ``value`` / ``error``, which `call` takes and clears)."""

    def __init__(self) -> None:
        super().__init__(self._serve)
        self.value: object = None
        self.error: BaseException | None = None

    def _serve(self, fn: Callable[[], object] | None) -> None:
        while fn is not None:
            try:
                self.value = fn()
            except BaseException as exc:  # the caller's to raise
                self.error = exc
            # hold nothing of this call while idle
            fn = None
            fn = self.parent.switch(_FINISHED)


setattr(_Worker, GREENLET_PROVIDER, True)  # what await_ looks for
_idle = threading.local()


async def call(fn: Callable[[], R]) -> R:
    """``fn()`` (sync ormshift code) run on the event loop through the greenlet bridge."""
    idle: list[_Worker] = _idle.__dict__.setdefault("workers", [])
    worker = idle.pop() if idle else _Worker()
    driver = getcurrent()
    worker.parent = driver
    worker.gr_context = driver.gr_context  # the task's context variables
    result: Any = worker.switch(fn)
    while result is not _FINISHED:
        try:
            value = await cast("Awaitable[object]", result)
        except BaseException:  # thrown into fn where it waited; its blocks unwind it
            result = worker.throw(*sys.exc_info())
        else:
            result = worker.switch(value)
    value, error = worker.value, worker.error
    worker.value = worker.error = worker.gr_context = None  # keep nothing of the task
    if len(idle) < KEEP:
        idle.append(worker)
    if error is not None:
        try:
            raise error
        finally:
            del error
    return cast("R", value)


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
