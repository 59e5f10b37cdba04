"""Plain finds (`orm/plain_find.py`) give what the session path gives: the same
entities, in the same order, in the same state; and they step aside whenever the
session path would do something they do not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, inspect
from sqlalchemy.orm.exc import DetachedInstanceError

import ormshift.orm.manager as manager_module
from ormshift.orm import (
    Between,
    DataSource,
    ILike,
    In,
    IsNull,
    LessThan,
    MoreThan,
    Not,
    OrmError,
    to_record,
)
from tests.models.blog import Comment, Post, PostRating, Profile, Tag, User
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase


@pytest.fixture
def ds(blog: SchemaDatabase) -> Iterator[DataSource]:
    with DataSource(blog.reset(SEED), size=4, overflow=2, timeout=5) as source:
        yield source
        assert source.pool_stats().checked_out == 0, "a connection was not returned"


class Spy:
    """Counts the finds the plain path served and the ones it handed back."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.served = 0
        self.declined = 0
        real = manager_module.plain_load

        def load(*args: Any) -> Any:
            found = real(*args)
            if found is None:
                self.declined += 1
            else:
                self.served += 1
            return found

        monkeypatch.setattr(manager_module, "plain_load", load)


def generic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manager_module, "is_plain", lambda *_: False)


def state_of(obj: Any) -> dict[str, Any]:
    """What SQLAlchemy knows about a loaded entity, beyond its values."""
    state = inspect(obj)
    return {
        "type": type(obj),
        "key": state.key,
        "identity_token": state.identity_token,
        "load_path": state.load_path,
        "load_options": tuple(state.load_options),
        "committed": dict(state.committed_state),
        "expired": set(state.expired_attributes),
        "callables": dict(state.callables),
        "modified": state.modified,
        "detached": state.detached,
        "unloaded": set(state.unloaded),
        "values": to_record(obj),
    }


# (entity, options, which path serves them: "plain", "declined" by the plain path once it
# has looked at the statement (expanding parameters), or "session" from the start)
SHAPES: list[tuple[type[Any], dict[str, Any], str]] = [
    (Post, {}, "plain"),
    (Post, {"where": {"status": "published"}, "order": {"publishedAt": "DESC"}}, "plain"),
    (
        Post,
        {"where": {"viewCount": MoreThan(10)}, "order": {"id": "ASC"}, "skip": 1, "take": 2},
        "plain",
    ),
    (
        Post,
        {"order": {"publishedAt": {"direction": "ASC", "nulls": "FIRST"}, "id": "DESC"}},
        "plain",
    ),
    (Post, {"order": {"excerpt": {"direction": "desc", "nulls": "last"}, "id": "ASC"}}, "plain"),
    (Post, {"with_deleted": True, "order": {"id": "ASC"}}, "plain"),
    (Post, {"withDeleted": True, "where": {"status": "archived"}}, "plain"),
    (
        Post,
        {"where": [{"status": "draft"}, {"viewCount": LessThan(1)}], "order": {"id": "ASC"}},
        "plain",
    ),
    (Post, {"where": {"excerpt": Not(IsNull())}, "order": {"title": "ASC"}}, "plain"),
    (Post, {"where": {"viewCount": Between(5, 100), "title": ILike("%n%")}}, "plain"),
    (Post, {"where": {"seo": {"noIndex": True}}}, "plain"),
    (Post, {"where": {"author": {"username": "bob"}}, "order": {"id": "ASC"}}, "plain"),
    (
        Post,
        {"where": {"tags": {"name": "math"}}, "order": {"author": {"username": "DESC"}}},
        "plain",
    ),
    (Post, {"where": {"id": In([1, 2, 6])}, "order": {"id": "ASC"}}, "declined"),
    (Post, {"select": {"id": True, "title": True}, "order": {"id": "ASC"}}, "session"),
    (Post, {"relations": {"author": True}, "order": {"id": "ASC"}}, "session"),
    (User, {"order": {"lastLoginAt": {"direction": "DESC", "nulls": "LAST"}}}, "plain"),
    (
        User,
        {"with_deleted": True, "where": {"role": Not("admin")}, "order": {"id": "ASC"}},
        "plain",
    ),
    (Profile, {"where": {"home": {"city": "London"}}}, "plain"),
    (Profile, {"order": {"home": {"geo": {"latitude": "ASC"}}, "id": "ASC"}}, "plain"),
    (Tag, {"order": {"name": "ASC"}, "take": 2}, "plain"),
    (PostRating, {"order": {"rating": "DESC", "postId": "ASC", "userId": "ASC"}}, "plain"),
    (Comment, {"where": {"post": {"id": 1}}, "order": {"id": "ASC"}}, "session"),
    (Comment, {"order": {"id": "ASC"}, "load_eager_relations": False}, "session"),
]


def run(ds: DataSource, entity: type[Any], options: dict[str, Any]) -> list[dict[str, Any]]:
    repo = ds.get_repository(entity)
    found = repo.find(**options)
    return [state_of(obj) for obj in found]


@pytest.mark.parametrize(("entity", "options", "way"), SHAPES)
def test_same_entities_and_state_as_the_session(
    ds: DataSource,
    monkeypatch: pytest.MonkeyPatch,
    entity: type[Any],
    options: dict[str, Any],
    way: str,
) -> None:
    spy = Spy(monkeypatch)
    plain = [run(ds, entity, options) for _ in range(2)]  # built, then cached
    with monkeypatch.context() as m:
        generic(m)
        expected = run(ds, entity, options)
    assert plain[0] == expected
    assert plain[1] == expected
    assert expected, "a shape that finds nothing proves little"
    counts = {"plain": (2, 0), "declined": (0, 2), "session": (0, 0)}[way]
    assert (spy.served, spy.declined) == counts


def test_find_one_and_find_one_by(ds: DataSource, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    posts = ds.get_repository(Post)
    one = posts.find_one_by({"id": 2})
    assert one is not None and one.slug == "bernoulli" and one.status == "published"
    assert posts.find_one(where={"slug": "old-news"}) is None  # soft-deleted
    found = posts.find_one(where={"slug": "old-news"}, with_deleted=True)
    assert found is not None and found.version == 3
    assert spy.served == 3
    with monkeypatch.context() as m:
        generic(m)
        assert state_of(posts.find_one_by({"id": 2})) == state_of(one)


def test_lazy_relations_behave_as_on_the_session_path(
    ds: DataSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = ds.get_repository(Post)
    plain = posts.find_one_by({"id": 1})
    with monkeypatch.context() as m:
        generic(m)
        expected = posts.find_one_by({"id": 1})
    for obj in (plain, expected):
        assert obj is not None
        with pytest.raises(DetachedInstanceError):
            _ = obj.author
        with pytest.raises(DetachedInstanceError):
            _ = obj.tags
    # merged into a session, the lazy loader runs as for any detached entity
    assert plain is not None
    with ds.transaction() as m:
        session = m._session
        assert session is not None
        merged = session.merge(plain, load=False)
        assert merged.author.username == "ada"
        assert sorted(t.name for t in merged.tags) == ["eng", "math"]


def test_found_entities_save_and_remove_like_any(ds: DataSource) -> None:
    posts = ds.get_repository(Post)
    post = posts.find_one_by({"id": 3})
    assert post is not None and post.version == 1
    post.title = "Rebuilt"
    posts.save(post)
    assert post.version == 2
    again = posts.find_one_by({"id": 3})
    assert again is not None and (again.title, again.version) == ("Rebuilt", 2)
    assert again is not post  # a new entity per call, as a new session gives
    tag = ds.get_repository(Tag).find_one_by({"name": "art"})
    ds.get_repository(Tag).remove(tag)
    assert ds.get_repository(Tag).find_one_by({"name": "art"}) is None


def test_transactions_go_through_the_session_and_give_new_entities(
    ds: DataSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    with ds.transaction() as m:
        posts = m.get_repository(Post)
        first = posts.find_one_by({"id": 1})
        again = posts.find(where={"id": 1})[0]
        # TypeORM has no identity map: each find makes its own entities, detached
        # from the transaction's session (changing one writes nothing until saved)
        assert first is not None and first is not again and first.title == again.title
        assert inspect(first).detached and inspect(again).detached
        first.title = "not saved"
        assert posts.find_one_by({"id": 1}).title == again.title
    assert spy.served == 0 and spy.declined == 0


def test_errors_are_the_session_paths(ds: DataSource, monkeypatch: pytest.MonkeyPatch) -> None:
    posts = ds.get_repository(Post)
    bad: list[dict[str, Any]] = [
        {"where": {"status": "bogus"}},  # the Enum's bind processor refuses it
        {"where": {"viewCount": "many"}},  # the server refuses it
        {"where": {"title": None}},
    ]
    for options in bad:
        with pytest.raises(OrmError) as plain:
            posts.find(**options)
        with monkeypatch.context() as m:
            generic(m)
            with pytest.raises(OrmError) as expected:
                posts.find(**options)
        assert type(plain.value) is type(expected.value)
        assert str(plain.value) == str(expected.value)
    assert [p.id for p in posts.find(where={"status": "draft"})] == [3]  # pool is fine


def test_listeners_see_the_find(ds: DataSource, monkeypatch: pytest.MonkeyPatch) -> None:
    posts = ds.get_repository(Post)
    posts.find(where={"id": 1})  # the plan exists before anyone listens
    seen: list[str] = []

    def on_cursor(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(ds.engine, "before_cursor_execute", on_cursor)
    try:
        assert [p.id for p in posts.find(where={"id": 1})] == [1]
    finally:
        event.remove(ds.engine, "before_cursor_execute", on_cursor)
    assert len(seen) == 1 and "FROM post" in seen[0]

    orm_seen: list[Any] = []

    def on_orm(state: Any) -> None:
        orm_seen.append(state.statement)

    sessions = ds.manager._autocommit
    event.listen(sessions, "do_orm_execute", on_orm)
    try:
        assert [p.id for p in posts.find(where={"id": 2})] == [2]
    finally:
        event.remove(sessions, "do_orm_execute", on_orm)
    assert len(orm_seen) == 1

    loaded: list[int] = []

    def on_load(target: Any, _context: Any) -> None:
        loaded.append(target.id)

    event.listen(Post, "load", on_load)
    try:
        assert [p.id for p in posts.find(where={"id": 3})] == [3]
    finally:
        event.remove(Post, "load", on_load)
    assert loaded == [3]
    spy = Spy(monkeypatch)
    posts.find(where={"id": 1})
    assert spy.served == 1  # and back once they are gone
