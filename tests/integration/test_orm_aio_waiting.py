"""`ormshift.orm.aio.waiting` against real PostgreSQL: the asyncio engine's connections
keep one socket reader between waits, and let it go whenever it could outlive the
socket or fire for nobody (the server writing to an idle connection, a lost
connection, cancellation, close). Registrations are counted by an event loop that
counts ``add_reader`` calls and asked with ``remove_reader``, which tells whether a
reader was registered (both public ``asyncio`` API)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
import pytest

from ormshift.orm.aio import AsyncDataSource
from ormshift.orm.aio.waiting import KeptReaderConnection

T = TypeVar("T")


class CountingLoop(asyncio.SelectorEventLoop):
    """An event loop that counts the socket readers added to it."""

    def __init__(self) -> None:
        super().__init__()
        self.readers_added = 0

    def add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        self.readers_added += 1
        super().add_reader(fd, callback, *args)


def _run(main: Callable[[CountingLoop], Awaitable[T]]) -> T:
    with asyncio.Runner(loop_factory=CountingLoop) as runner:
        loop = runner.get_loop()
        assert isinstance(loop, CountingLoop)
        return runner.run(main(loop))  # type: ignore[arg-type]


def test_the_engine_connections_register_their_reader_once(fresh_db: str) -> None:
    async def main(loop: CountingLoop) -> tuple[list[Any], int, type[object]]:
        async with AsyncDataSource(fresh_db, size=1, overflow=0) as ds:
            async with ds.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                kind = type(raw.driver_connection)
            # a TLS server writes once to a new connection after the handshake (its session
            # tickets); the reader, finding no wait under way, is let go and comes back
            await ds.query("select 1")
            await asyncio.sleep(0.2)
            await ds.query("select 1")
            before = loop.readers_added
            rows = [await ds.query("select cast($1 as int) as n", [i]) for i in range(50)]
            async with ds.transaction() as m:
                rows.append(await m.query("select 50 as n"))
            return rows, loop.readers_added - before, kind

    rows, added, kind = _run(main)
    assert kind is KeptReaderConnection
    assert rows == [[{"n": i}] for i in range(51)]
    assert added == 0  # registered once, kept since


def test_a_server_write_to_an_idle_connection_drops_the_reader(fresh_db: str) -> None:
    async def main(loop: CountingLoop) -> tuple[bool, list[str], Any]:
        conn = await KeptReaderConnection.connect(fresh_db, autocommit=True)
        try:
            await conn.execute("listen ormshift_waiting")
            fd = conn.pgconn.socket
            async with await psycopg.AsyncConnection.connect(fresh_db, autocommit=True) as other:
                await other.execute("notify ormshift_waiting, 'hello'")
            for _ in range(50):  # the loop runs the reader, which finds no wait under way
                await asyncio.sleep(0.01)
            still_registered = loop.remove_reader(fd)
            cursor = await conn.execute("select 1")
            one = await cursor.fetchone()
            gen = conn.notifies(timeout=1.0, stop_after=1)
            payloads = [n.payload async for n in gen]
            return still_registered, payloads, one
        finally:
            await conn.close()

    still_registered, payloads, one = _run(main)
    assert not still_registered
    assert one == (1,)
    assert payloads == ["hello"]


def test_a_cancelled_query_is_cancelled_on_the_server(fresh_db: str) -> None:
    async def main(loop: CountingLoop) -> tuple[bool, bool, Any, Any]:
        conn = await KeptReaderConnection.connect(fresh_db, autocommit=True)
        try:
            pid = conn.info.backend_pid
            task = asyncio.create_task(conn.execute("select pg_sleep(30)"))
            await asyncio.sleep(0.3)
            task.cancel()
            try:
                await task
                cancelled = False
            except asyncio.CancelledError:
                cancelled = True
            registered = loop.remove_reader(conn.pgconn.socket)
            cursor = await conn.execute("select 2")
            after = await cursor.fetchone()
            async with await psycopg.AsyncConnection.connect(fresh_db, autocommit=True) as other:
                cur = await other.execute(
                    "select state from pg_stat_activity where pid = %s", [pid]
                )
                state = await cur.fetchone()
            return cancelled, registered, after, state
        finally:
            await conn.close()

    cancelled, registered, after, state = _run(main)
    assert cancelled
    assert not registered  # let go when the wait was interrupted
    assert after == (2,)
    assert state == ("idle",)


def test_a_lost_connection_leaves_no_reader_behind(fresh_db: str) -> None:
    async def main(loop: CountingLoop) -> tuple[bool, bool, Any]:
        conn = await KeptReaderConnection.connect(fresh_db, autocommit=True)
        fd = conn.pgconn.socket
        pid = conn.info.backend_pid
        task = asyncio.create_task(conn.execute("select pg_sleep(30)"))
        await asyncio.sleep(0.3)
        async with await psycopg.AsyncConnection.connect(fresh_db, autocommit=True) as other:
            await other.execute("select pg_terminate_backend(%s)", [pid])
        with pytest.raises(psycopg.OperationalError):
            await task
        registered = loop.remove_reader(fd)
        await conn.close()
        # a new connection may get the same socket number: it must wait normally
        fresh = await KeptReaderConnection.connect(fresh_db, autocommit=True)
        try:
            cursor = await fresh.execute("select 3")
            return registered, conn.closed, await cursor.fetchone()
        finally:
            await fresh.close()

    registered, closed, three = _run(main)
    assert not registered
    assert closed
    assert three == (3,)


def test_close_takes_the_reader_away(fresh_db: str) -> None:
    async def main(loop: CountingLoop) -> tuple[bool, bool]:
        conn = await KeptReaderConnection.connect(fresh_db, autocommit=True)
        await conn.execute("select 1")
        fd = conn.pgconn.socket
        kept = loop.remove_reader(fd)
        loop.add_reader(fd, lambda: None)  # put back what the test took
        await conn.close()
        return kept, loop.remove_reader(fd)

    kept, after_close = _run(main)
    assert kept
    assert not after_close


def test_a_send_larger_than_the_socket_buffer_waits_to_write(fresh_db: str) -> None:
    big = "x" * (32 * 1024 * 1024)

    async def main(loop: CountingLoop) -> Any:
        async with await KeptReaderConnection.connect(fresh_db, autocommit=True) as conn:
            cursor = await conn.execute("select length(%s::text)", [big])
            return await cursor.fetchone()

    assert _run(main) == (len(big),)


def test_a_result_arriving_in_many_pieces_is_read_whole(fresh_db: str) -> None:
    async def main(loop: CountingLoop) -> Any:
        async with await KeptReaderConnection.connect(fresh_db, autocommit=True) as conn:
            cursor = await conn.execute(
                "select i, repeat('y', 1000) from generate_series(1, 20000) i"
            )
            rows = await cursor.fetchall()
            return len(rows), rows[-1][0], {len(r[1]) for r in rows}

    assert _run(main) == (20000, 20000, {1000})
