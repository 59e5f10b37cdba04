"""The fast paths step aside for listeners, subscribers and transformers
(`guard.hooks_apply`): a find or save they would take runs the hooks all the same.
(Where the hooks run is compared with TypeORM in test_compare_hooks.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from ormshift.orm import (
    DataSource,
    EntitySubscriber,
    InsertEvent,
    LoadEvent,
    RemoveEvent,
    UpdateEvent,
    plain_find,
)
from ormshift.orm.errors import QueryFailed
from ormshift.orm.operators import Any_, In
from tests.models.blog import Comment, Post
from tests.models.db import BLOG_SEED, SchemaDatabase
from tests.models.hooks import Account, Base, Entry, EventLog


class Recorder(EntitySubscriber):
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def after_load(self, entity: Any, event: LoadEvent) -> None:
        self.seen.append(("after_load", entity.id))

    def before_insert(self, event: InsertEvent) -> None:
        self.seen.append(("before_insert", type(event.entity).__name__))


@pytest.fixture
def url(fresh_db: str) -> str:
    with DataSource(fresh_db) as ds:
        Base.metadata.create_all(ds.engine)
        ds.query(
            "insert into account (id, handle, email, code, revision)"
            " values ('acc_a', 'ann', 'a@x', 'Q-A', 0)"
        )
    return fresh_db


def test_a_plain_find_runs_the_listeners_and_the_subscribers(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[object] = []
    real = plain_find.load
    monkeypatch.setattr(
        "ormshift.orm.manager.plain_load", lambda *a, **k: used.append(a) or real(*a, **k)
    )
    recorder = Recorder()
    with DataSource(url, subscribers=[recorder]) as ds:
        found = ds.get_repository(Account).find_one_by({"code": "q"})
    assert found is not None and found.initials == "AN"  # the @after_load listener ran
    assert found.code == "q"  # read back through both transformers, last first
    assert recorder.seen == [("after_load", "acc_a")]
    assert used == []  # the plain path stepped aside


def test_listeners_alone_send_a_find_and_a_save_the_generic_way(url: str) -> None:
    with DataSource(url) as ds:
        accounts = ds.get_repository(Account)
        found = accounts.find_one_by({"id": "acc_a"})
        assert found is not None and found.initials == "AN"
        saved = accounts.save(accounts.create({"handle": "Bo", "email": "BO@X"}))
        assert (saved.id, saved.email, saved.note) == ("acc_Bo", "bo@x", "inserted")
        row = ds.query("select id, email, note from account where id = 'acc_Bo'")
        assert row == [{"id": "acc_Bo", "email": "bo@x", "note": None}]


def test_insert_tells_subscribers_the_values_not_the_listeners(url: str) -> None:
    recorder = Recorder()
    with DataSource(url, subscribers=[recorder]) as ds:
        ds.get_repository(Account).insert({"id": "acc_c", "handle": "cy", "email": "C@X"})
        ds.get_repository(EventLog).insert({"event": "x"})
        row = ds.query("select email from account where id = 'acc_c'")
    assert row == [{"email": "C@X"}]  # make_key (a listener) did not run
    assert recorder.seen == [("before_insert", "dict"), ("before_insert", "dict")]


class Stamper(EntitySubscriber):
    """Sets a column in every update's values, as AccountSubscriber does."""

    def before_update(self, event: UpdateEvent) -> None:
        if isinstance(event.entity, dict):
            event.entity["displayName"] = "~"


def test_an_increment_writes_what_a_before_update_subscriber_adds(url: str) -> None:
    # TypeORM's increment is an update builder whose values object the subscriber is
    # given: what it adds there is in the UPDATE, with the step
    with DataSource(url, subscribers=[Stamper()]) as ds:
        ds.get_repository(Account).increment({"id": "acc_a"}, "revision", 2)
        ds.get_repository(Account).decrement({"id": "acc_a"}, "revision", 5)
        row = ds.query("select revision, \"displayName\" from account where id = 'acc_a'")
    assert row == [{"revision": -3, "displayName": "~"}]


class Keys(EntitySubscriber):
    """The properties an EventLog holds when it is told of it, in order (as Object.keys)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[str]]] = []

    def before_update(self, event: UpdateEvent) -> None:
        self.seen.append(("before", [k for k in vars(event.entity) if not k.startswith("_")]))

    def after_update(self, event: UpdateEvent) -> None:
        self.seen.append(("after", [k for k in vars(event.entity) if not k.startswith("_")]))


def test_create_and_save_set_the_properties_in_the_metadatas_order(url: str) -> None:
    # TypeORM's create copies the columns in the metadata's order, whatever the order
    # given, and after the update sets the nullable ones left undefined, in that order
    keys = Keys()
    with DataSource(url, subscribers=[keys]) as ds:
        logs = ds.get_repository(EventLog)
        logs.insert({"event": "a"})
        logs.save(logs.create({"id": 1, "detail": "d", "event_": "b"}))
        logs.save(logs.create({"id": 1, "event_": "c"}))
    assert keys.seen == [
        ("before", ["id", "event_", "detail"]),
        ("after", ["id", "event_", "detail", "entity"]),
        ("before", ["id", "event_"]),
        ("after", ["id", "event_", "entity", "detail"]),
    ]


def test_any_sends_its_whole_array_through_the_transformers(url: str) -> None:
    # TypeORM's FindOperator.transformValue maps only In's and Between's values one by
    # one: Any's array is given to the transformers whole, and what they make of it is
    # the parameter (["q"] + "-a" is the text "q-a", upper-cased: no array)
    with DataSource(url) as ds:
        accounts = ds.get_repository(Account)
        assert [a.id for a in accounts.find(where={"code": In(["q"])})] == ["acc_a"]
        with pytest.raises(QueryFailed) as failed:
            accounts.find(where={"code": Any_(["q"])})
        assert failed.value.sqlstate == "22P02"  # malformed array literal: "Q-A"
        with pytest.raises(TypeError):
            accounts.find(where={"nickname": Any_(["q"])})  # an array has no trim
        assert [a.id for a in accounts.find(where={"email": Any_(["a@x"])})] == ["acc_a"]


def test_a_refused_page_aborts_the_transaction_around_it(url: str) -> None:
    # TypeORM sends the paginated query whose page selects a key the find left out, and
    # PostgreSQL's refusal aborts the transaction (a subscriber's rollback event query
    # then fails too): ormshift's refusal comes from the database as well
    with (
        DataSource(url) as ds,
        pytest.raises(QueryFailed) as after,
        ds.transaction() as manager,
    ):
        with pytest.raises(QueryFailed) as refused:
            manager.get_repository(Entry).find_one(
                relations={"account": True}, select={"amount": True}, where={"id": 1}
            )
        assert refused.value.sqlstate == "42703"
        manager.query("select 1")
    assert after.value.sqlstate == "25P02"


class Removals(EntitySubscriber):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, Any, Any, Any]] = []

    def before_remove(self, event: RemoveEvent) -> None:
        self.seen.append(
            ("before", event.target.__name__, event.entity, event.database_entity, event.entity_id)
        )

    def after_remove(self, event: RemoveEvent) -> None:
        self.seen.append(
            ("after", event.target.__name__, event.entity, event.database_entity, event.entity_id)
        )


def test_an_orphan_deleted_by_a_save_is_told_by_its_key(blog: SchemaDatabase) -> None:
    """TypeORM deletes a comment dropped from a saved post's comments (Comment.post is
    NOT NULL: OneToManySubjectBuilder cannot nullify it) as a subject built from its key
    alone: its remove events carry no entity and no database entity, only the key
    (Broadcaster.broadcastBeforeRemoveEvent / AfterRemoveEvent; compared with TypeORM
    for the rows themselves in tests/scenarios/fid-writes-orphans.yaml)."""
    removals = Removals()
    with DataSource(blog.reset(BLOG_SEED), subscribers=[removals]) as ds:
        ds.get_repository(Post).save(ds.get_repository(Post).create({"id": 3, "comments": []}))
        left = [c.id for c in ds.get_repository(Comment).find(where={"post": {"id": 3}})]
    assert left == []
    assert removals.seen == [
        ("before", "Comment", None, None, 4),
        ("after", "Comment", None, None, 4),
    ]
