"""`FairAsyncQueue`: waiting tasks are served in the order they asked, and a task that
returns a connection cannot take it straight back while others wait. (Idle items:
`test_orm_pool.test_idle_items_fifo_or_lifo`, for both queues.)"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.util.queue import Empty

from ormshift.orm.aio.pool import FairAsyncQueue, FairAsyncQueuePool
from ormshift.orm.bridge import call
from ormshift.orm.internals import pool_queue


def test_waiters_in_arrival_order_and_no_barging() -> None:
    q: FairAsyncQueue[str] = FairAsyncQueue(1)
    got: list[tuple[int, str]] = []

    async def waiter(n: int) -> None:
        got.append((n, await call(lambda: q.get(True, 600))))

    async def main() -> None:
        tasks = []
        for n in range(5):
            tasks.append(asyncio.ensure_future(waiter(n)))
            await asyncio.sleep(0)
        assert q.waiting() == 5
        for n in range(5):
            q.put(f"c{n}", False)  # handed over at once: nothing left for a newcomer
            assert q.qsize() == 0
            with pytest.raises(Empty):
                q.get(False)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert got == [(n, f"c{n}") for n in range(5)]


def test_a_waiter_that_times_out_or_is_cancelled_leaves_the_line() -> None:
    q: FairAsyncQueue[str] = FairAsyncQueue(1)

    async def main() -> list[object]:
        results: list[object] = []

        async def impatient() -> None:
            try:
                await call(lambda: q.get(True, 0.05))
            except Empty:
                results.append("timed out")

        async def patient() -> None:
            results.append(await call(lambda: q.get(True, 600)))

        first = asyncio.ensure_future(impatient())
        cancelled = asyncio.ensure_future(patient())
        second = asyncio.ensure_future(patient())
        await asyncio.sleep(0)
        assert q.waiting() == 3
        cancelled.cancel()
        await first
        await asyncio.sleep(0)
        assert q.waiting() == 1
        q.put("c", False)
        await second
        assert (q.waiting(), q.qsize()) == (0, 0)
        return results

    assert asyncio.run(main()) == ["timed out", "c"]


def test_the_pool_class_uses_the_queue() -> None:
    pool = FairAsyncQueuePool(lambda: None, pool_size=2)
    assert isinstance(pool_queue(pool), FairAsyncQueue)
    assert pool.waiting() == 0
