"""`FairQueue`: waiting threads are served in the order they asked; and `one_line`.
Idle items are kept alike by it and by `FairAsyncQueue`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy.util.queue import Empty, Full

from ormshift.orm.aio.pool import FairAsyncQueue
from ormshift.orm.errors import one_line
from ormshift.orm.internals import pool_queue
from ormshift.orm.pool import FairQueue, FairQueuePool

Queue = FairQueue[int] | FairAsyncQueue[int]


def _wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(60_000):
        if condition():
            return
        time.sleep(0.001)
    raise AssertionError("never happened")


@pytest.mark.parametrize("queue", [FairQueue, FairAsyncQueue], ids=["threads", "tasks"])
def test_idle_items_fifo_or_lifo(
    queue: Callable[..., FairQueue[int] | FairAsyncQueue[int]],
) -> None:
    fifo, lifo = queue(3), queue(3, use_lifo=True)
    for q in (fifo, lifo):
        for i in range(3):
            q.put(i, False)
        assert (q.qsize(), q.full(), q.empty()) == (3, True, False)
        with pytest.raises(Full):
            q.put(9, False)
    assert [fifo.get(False) for _ in range(3)] == [0, 1, 2]
    assert [lifo.get(False) for _ in range(3)] == [2, 1, 0]
    with pytest.raises(Empty):
        fifo.get(False)


def test_a_thread_that_times_out_leaves_the_line() -> None:
    q: FairQueue[int] = FairQueue(1)
    with pytest.raises(Empty):
        q.get(True, 0.01)
    assert q.waiting() == 0


def test_a_returned_item_goes_to_the_first_waiter_not_to_a_newcomer() -> None:
    q: FairQueue[str] = FairQueue(1)
    got: list[tuple[int, str]] = []
    threads = []
    for n in range(5):
        t = threading.Thread(target=lambda n=n: got.append((n, q.get(True, 600))))
        t.start()
        threads.append(t)
        _wait_for(lambda n=n: q.waiting() == n + 1)
    for n in range(5):
        q.put(f"c{n}", False)  # handed over at once: nothing is left for a newcomer
        assert q.qsize() == 0
        with pytest.raises(Empty):
            q.get(False)
    for t in threads:
        t.join()
    assert sorted(got) == [(n, f"c{n}") for n in range(5)]
    assert q.waiting() == 0


def test_a_waiter_that_times_out_is_skipped() -> None:
    q: FairQueue[str] = FairQueue(1)
    results: list[object] = []

    def patient() -> None:
        results.append(q.get(True, 600))

    def impatient() -> None:
        try:
            q.get(True, 0.05)
        except Empty:
            results.append("timed out")

    first = threading.Thread(target=impatient)
    first.start()
    _wait_for(lambda: q.waiting() == 1)
    second = threading.Thread(target=patient)
    second.start()
    first.join()
    _wait_for(lambda: q.waiting() == 1)
    q.put("c", False)
    second.join()
    assert results == ["timed out", "c"]


def test_one_line_drops_sqlalchemys_link_and_extra_lines() -> None:
    text = (
        "(psycopg.errors.AdminShutdown) terminating connection\n[SQL: SELECT 1]\n"
        "(Background on this error at: https://sqlalche.me/e/20/e3q8)"
    )
    assert one_line(text) == "(psycopg.errors.AdminShutdown) terminating connection"
    assert one_line("QueuePool limit reached (Background on this error at: x)") == (
        "QueuePool limit reached"
    )
    assert one_line("\n  \nsecond line\nthird") == "second line"
    assert "hunter2" not in one_line("connect failed: password=hunter2 host=x")


def test_the_pool_keeps_its_idle_connections_in_a_fair_queue() -> None:
    pool = FairQueuePool(object, pool_size=2)  # type: ignore[arg-type]
    assert isinstance(pool_queue(pool), FairQueue)
    assert pool.waiting() == 0
