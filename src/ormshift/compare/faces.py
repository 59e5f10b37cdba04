"""Which face of `ormshift.orm` the candidate side runs: ``sync`` or ``async``.

`ormshift.compare.candidate` is one runner for both: each operation is a coroutine that
calls the face's repository, manager or builder method of TypeORM's name and passes
what it returns through `settled`, which awaits it when it is awaitable. On the sync
face nothing is, so the coroutine never suspends and `SyncFace.run` drives it to its
end at once, with no event loop; on the async face (`ormshift.orm.aio`) the methods
are coroutines and `AsyncFace.run` runs the operation on the face's event loop.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

__all__ = ["FACES", "AsyncFace", "Face", "SyncFace", "face_named", "settled"]

R = TypeVar("R")

#: the faces `ormshift compare --face` runs
FACES = ("sync", "async")


async def settled(value: Any) -> Any:
    """What a face's method gave: awaited when awaitable (the async face's coroutines),
    as it is otherwise (the sync face, and the methods pure on both: ``create``, the
    builders' chained calls)."""
    if inspect.isawaitable(value):
        return await value
    return value


class Face(Protocol):
    name: str

    def open(self, url: str, subscribers: Sequence[object]) -> AbstractContextManager[Any]:
        """The face's data source on ``url`` (a pool of 5), closed when the block ends."""
        ...

    def run(self, work: Coroutine[Any, Any, R]) -> R:
        """``work``'s result (raises what it raises)."""
        ...


class SyncFace:
    """`ormshift.orm.DataSource`; an operation's coroutine never waits, so it is driven
    to its end in one step."""

    name = "sync"

    def open(self, url: str, subscribers: Sequence[object]) -> AbstractContextManager[Any]:
        from ormshift.orm import DataSource  # noqa: PLC0415 - heavy

        return DataSource(url, size=5, subscribers=subscribers)

    def run(self, work: Coroutine[Any, Any, R]) -> R:
        try:
            work.send(None)
        except StopIteration as done:
            result: R = done.value
            return result
        work.close()
        raise RuntimeError("an operation on the sync face waited on an awaitable")


class AsyncFace:
    """`ormshift.orm.aio.AsyncDataSource` on an event loop of its own (one per run, as
    the asyncio engine's connections belong to the loop that opened them)."""

    name = "async"

    def __init__(self) -> None:
        self._runner: asyncio.Runner | None = None

    @contextmanager
    def open(self, url: str, subscribers: Sequence[object]) -> Iterator[Any]:
        from ormshift.orm.aio import AsyncDataSource  # noqa: PLC0415 - heavy

        with asyncio.Runner() as runner:
            ds = AsyncDataSource(url, size=5, subscribers=subscribers)
            runner.run(ds.initialize())
            self._runner = runner
            try:
                yield ds
            finally:
                self._runner = None
                runner.run(ds.destroy())

    def run(self, work: Coroutine[Any, Any, R]) -> R:
        if self._runner is None:
            work.close()
            raise RuntimeError("the async face runs operations only while its data source is open")
        return self._runner.run(work)


def face_named(name: str) -> Face:
    """The face ``name`` names (``--face``)."""
    from ormshift.compare.scenario import ScenarioError  # noqa: PLC0415 - cycle

    if name == "sync":
        return SyncFace()
    if name == "async":
        return AsyncFace()
    raise ScenarioError(f"--face {name}: no such face; give one of {', '.join(FACES)}")
