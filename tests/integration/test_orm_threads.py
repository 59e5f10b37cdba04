"""Thread safety: many threads through one DataSource on a busy machine, connections
handed out in arrival order, and pool exhaustion."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event

from ormshift.orm import DataSource, In, MoreThan, PoolTimeout
from tests.models.blog import Comment, Post, Tag, User
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase

THREADS = 32
OPERATIONS = 1000


KINDS = (
    "find_one_by",
    "find",
    "count",
    "increment",
    "insert",
    "find_relations",
    "transaction",
    "exists_by",
)


def _operation(ds: DataSource, worker: int, i: int, kind: int) -> None:
    posts = ds.get_repository(Post)
    if kind == 0:
        assert posts.find_one_by({"id": 1 + i % 6}) is not None or i % 6 == 4
    elif kind == 1:
        assert len(posts.find(where={"viewCount": MoreThan(-1)}, order={"id": "ASC"}, take=3)) == 3
    elif kind == 2:
        assert ds.get_repository(User).count() >= 3
    elif kind == 3:
        posts.increment({"id": 1 + worker % 3}, "viewCount", 1)
    elif kind == 4:
        ds.get_repository(Tag).insert({"name": f"w{worker}-{i}", "label": "t"})
    elif kind == 5:
        ds.get_repository(Comment).find(
            where={"post": {"id": In([1, 2])}}, relations={"post": True}
        )
    elif kind == 6:
        with ds.transaction() as m:
            m.get_repository(Tag).update({"name": f"w{worker}-{i - 2}"}, {"label": "u"})
            m.get_repository(Post).find_one(where={"id": 2}, lock={"mode": "pessimistic_read"})
    else:
        assert posts.exists_by({"slug": "bernoulli"})


def _work(
    ds: DataSource,
    worker: int,
    errors: list[BaseException],
    barrier: threading.Barrier,
    current: threading.local | None,
    on_error: Callable[[str, int, BaseException], bool] | None,
) -> None:
    try:
        barrier.wait()
        for i in range(OPERATIONS):
            kind = i % 8
            if current is not None:
                current.kind, current.i = KINDS[kind], i
            try:
                _operation(ds, worker, i, kind)
            except Exception as exc:
                if on_error is None or not on_error(KINDS[kind], i, exc):
                    raise
    except BaseException as exc:
        errors.append(exc)


def run_workload(
    ds: DataSource,
    *,
    current: threading.local | None = None,
    on_error: Callable[[str, int, BaseException], bool] | None = None,
) -> list[BaseException]:
    """``THREADS`` threads of ``OPERATIONS`` mixed operations each, started together;
    the errors that ended a thread (``on_error`` returning True lets one go on).
    ``current.kind`` names the operation each thread is running."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)
    threads = [
        threading.Thread(target=_work, args=(ds, w, errors, barrier, current, on_error))
        for w in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


#: a process per core that spins until killed (and stops by itself after 15 minutes)
_BURN = "import time\nend = time.time() + 900\nwhile time.time() < end:\n    pass\n"


@pytest.fixture
def busy_cpus() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Both cores kept busy by other processes for the whole test."""
    burners = [subprocess.Popen([sys.executable, "-c", _BURN]) for _ in range(os.cpu_count() or 2)]
    try:
        yield burners
    finally:
        for p in burners:
            p.kill()
            p.wait()


def test_32_threads_of_mixed_operations_on_busy_cpus(
    blog: SchemaDatabase, busy_cpus: list[subprocess.Popen[bytes]]
) -> None:
    """The workload passes however busy the machine is: with connections handed out in
    arrival order no thread waits for more than its share, and the timeout is only a
    bound against a hang."""
    url = blog.reset(SEED)
    with DataSource(url, size=8, overflow=4, timeout=120) as ds:
        errors = run_workload(ds)
        assert all(p.poll() is None for p in busy_cpus), "a CPU burner stopped early"
        assert errors == [], f"{len(errors)} thread(s) failed, first: {errors[0]!r}"
        stats = ds.pool_stats()
        assert stats.checked_out == 0, stats
        assert stats.waiting == 0, stats
        assert stats.checkouts_total == stats.checkins_total, stats
        assert stats.timeouts_total == 0, stats
        assert ds.get_repository(Tag).count() == 3 + THREADS * (OPERATIONS // 8)
        expected = sum(1 for w in range(THREADS) if w % 3 == 0) * (OPERATIONS // 8)
        assert ds.get_repository(Post).find_one_by_or_fail({"id": 1}).viewCount == 120 + expected


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded, generously) until ``condition`` holds; no verdict on how long."""
    for _ in range(60_000):
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def test_waiting_threads_get_connections_in_arrival_order(blog: SchemaDatabase) -> None:
    """One connection, a line of threads on every path, and the holder asking again the
    moment it gives the connection back: each is served in the order it asked, and the
    holder, asking last, is served last (it does not take back what it just returned)."""
    url = blog.reset(SEED)
    paths: dict[str, Callable[[DataSource], object]] = {
        "plain find": lambda ds: ds.get_repository(Post).find_one_by({"id": 1}),
        "session find": lambda ds: ds.get_repository(Comment).find(relations={"post": True}),
        "count": lambda ds: ds.get_repository(User).count(),
        "insert": lambda ds: ds.get_repository(Tag).insert({"name": "fifo", "label": "t"}),
        "save": lambda ds: ds.get_repository(Tag).save(Tag(name="fifo2", label="t")),
        "transaction": lambda ds: ds.transaction(lambda m: m.query("select 1")),
    }
    with DataSource(url, size=1, overflow=0, timeout=300) as ds:
        served: list[str] = []
        event.listen(
            ds.engine, "checkout", lambda *_: served.append(threading.current_thread().name)
        )
        failures: list[BaseException] = []

        def run(work: Callable[[DataSource], object]) -> None:
            try:
                work(ds)
            except BaseException as exc:
                failures.append(exc)

        threads = []
        with ds.transaction() as m:
            m.query("select 1")
            for n, (name, work) in enumerate(paths.items()):
                thread = threading.Thread(target=run, args=(work,), name=name)
                thread.start()
                threads.append(thread)
                _wait_for(lambda n=n: ds.pool_stats().waiting == n + 1, f"{name} waiting")
        # the connection is back in the pool; ask again at once, behind the line
        assert ds.get_repository(Post).find_one_by({"id": 2}) is not None
        for thread in threads:
            thread.join()
        assert failures == []
        assert served == ["MainThread", *paths, "MainThread"]
        stats = ds.pool_stats()
        assert (stats.timeouts_total, stats.waiting, stats.checked_out) == (0, 0, 0)


def test_pool_exhaustion_raises_pool_timeout(blog: SchemaDatabase) -> None:
    with DataSource(blog.url, size=1, overflow=0, timeout=0.2) as ds:
        held = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with ds.transaction():
                held.set()
                release.wait()

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait()
        try:
            with pytest.raises(PoolTimeout, match="no database connection became free") as timed:
                ds.get_repository(Post).count()
            message = str(timed.value)
            assert "\n" not in message and "Background on this error" not in message, message
            assert "sqlalche.me" not in message, message
            with pytest.raises(PoolTimeout) as plain:
                ds.get_repository(Post).find_one_by({"id": 1})  # the plain-find path
            assert str(plain.value) == message
            with pytest.raises(PoolTimeout):
                ds.transaction(lambda m: m.query("select 1"))
        finally:
            release.set()
            holder.join()
        stats = ds.pool_stats()
        assert stats.timeouts_total == 3
        assert stats.checked_out == 0
