"""`ormshift.orm.bridge.call`: greenlet_spawn's behaviour, with its greenlets reused."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import weakref

import pytest
from greenlet import getcurrent
from sqlalchemy.util import await_
from sqlalchemy.util.concurrency import in_greenlet

from ormshift.orm.bridge import call

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


async def _value(x: object) -> object:
    await asyncio.sleep(0)
    return x


def test_await_inside_and_the_result_out() -> None:
    def work() -> tuple[bool, object, object]:
        return in_greenlet(), await_(_value(1)), await_(_value("two"))

    assert asyncio.run(call(work)) == (True, 1, "two")


def test_an_error_of_fn_is_raised_and_one_of_an_await_is_thrown_in_where_it_waited() -> None:
    async def failing() -> None:
        await asyncio.sleep(0)
        raise KeyError("from the loop")

    seen: list[str] = []

    def work() -> None:
        try:
            await_(failing())
        except KeyError as exc:
            seen.append(str(exc))
        raise ValueError("from fn")

    async def main() -> None:
        with pytest.raises(ValueError, match="from fn"):
            await call(work)
        # the greenlet that raised is reused and still works
        assert await call(lambda: await_(_value(5))) == 5

    asyncio.run(main())
    assert seen == ["'from the loop'"]


def test_cancellation_unwinds_fn_and_the_next_call_still_works() -> None:
    unwound: list[bool] = []

    def work() -> None:
        try:
            await_(asyncio.sleep(10))
        finally:
            unwound.append(True)

    async def main() -> object:
        task = asyncio.ensure_future(call(work))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await call(lambda: await_(_value("after")))

    assert asyncio.run(main()) == "after"
    assert unwound == [True]


def test_fn_runs_in_the_calling_tasks_context() -> None:
    def work() -> str:
        seen = VAR.get()
        VAR.set(seen + " set in fn")
        return seen

    async def task(name: str) -> tuple[str, str]:
        VAR.set(name)
        inside = await call(work)
        return inside, VAR.get()

    async def main() -> list[tuple[str, str]]:
        return list(await asyncio.gather(task("a"), task("b")))

    assert asyncio.run(main()) == [("a", "a set in fn"), ("b", "b set in fn")]


def test_greenlets_are_reused_and_keep_nothing_of_a_call() -> None:
    class Big:
        pass

    def work() -> tuple[object, Big]:
        await_(_value(None))
        return getcurrent(), Big()

    async def main() -> tuple[object, object, weakref.ref[Big]]:
        first, big = await call(work)
        ref = weakref.ref(big)
        del big
        second, _ = await call(work)
        return first, second, ref

    first, second, ref = asyncio.run(main())
    gc.collect()
    assert first is second
    assert ref() is None


def test_many_tasks_at_once_get_their_own_results() -> None:
    def work(i: int) -> int:
        for _ in range(3):
            i = int(str(await_(_value(i))))
        return i * 10

    async def main() -> list[int]:
        return list(await asyncio.gather(*(call(lambda i=i: work(i)) for i in range(200))))

    assert asyncio.run(main()) == [i * 10 for i in range(200)]
