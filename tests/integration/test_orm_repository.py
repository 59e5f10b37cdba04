"""`ormshift.orm` against real PostgreSQL, on the blog schema TypeORM itself created."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ormshift.errors import ConnectionFailed
from ormshift.orm import (
    Between,
    CheckViolation,
    DataSource,
    EntityNotFound,
    FindOptionsError,
    ForeignKeyViolation,
    ILike,
    In,
    IsNull,
    MoreThan,
    Not,
    NotNullViolation,
    OptimisticLockVersionMismatch,
    OrmError,
    PessimisticLockTransactionRequired,
    QueryTimeout,
    UniqueViolation,
    UnknownProperty,
    to_record,
)
from tests.models.blog import Comment, Post, PostRating, Profile, Tag, User
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase


@pytest.fixture
def ds(blog: SchemaDatabase) -> Iterator[DataSource]:
    with DataSource(blog.reset(SEED), size=4, overflow=2, timeout=5) as source:
        yield source
        stats = source.pool_stats()
        assert stats.checked_out == 0, "a connection was not returned to the pool"


def test_find_where_order_take(ds: DataSource) -> None:
    posts = ds.get_repository(Post)
    found = posts.find(where={"status": "published"}, order={"publishedAt": "DESC"}, take=2)
    assert [p.slug for p in found] == ["dancing", "bernoulli"]
    found = posts.find(
        where=[{"status": "draft"}, {"viewCount": MoreThan(100)}], order={"id": "ASC"}
    )
    assert [p.id for p in found] == [1, 3]
    assert [p.id for p in posts.find(where={"title": ILike("%ENGINE%")})] == [1]
    assert [p.id for p in posts.find(where={"viewCount": Between(5, 80)}, order={"id": "ASC"})] == [
        2,
        3,
        6,
    ]
    assert [p.id for p in posts.find(where={"excerpt": Not(IsNull())}, order={"id": "ASC"})] == [
        1,
        3,
        6,
    ]


def test_find_one_variants(ds: DataSource) -> None:
    users = ds.get_repository(User)
    ada = users.find_one(where={"username": "ada"}, relations={"profile": True})
    assert ada is not None and ada.profile is not None and ada.profile.home_city == "London"
    assert users.find_one_by({"id": 4}) is None  # soft-deleted
    assert users.find_one(where={"id": 4}, with_deleted=True) is not None
    with pytest.raises(EntityNotFound, match="User"):
        users.find_one_or_fail(where={"id": 99})
    with pytest.raises(FindOptionsError, match="selection conditions"):
        users.find_one()


def test_pagination_counts_entities_not_joined_rows(ds: DataSource) -> None:
    posts = ds.get_repository(Post)
    page, total = posts.find_and_count(
        relations={"comments": True, "tags": True}, order={"id": "ASC"}, take=2
    )
    assert [p.id for p in page] == [1, 2] and total == 5
    assert sorted(c.id for c in page[0].comments) == [1, 2, 3]
    by_query = posts.find(
        relations={"comments": True}, relation_load_strategy="query", order={"id": "ASC"}, take=2
    )
    assert [len(p.comments) for p in by_query] == [len(p.comments) for p in page]


def test_select_with_deleted_and_eager(ds: DataSource) -> None:
    posts = ds.get_repository(Post)
    rows = posts.find(select={"id": True, "title": True}, order={"id": "ASC"})
    assert set(to_record(rows[0]) or {}) == {"id", "title"}
    assert posts.count() == 5 and posts.count(with_deleted=True) == 6
    comments = ds.get_repository(Comment)
    eager = comments.find_one_by({"id": 1})
    assert eager is not None and "author" in (to_record(eager) or {})
    lazy = comments.find(where={"id": 1}, load_eager_relations=False)
    assert "author" not in (to_record(lazy[0]) or {})
    assert posts.exists_by({"slug": "bernoulli"}) and not posts.exists_by({"slug": "old-news"})
    assert posts.find(where={"author": {"username": "bob"}}, order={"id": "ASC"})[0].id == 3
    assert [p.id for p in posts.find(where={"tags": {"name": "math"}}, order={"id": "ASC"})] == [
        1,
        2,
    ]


def test_save_inserts_updates_and_writes_back(ds: DataSource) -> None:
    posts = ds.get_repository(Post)
    post = posts.create(
        title="New",
        slug="new",
        body="b",
        author={"id": 2},
        seo={"metaTitle": "M"},
        comments=[{"body": "first"}],
        tags=[{"name": "fresh", "label": "Fresh"}],
    )
    posts.save(post)
    assert post.id == 7 and post.version == 1 and post.status == "draft" and post.viewCount == 0
    assert (
        post.createdAt is not None
        and post.comments[0].id is not None
        and post.tags[0].id is not None
    )
    before = post.updatedAt
    update = posts.create(id=7, title="Renamed")
    posts.save(update)
    assert update.version == 2 and update.updatedAt >= before
    stored = posts.find_one_by_or_fail({"id": 7})
    assert stored.title == "Renamed" and stored.slug == "new" and stored.seo_metaTitle == "M"


def test_primitive_writes(ds: DataSource) -> None:
    tags = ds.get_repository(Tag)
    result = tags.insert([{"name": "a1", "label": "A"}, {"name": "a2", "label": "B"}])
    assert [i["id"] for i in result.identifiers if i] == [4, 5]
    upserted = tags.upsert(
        [{"name": "math", "label": "Maths"}, {"name": "z", "label": "Z"}], ["name"]
    )
    assert [i["id"] for i in upserted.identifiers if i] == [1, 7]  # the conflict used up 6
    assert tags.find_one_by_or_fail({"name": "math"}).label == "Maths"
    posts = ds.get_repository(Post)
    assert posts.update({"status": "draft"}, {"excerpt": "x"}).affected == 1
    assert posts.find_one_by_or_fail({"id": 3}).version == 2  # update bumps the version
    assert posts.increment({"id": 1}, "viewCount", 5).affected == 1
    assert posts.decrement(In([1, 2]) and [1, 2], "viewCount", 1).affected == 2
    assert posts.find_one_by_or_fail({"id": 1}).viewCount == 124
    assert posts.soft_delete(2).affected == 1 and posts.count() == 4
    assert posts.restore({"id": 2}).affected == 1 and posts.count() == 5
    users = ds.get_repository(User)
    cyd = users.create(id=3)
    users.soft_remove(cyd)
    assert cyd.deletedAt is not None and users.find_one_by({"id": 3}) is None
    users.recover(cyd)
    assert cyd.deletedAt is None and users.find_one_by({"id": 3}) is not None
    assert ds.get_repository(Comment).delete({"isApproved": False}).affected == 2
    assert ds.query('select count(*) as n from comment where "postId" = $1', [1]) == [{"n": 2}]
    with pytest.raises(FindOptionsError, match="Empty criteria"):
        posts.delete({})
    with pytest.raises(FindOptionsError, match="not a number"):
        posts.increment({"id": 1}, "viewCount", "many")


def test_errors_are_typed_and_name_the_constraint(ds: DataSource) -> None:
    with pytest.raises(UniqueViolation) as unique:
        ds.get_repository(Tag).insert({"name": "math", "label": "again"})
    assert (
        unique.value.table == "tag" and unique.value.constraint == "UQ_6a9775008add570dc3e5a0bab7b"
    )
    assert unique.value.__cause__ is not None and isinstance(unique.value, OrmError)
    with pytest.raises(ForeignKeyViolation) as fk:
        ds.get_repository(Comment).insert({"body": "x", "post": {"id": 999}})
    assert fk.value.constraint == "FK_94a85bb16d24033a2afdd5df060"
    with pytest.raises(NotNullViolation) as nn:
        ds.get_repository(Post).insert({"title": "t", "slug": "s", "body": "b"})
    assert nn.value.column == "authorId"
    with pytest.raises(CheckViolation) as check:
        ds.get_repository(PostRating).update(1, {"rating": 9})
    assert check.value.constraint == "CHK_7f513e97ce551fe66326e0f3fe"
    with pytest.raises(UnknownProperty, match="nope"):
        ds.get_repository(Profile).find(where={"home": {"nope": 1}})
    with pytest.raises(FindOptionsError, match="Null value"):
        ds.get_repository(Post).find(where={"title": None})


def test_statement_timeout_raises_query_timeout(blog: SchemaDatabase) -> None:
    with DataSource(blog.url, size=1, statement_timeout=0.05) as slow:
        with pytest.raises(QueryTimeout):
            slow.query("select pg_sleep(2)")
        assert slow.query("select 1 as one") == [{"one": 1}]


def test_locks(ds: DataSource) -> None:
    posts = ds.get_repository(Post)
    with pytest.raises(PessimisticLockTransactionRequired):
        posts.find(where={"id": 1}, lock={"mode": "pessimistic_write"})
    with ds.transaction() as m:
        assert m.get_repository(Post).find(where={"id": 1}, lock={"mode": "pessimistic_write"})
    with pytest.raises(OptimisticLockVersionMismatch):
        posts.find_one(
            where={"id": 5}, with_deleted=True, lock={"mode": "optimistic", "version": 1}
        )
    with pytest.raises(FindOptionsError, match="optimistic"):
        posts.find(where={"id": 1}, lock={"mode": "optimistic", "version": 1})


def test_transactions_commit_roll_back_and_nest(ds: DataSource) -> None:
    tags = ds.get_repository(Tag)
    with ds.transaction() as m:
        m.get_repository(Tag).insert({"name": "t1", "label": "kept"})
        with pytest.raises(UniqueViolation), m.transaction() as inner:
            inner.get_repository(Tag).insert({"name": "t1", "label": "dup"})
        m.get_repository(Tag).insert({"name": "t2", "label": "kept too"})
    assert tags.count_by({"name": In(["t1", "t2"])}) == 2
    with pytest.raises(RuntimeError), ds.transaction() as m:
        m.get_repository(Tag).insert({"name": "t3", "label": "gone"})
        raise RuntimeError("abort")
    assert not tags.exists_by({"name": "t3"})
    level = ds.transaction(
        lambda m: m.query("select current_setting('transaction_isolation') as l"),
        isolation="SERIALIZABLE",
    )
    assert level == [{"l": "serializable"}]


def test_repository_factory_is_cached_across_threads(ds: DataSource) -> None:
    seen: list[object] = []
    threads = [
        threading.Thread(target=lambda: seen.append(ds.get_repository(Post))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is seen[0] for r in seen)
    stats = ds.pool_stats()
    assert stats.checkouts_total == stats.checkins_total


def test_an_unreachable_server_is_a_connection_error() -> None:
    ds = DataSource("postgresql://nobody:secret@127.0.0.1:1/none", size=1, timeout=1)
    with ds, pytest.raises(ConnectionFailed) as failed:
        ds.get_repository(Tag).count()
    assert "secret" not in str(failed.value)
