"""`ormshift.compare.faces`: the sync face drives an operation's coroutine in one step."""

from __future__ import annotations

import asyncio

import pytest

from ormshift.compare.faces import AsyncFace, SyncFace, face_named, settled
from ormshift.compare.scenario import ScenarioError


async def _plain(value: int) -> int:
    return await settled(value) + 1


async def _raises() -> None:
    await settled(None)
    raise LookupError("from the operation")


async def _waits() -> int:
    await asyncio.sleep(0)
    return 1


def test_the_sync_face_runs_an_operation_that_never_waits() -> None:
    face = SyncFace()
    assert face.run(_plain(1)) == 2
    with pytest.raises(LookupError, match="from the operation"):
        face.run(_raises())


def test_the_sync_face_refuses_an_operation_that_waits() -> None:
    with pytest.raises(RuntimeError, match="waited on an awaitable"):
        SyncFace().run(_waits())


def test_settled_awaits_what_the_async_face_returns() -> None:
    async def outer() -> int:
        return int(await settled(_plain(4)))

    assert asyncio.run(outer()) == 5


def test_the_async_face_runs_only_while_open() -> None:
    work = _plain(1)
    with pytest.raises(RuntimeError, match="only while its data source is open"):
        AsyncFace().run(work)


def test_faces_by_name() -> None:
    assert face_named("sync").name == "sync"
    assert face_named("async").name == "async"
    with pytest.raises(ScenarioError, match="--face threads: no such face"):
        face_named("threads")
