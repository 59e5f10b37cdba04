"""Thread safety: many threads through one DataSource, and pool exhaustion."""

from __future__ import annotations

import threading

import pytest

from ormshift.orm import DataSource, In, MoreThan, PoolTimeout
from tests.models.blog import Comment, Post, Tag, User
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase

THREADS = 32
OPERATIONS = 1000


def _work(
    ds: DataSource, worker: int, errors: list[BaseException], barrier: threading.Barrier
) -> None:
    try:
        barrier.wait()
        for i in range(OPERATIONS):
            kind = i % 8
            posts = ds.get_repository(Post)
            if kind == 0:
                assert posts.find_one_by({"id": 1 + i % 6}) is not None or i % 6 == 4
            elif kind == 1:
                assert (
                    len(posts.find(where={"viewCount": MoreThan(-1)}, order={"id": "ASC"}, take=3))
                    == 3
                )
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
                    m.get_repository(Post).find_one(
                        where={"id": 2}, lock={"mode": "pessimistic_read"}
                    )
            else:
                assert posts.exists_by({"slug": "bernoulli"})
    except BaseException as exc:
        errors.append(exc)


def test_32_threads_of_mixed_operations(blog: SchemaDatabase) -> None:
    url = blog.reset(SEED)
    with DataSource(url, size=8, overflow=4, timeout=30) as ds:
        errors: list[BaseException] = []
        barrier = threading.Barrier(THREADS)
        threads = [
            threading.Thread(target=_work, args=(ds, w, errors, barrier)) for w in range(THREADS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], f"{len(errors)} thread(s) failed, first: {errors[0]!r}"
        stats = ds.pool_stats()
        assert stats.checked_out == 0, stats
        assert stats.checkouts_total == stats.checkins_total, stats
        assert stats.timeouts_total == 0, stats
        assert ds.get_repository(Tag).count() == 3 + THREADS * (OPERATIONS // 8)
        expected = sum(1 for w in range(THREADS) if w % 3 == 0) * (OPERATIONS // 8)
        assert ds.get_repository(Post).find_one_by_or_fail({"id": 1}).viewCount == 120 + expected


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
            with pytest.raises(PoolTimeout, match="no database connection became free"):
                ds.get_repository(Post).count()
            with pytest.raises(PoolTimeout):
                ds.transaction(lambda m: m.query("select 1"))
        finally:
            release.set()
            holder.join()
        stats = ds.pool_stats()
        assert stats.timeouts_total == 2
        assert stats.checked_out == 0
