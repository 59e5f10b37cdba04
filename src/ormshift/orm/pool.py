"""A connection pool that serves waiting threads in the order they asked.

SQLAlchemy's ``QueuePool`` keeps idle connections in a queue guarded by one condition:
a returned connection is put back and *one* waiter is woken, but the waiter still has
to win the lock again, and any thread that asks in the meantime (most often the very
thread that just returned it, which still runs while the woken one waits for the GIL
and a core) takes the connection first. The woken waiter finds the queue empty and
waits again, at the back of the condition's line. On a busy machine one thread can be
passed over this way until its ``pool_timeout`` runs out while the pool is never idle.

`FairQueue` hands a returned connection straight to the longest waiting thread, so a
thread that asks while others wait queues behind them: connections are handed out in
arrival order. Which idle connection is taken (``use_lifo``) is unchanged.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Generic, TypeVar

from sqlalchemy.pool import QueuePool

from ormshift.orm.internals import Empty, Full, QueueCommon, pool_queue, use_queue_class

__all__ = ["FairQueue", "FairQueuePool"]

T = TypeVar("T")


class _Waiter(Generic[T]):
    __slots__ = ("item", "served", "wake")

    def __init__(self, lock: threading.RLock) -> None:
        self.wake = threading.Condition(lock)
        self.served = False
        self.item: T | None = None


class FairQueue(QueueCommon[T]):
    """The pool's queue of idle connections, with a first-come first-served line of
    threads waiting for one (the interface of SQLAlchemy's ``Queue``)."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        self.maxsize = maxsize
        self.use_lifo = use_lifo
        # reentrant, as SQLAlchemy's: a connection's weakref callback may return it to
        # the pool while this thread is inside get()
        self.mutex = threading.RLock()
        self._room = threading.Condition(self.mutex)
        self._items: deque[T] = deque()
        self._line: deque[_Waiter[T]] = deque()

    def qsize(self) -> int:
        with self.mutex:
            return len(self._items)

    def empty(self) -> bool:
        with self.mutex:
            return not self._items

    def full(self) -> bool:
        with self.mutex:
            return 0 < self.maxsize <= len(self._items)

    def waiting(self) -> int:
        """Threads waiting for a connection now."""
        with self.mutex:
            return len(self._line)

    def put_nowait(self, item: T) -> None:
        self.put(item, False)

    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:
        with self.mutex:
            if self._line:  # no idle connection while anyone waits: hand it over
                waiter = self._line.popleft()
                waiter.item, waiter.served = item, True
                waiter.wake.notify()
                return
            deadline = None if timeout is None else time.monotonic() + timeout
            while 0 < self.maxsize <= len(self._items):
                left = None if deadline is None else deadline - time.monotonic()
                if not block or (left is not None and left <= 0):
                    raise Full
                self._room.wait(left)
            self._items.append(item)

    def get_nowait(self) -> T:
        return self.get(False)

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        with self.mutex:
            if self._items:
                item = self._items.pop() if self.use_lifo else self._items.popleft()
                self._room.notify()
                return item
            if not block:
                raise Empty
            if timeout is not None and timeout < 0:
                raise ValueError("'timeout' must be a positive number")
            waiter: _Waiter[T] = _Waiter(self.mutex)
            self._line.append(waiter)
            deadline = None if timeout is None else time.monotonic() + timeout
            while not waiter.served:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    self._line.remove(waiter)
                    raise Empty
                waiter.wake.wait(left)
            return waiter.item  # type: ignore[return-value]


class FairQueuePool(QueuePool):
    """``QueuePool`` whose waiting threads are served in arrival order (`FairQueue`)."""

    def waiting(self) -> int:
        """Threads waiting for a connection now."""
        return int(pool_queue(self).waiting())


use_queue_class(FairQueuePool, FairQueue)
