"""The asyncio face (`ormshift.orm.aio`) against real PostgreSQL, on the blog schema
TypeORM created: the same results and database state as the sync face, cancellation,
statement timeouts and many tasks on one data source. Each test runs its event loop
with ``asyncio.run`` (no asyncio plugin for pytest needed)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

import psycopg
import pytest

from ormshift.orm import (
    DataSource,
    DeleteResult,
    EntityNotFound,
    In,
    InsertResult,
    MoreThan,
    NotNullViolation,
    OrmError,
    QueryTimeout,
    UpdateResult,
)
from ormshift.orm.aio import AsyncDataSource, AsyncEntityManager
from tests.models.blog import Post, Tag, User
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase

#: (method, positional arguments, keyword arguments) on the Post repository, run in
#: order through both faces: reads, writes, soft deletes, steps, upserts, raw SQL
STEPS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("find", (), {"where": {"status": "published"}, "order": {"id": "ASC"}}),
    ("find_by", ({"authorId": 1},), {}),
    ("find_one", (), {"where": {"id": 2}, "relations": {"author": True}}),
    ("find_one_by", ({"slug": "dancing"},), {}),
    (
        "find_and_count",
        (),
        {"where": {"viewCount": MoreThan(5)}, "take": 2, "order": {"id": "ASC"}},
    ),
    ("count", (), {"where": {"status": "draft"}}),
    ("exists", (), {"where": {"id": 99}}),
    ("sum", ("viewCount",), {}),
    ("increment", ({"id": 1}, "viewCount", 5), {}),
    ("decrement", ({"id": 2}, "viewCount", 1), {}),
    ("update", ({"id": 3}, {"title": "renamed"}), {}),
    ("soft_delete", ({"id": 4},), {}),
    ("restore", ({"id": 4},), {}),
    ("soft_delete", ({"id": 5},), {}),
    ("find", (), {"with_deleted": True, "order": {"id": "ASC"}}),
    ("query", ("select count(*)::int as n from post where status = $1", ["draft"]), {}),
    ("find", (), {"order": {"id": "DESC"}, "skip": 1, "take": 3}),
]


def _shape(value: Any) -> Any:
    """A result as plain data both faces' results can be compared by (no timestamps)."""
    if isinstance(value, Post):
        author = value.__dict__.get("author")
        return (
            value.id,
            value.title,
            value.status,
            value.viewCount,
            value.version,
            author and author.id,
        )
    if isinstance(value, list | tuple):
        return [_shape(v) for v in value]
    if isinstance(value, UpdateResult | DeleteResult):
        return ("affected", value.affected)
    if isinstance(value, InsertResult):
        return ("inserted", value.identifiers)
    return value


STATE = (
    'select p.id, p.title, p.status::text, p."viewCount", p.version, p."deletedAt" is null '
    'as live, (select count(*) from post_tags_tag t where t."postId" = p.id) as tags '
    "from post p order by p.id"
)


def _state(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(STATE).fetchall()


@pytest.fixture
def url(blog: SchemaDatabase) -> str:
    return blog.reset(SEED)


def _sync_run(url: str) -> tuple[list[Any], list[tuple[Any, ...]]]:
    out: list[Any] = []
    with DataSource(url, size=4) as ds:
        posts = ds.get_repository(Post)
        for name, args, kwargs in STEPS:
            out.append(_shape(getattr(posts, name)(*args, **kwargs)))
        new = posts.create(title="t", slug="new-sync", body="b", authorId=1)
        out.append(_shape(posts.save(new)))
        with ds.transaction() as m:
            m.get_repository(Post).save(posts.create(title="in tx", slug="s", body="b", authorId=2))
            out.append(_shape(m.insert(Tag, {"name": "tx-tag", "label": "TX"})))
        qb = posts.create_query_builder("post").where("post.viewCount > :n", {"n": 10})
        out.append(_shape(qb.order_by("post.id", "DESC").get_many()))
        out.append(qb.get_count())
        out.append(
            _shape(
                posts.upsert(
                    {"id": 1, "title": "upserted", "slug": "x", "body": "b", "authorId": 1}, ["id"]
                )
            )
        )
        out.append(_shape(posts.delete({"id": 6})))
        assert ds.pool_stats().checked_out == 0
    return out, _state(url)


async def _async_run(url: str) -> tuple[list[Any], list[tuple[Any, ...]]]:
    out: list[Any] = []
    async with AsyncDataSource(url, size=4) as ds:
        posts = ds.get_repository(Post)
        for name, args, kwargs in STEPS:
            out.append(_shape(await getattr(posts, name)(*args, **kwargs)))
        new = posts.create(title="t", slug="new-sync", body="b", authorId=1)
        out.append(_shape(await posts.save(new)))
        async with ds.transaction() as m:
            await m.get_repository(Post).save(
                posts.create(title="in tx", slug="s", body="b", authorId=2)
            )
            out.append(_shape(await m.insert(Tag, {"name": "tx-tag", "label": "TX"})))
        qb = posts.create_query_builder("post").where("post.viewCount > :n", {"n": 10})
        out.append(_shape(await qb.order_by("post.id", "DESC").get_many()))
        out.append(await qb.get_count())
        out.append(
            _shape(
                await posts.upsert(
                    {"id": 1, "title": "upserted", "slug": "x", "body": "b", "authorId": 1}, ["id"]
                )
            )
        )
        out.append(_shape(await posts.delete({"id": 6})))
        assert ds.pool_stats().checked_out == 0
    return out, _state(url)


def test_same_results_and_state_as_the_sync_face(blog: SchemaDatabase) -> None:
    sync_out, sync_state = _sync_run(blog.reset(SEED))
    async_out, async_state = asyncio.run(_async_run(blog.reset(SEED)))
    assert async_out == sync_out
    assert async_state == sync_state
    assert len(sync_state) == 8  # 6 seeded, one saved, one saved in the transaction


def test_transactions_roll_back_commit_and_nest(url: str) -> None:
    async def run() -> None:
        async with AsyncDataSource(url, size=2) as ds:
            posts = ds.get_repository(Post)
            with pytest.raises(NotNullViolation):
                async with ds.transaction(isolation="SERIALIZABLE") as m:
                    level = await m.query("show transaction_isolation")
                    assert level == [{"transaction_isolation": "serializable"}]
                    await m.update(Post, {"id": 1}, {"title": "rolled back"})
                    await m.insert(User, {"id": 1, "username": "dup", "email": "d@x"})
            assert (await posts.find_one_by_or_fail({"id": 1})).title != "rolled back"

            async def work(m: AsyncEntityManager) -> int:
                await m.update(Post, {"id": 1}, {"title": "outer"})
                with pytest.raises(EntityNotFound):
                    async with m.transaction() as inner:
                        await inner.update(Post, {"id": 2}, {"title": "inner"})
                        await inner.get_repository(Post).find_one_by_or_fail({"id": 99})
                await m.transaction(lambda i: i.update(Post, {"id": 3}, {"title": "kept"}))
                return await m.count(Post)

            assert await ds.transaction(work) == 5  # one of the six is soft-deleted
            titles = {p.id: p.title for p in await posts.find(where={"id": In([1, 2, 3])})}
            assert titles[1] == "outer" and titles[2] != "inner" and titles[3] == "kept"
            assert ds.pool_stats().checked_out == 0

    asyncio.run(run())


def test_statement_timeout_raises_query_timeout(url: str) -> None:
    async def run() -> None:
        async with AsyncDataSource(url, size=1, statement_timeout=0.05) as slow:
            with pytest.raises(QueryTimeout):
                await slow.query("select pg_sleep(2)")
            with pytest.raises(QueryTimeout):
                async with slow.transaction() as m:
                    await m.query("select pg_sleep(2)")
            assert await slow.query("select 1 as one") == [{"one": 1}]

    asyncio.run(run())


def _sessions(url: str, app: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select state, coalesce(query, '') from pg_stat_activity where application_name = %s",
            [app],
        ).fetchall()
        return [(str(s), str(q)) for s, q in rows]


def _left(url: str, app: str, within: float = 30.0) -> list[tuple[str, str]]:
    """This test's sessions still on the server once they are gone, or after ``within``
    seconds: a backend ends a moment after its client closes the socket, so a closed
    connection can still be listed right after ``destroy``; one never closed stays."""
    deadline = time.monotonic() + within
    while (found := _sessions(url, app)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def test_cancelled_tasks_return_their_connections_and_leave_no_transaction(url: str) -> None:
    app = f"ormshift-cancel-{uuid.uuid4().hex[:8]}"
    dsn = f"{url}{'&' if '?' in url else '?'}application_name={app}"
    rng = random.Random(17)

    async def run() -> tuple[int, int, int]:
        async with AsyncDataSource(dsn, size=10, overflow=0, timeout=60) as ds:
            posts = ds.get_repository(Post)

            async def one(i: int) -> int:
                if i % 3 == 0:
                    async with ds.transaction() as m:
                        await m.increment(Post, {"id": 1 + i % 6}, "viewCount", 1)
                        await m.query("select pg_sleep(0.02)")
                        return await m.count(Post)
                if i % 3 == 1:
                    await ds.query("select pg_sleep(0.02)")
                return len(await posts.find(where={"status": "published"}))

            tasks = [asyncio.create_task(one(i)) for i in range(1000)]
            doomed = rng.sample(range(1000), 100)
            for i in doomed:
                await asyncio.sleep(rng.uniform(0, 0.01))
                tasks[i].cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
            failed = [
                r
                for r in results
                if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)
            ]
            assert not failed, failed[:3]
            done = sum(isinstance(r, int) for r in results)
            stats = ds.pool_stats()
            assert stats.checked_out == 0, stats
            idle_in_tx = [s for s in _sessions(url, app) if s[0].startswith("idle in transaction")]
            assert not idle_in_tx, idle_in_tx
            # the pool still serves: every connection it holds is usable
            assert await ds.query("select 1 as one") == [{"one": 1}]
            return cancelled, done, stats.checked_in

    cancelled, done, _ = asyncio.run(run())
    assert cancelled + done == 1000
    assert cancelled > 0, "no task was cancelled mid-query"
    assert _left(url, app) == []  # destroyed: nothing of this test's left on the server


def test_many_tasks_share_one_data_source(url: str) -> None:
    async def run() -> None:
        async with AsyncDataSource(url, size=5, overflow=0) as ds:
            posts = ds.get_repository(Post)

            async def bump(i: int) -> int:
                await posts.increment({"id": 1 + i % 6}, "viewCount", 1)
                found = await posts.find_one_or_fail(where={"id": 1 + i % 6}, with_deleted=True)
                return found.id

            before = {p.id: p.viewCount for p in await posts.find(with_deleted=True)}
            ids = await asyncio.gather(*(bump(i) for i in range(300)))
            assert ids == [1 + i % 6 for i in range(300)]
            after = {p.id: p.viewCount for p in await posts.find(with_deleted=True)}
            assert {k: after[k] - before[k] for k in before} == dict.fromkeys(range(1, 7), 50)
            assert ds.pool_stats().checked_out == 0

    asyncio.run(run())


class _AsyncSubscriber:
    """A subscriber whose listener is a coroutine: awaited on the async face."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def after_insert(self, event: Any) -> None:
        await asyncio.sleep(0)
        self.seen.append(str(event.entity["name"]))


def test_coroutine_subscribers_are_awaited_on_the_async_face(url: str) -> None:
    subscriber = _AsyncSubscriber()

    async def run() -> None:
        async with AsyncDataSource(url, size=2, subscribers=[subscriber]) as ds:
            await ds.manager.insert(Tag, {"name": "a", "label": "A"})
            async with ds.transaction() as m:
                await m.insert(Tag, {"name": "b", "label": "B"})

    asyncio.run(run())
    assert subscriber.seen == ["a", "b"]
    with DataSource(url, size=1, subscribers=[subscriber]) as ds, pytest.raises(OrmError):
        ds.manager.insert(Tag, {"name": "c", "label": "C"})


def test_stream_reads_the_raw_rows_in_batches_on_the_async_face(url: str) -> None:
    """``stream()`` on the async face: the sync face's rows, in order, read batch by batch
    off one server-side cursor while other tasks use the pool; leaving the ``async for``
    early closes the cursor and gives the connection back."""
    with DataSource(url) as ds:
        qb = ds.get_repository(Post).create_query_builder("post")
        expected = list(qb.select(["post.id", "post.slug"]).order_by("post.id").stream(batch=2))

    async def run() -> None:
        async with AsyncDataSource(url, size=2, overflow=0) as ds:
            posts = ds.get_repository(Post)
            qb = posts.create_query_builder("post").select(["post.id", "post.slug"])
            rows = []
            async for row in qb.order_by("post.id").stream(batch=2):
                rows.append(row)
                # the other connection serves other work between the batches
                assert await posts.count() >= 1
            assert rows == expected and len(rows) > 2
            assert ds.pool_stats().checked_out == 0
            early = qb.stream(batch=1)
            async for _ in early:
                break
            await early.aclose()
            assert ds.pool_stats().checked_out == 0
            with pytest.raises(OrmError):
                async for _ in posts.create_query_builder("post").select(["post.nope"]).stream():
                    pass
            assert ds.pool_stats().checked_out == 0

    asyncio.run(run())
