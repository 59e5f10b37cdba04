"""The asyncio engine's psycopg connections, waiting for the server with one socket reader.

psycopg's ``AsyncConnection`` runs every operation as a generator that says when it
would block, and its ``wait`` resumes the generator when the socket is ready. For each
such wait (one per statement, two for a statement that opens a transaction) psycopg
registers the socket with the event loop, arms a 0.1 s timer, awaits a future, then
cancels the timer and unregisters the socket: two ``epoll_ctl`` calls and about fifteen
Python calls in ``asyncio`` and ``selectors`` (two of them raising and catching a
``KeyError`` with a formatted message) around every statement. On the benchmark's
statement (``benchmarks/orm/concurrency.py``) that is about 15 µs of the 35 µs of CPU
a prepared ``select`` costs on psycopg's async connection (14 µs on its sync one).

`KeptReaderConnection` waits the same way with the socket registered once: its reader
stays with the event loop between waits and resolves the future of the wait under way.
While a statement's results are awaited, the reader reads what came (libpq's
``consume_input``) and wakes the task only once libpq has a whole result, as the
generator would do on waking: the task is not resumed per piece, and the socket is not
left readable for the loop's next poll, which comes before the woken task runs (it
would find the data read by then, and call the reader for nothing). The reader is
taken away again whenever it could outlive the socket or fire for nobody:

- when it fires with no wait under way and the socket is still readable (the server
  wrote while the connection was idle, e.g. a notification, or closed it), so an idle
  connection never keeps the loop busy;
- when a wait fails or is interrupted, and when the connection is no longer OK after a
  wait (libpq closes the socket of a lost connection itself), so that a closed socket's
  number, reused by the next socket, is never left registered;
- on ``close()``, when the connection is collected, and when the socket or the event
  loop changes.

Only the reader is kept; a wait to write (a send larger than the socket's buffer) is
registered for its own duration, as psycopg does. A wait with a timeout goes to
psycopg's own ``wait`` unchanged (no statement of the asyncio face gives one; psycopg
uses it to cancel a query). The 0.1 s timer is not armed: psycopg uses it to resume the
generator periodically, which an asyncio loop does not need to deliver Ctrl-C or
cancellation. On cancellation (or Ctrl-C) while a query runs, the query is cancelled on
the server and its results drained before the exception goes on, as psycopg does.
What this relies on in psycopg is set out in `ormshift.orm.internals` (its "psycopg's
waiting protocol").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import threading
from collections.abc import Generator
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from psycopg.pq import ConnStatus, TransactionStatus
from psycopg.waiting import Ready, Wait, wait_async

from ormshift.orm.internals import cancel_running_query, psycopg_wait_timeout

__all__ = ["KeptReaderConnection"]

RV = TypeVar("RV")
logger = logging.getLogger(__name__)

_WAIT_R, _WAIT_W = int(Wait.R), int(Wait.W)
_READY_R, _READY_W = int(Ready.R), int(Ready.W)
#: what interrupts a wait (psycopg's own list for asyncio)
_INTERRUPTED = (asyncio.CancelledError, KeyboardInterrupt, SystemExit)


def _ready_now(fileno: int, events: int) -> bool:
    """Whether ``fileno`` is ready for ``events`` now (a zero-timeout poll)."""
    poll = select.poll()
    poll.register(fileno, events)
    return bool(poll.poll(0))


class KeptReaderConnection(psycopg.AsyncConnection[Any]):
    """psycopg's ``AsyncConnection`` whose waits keep one socket reader registered."""

    _kept_fd: int = -1
    _kept_loop: asyncio.AbstractEventLoop | None = None
    _kept_thread: int = 0
    _waiter: asyncio.Future[None] | None = None
    _ready: int = 0
    _for_results: bool = False

    def _woken(self, state: int) -> None:
        """The loop's callback: the socket is ready for ``state``."""
        waiter = self._waiter
        if waiter is None:
            # Nobody waits. If the socket is still readable, the server wrote to an
            # idle connection: let the reader go, or the loop would keep calling it
            # (readable no more: what a wait that has ended read; nothing to do).
            if state == _READY_R and _ready_now(self._kept_fd, select.POLLIN):
                self._drop_reader()
            return
        self._ready |= state
        if waiter.done():
            return
        if self._for_results:
            # read what came now, and wake the task only when a result is complete:
            # what the generator would do on waking (read, then wait again while
            # libpq is busy), without a turn of the task per piece, and without
            # leaving the socket readable for the loop's next poll
            pgconn = self.pgconn
            with contextlib.suppress(Exception):  # the generator meets it again, in the task
                pgconn.consume_input()
                if pgconn.is_busy():
                    return
        waiter.set_result(None)

    def _keep_reader(self, loop: asyncio.AbstractEventLoop, fileno: int) -> None:
        if self._kept_fd == fileno and self._kept_loop is loop:
            return
        self._drop_reader()
        loop.add_reader(fileno, self._woken, _READY_R)
        self._kept_fd, self._kept_loop = fileno, loop
        self._kept_thread = threading.get_ident()

    def _drop_reader(self) -> None:
        loop, fileno = self._kept_loop, self._kept_fd
        self._kept_fd, self._kept_loop = -1, None
        # (a loop may be changed only from its own thread: a connection collected in
        # another one leaves its registration there, as one collected mid-wait would)
        if loop is not None and not loop.is_closed() and threading.get_ident() == self._kept_thread:
            # (a socket libpq has closed already: selectors ignores the EBADF)
            loop.remove_reader(fileno)

    async def wait(
        self, gen: Generator[Any, Any, RV], interval: float = 0.1, timeout: float | None = None
    ) -> RV:
        if timeout is not None:
            self._drop_reader()  # psycopg's wait registers the socket itself
            return await super().wait(gen, interval, timeout)
        try:
            return await self._wait_kept(gen)
        except _INTERRUPTED:
            self._drop_reader()
            if self.pgconn.transaction_status == TransactionStatus.ACTIVE:
                await self._cancel_and_drain(gen, interval)
            raise
        except BaseException:
            self._drop_reader()
            raise
        finally:
            if self.pgconn.status != ConnStatus.OK:
                self._drop_reader()

    async def _wait_kept(self, gen: Generator[Any, Any, RV]) -> RV:
        try:
            state = next(gen)
        except StopIteration as stop:
            result: RV = stop.value
            return result
        loop = asyncio.get_running_loop()
        fileno = self.pgconn.socket
        try:
            while True:
                if state & _WAIT_W:
                    if _ready_now(fileno, select.POLLOUT):
                        state = gen.send(_READY_W)
                        continue
                    loop.add_writer(fileno, self._woken, _READY_W)
                if state & _WAIT_R:
                    self._keep_reader(loop, fileno)
                self._ready = 0
                self._for_results = state == _WAIT_R
                self._waiter = loop.create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
                    if state & _WAIT_W:
                        loop.remove_writer(fileno)
                state = gen.send(self._ready)
        except StopIteration as stop:
            result = stop.value
            return result
        except OSError as exc:  # as psycopg: the socket was closed
            raise errors.OperationalError("connection socket closed") from exc

    async def _cancel_and_drain(self, gen: Generator[Any, Any, Any], interval: float) -> None:
        """What psycopg's ``wait`` does when interrupted while a query runs: cancel it
        on the server and consume its results, or close a connection left unusable."""
        try:
            await cancel_running_query(self)
            await wait_async(gen, self.pgconn.socket, interval=interval, timeout=5.0)
        except errors.QueryCanceled:
            pass  # as expected
        except psycopg_wait_timeout():
            logger.warning("query not terminated after cancellation: closing connection")
            self.pgconn.finish()
        except BaseException as exc:
            logger.warning(
                "query cancellation interrupted (%s): closing connection", type(exc).__name__
            )
            self.pgconn.finish()
            if not isinstance(exc, Exception):
                raise

    async def close(self) -> None:
        self._drop_reader()
        await super().close()

    def __del__(self, *args: Any) -> None:
        with contextlib.suppress(Exception):  # (the loop may be gone at exit)
            self._drop_reader()
        super().__del__(*args)
