"""Cached write statements run on the driver's cursor, or through SQLAlchemy when a
connection has listeners or echo: both give the same results and the same errors."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from ormshift.orm import (
    DataSource,
    ForeignKeyViolation,
    In,
    OrmError,
    UniqueViolation,
    write_cache,
)
from tests.models.blog import Comment, Post, Tag
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase


def writes(ds: DataSource) -> list[Any]:
    """A run of writes, twice each so that the second one uses the cached statement."""
    out: list[Any] = []
    tags, posts, comments = (ds.get_repository(e) for e in (Tag, Post, Comment))
    for round_ in range(2):
        out.append(tags.insert({"name": f"w{round_}", "label": "W"}).identifiers)
        out.append(
            tags.upsert(
                [{"name": f"w{round_}", "label": "X"}, {"name": "math", "label": "M"}], ["name"]
            )
        )
        out.append(posts.update(1, {"excerpt": f"e{round_}"}).affected)
        out.append(posts.update([1, 2], {"excerpt": f"f{round_}"}).affected)
        out.append(posts.increment({"id": 1}, "viewCount", 2).affected)
        out.append(posts.decrement({"status": "published"}, "viewCount", 1.5).affected)
        with ds.transaction() as m:
            body = {"body": f"c{round_}", "post": {"id": 1}}
            out.append(m.get_repository(Comment).insert(body).identifiers)
            out.append(m.get_repository(Tag).delete({"name": f"w{round_}"}).affected)
            with pytest.raises(UniqueViolation), m.transaction() as inner:
                inner.get_repository(Tag).insert({"name": "math", "label": "dup"})
            out.append(m.get_repository(Post).update({"slug": "nope"}, {"title": "t"}).affected)
        with pytest.raises(ForeignKeyViolation):
            comments.insert({"body": "orphan", "post": {"id": 999}})
    out.append([(p.id, p.excerpt, p.viewCount, p.version) for p in posts.find(order={"id": "ASC"})])
    out.append([(t.id, t.name, t.label) for t in tags.find(order={"id": "ASC"})])
    out.append(sorted(c.body for c in comments.find()))
    return out


def normalised(results: list[Any]) -> list[Any]:
    return [
        (
            r.identifiers,
            [{k: v for k, v in g.items() if k != "updatedAt"} for g in r.generated_maps],
        )
        if hasattr(r, "generated_maps")
        else r
        for r in results
    ]


def test_the_driver_path_and_sqlalchemy_path_agree(blog: SchemaDatabase) -> None:
    write_cache.clear()
    with DataSource(blog.reset(SEED)) as ds:
        direct = normalised(writes(ds))
    assert any(found is not None for found in write_cache._DIRECT.values())  # it was used
    seen: list[str] = []
    with DataSource(blog.reset(SEED)) as ds:
        event.listen(ds.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        through_sqlalchemy = normalised(writes(ds))
        assert ds.pool_stats().checked_out == 0
    assert direct == through_sqlalchemy
    # with a listener every write went through SQLAlchemy, where the listener saw it
    assert sum(s.startswith("UPDATE post") for s in seen) == 10
    assert sum(s.startswith("INSERT INTO tag") for s in seen) >= 6


def test_column_arrays_carry_any_text_and_nulls(blog: SchemaDatabase) -> None:
    awkward = ["a,b", 'q"uote', "back\\slash", "{brace}", "NULL", "", "ünï😀", " lead", "x y"]
    with DataSource(blog.reset(SEED)) as ds:
        tags = ds.get_repository(Tag)
        rows = [{"name": f"t{i}", "label": label} for i, label in enumerate(awkward)]
        inserted = tags.insert(rows)
        assert len(inserted.identifiers) == len(awkward)
        tags.upsert([{**r, "label": r["label"] + "!"} for r in rows], ["name"])
        found = {t.name: t.label for t in tags.find()}
        assert [found[f"t{i}"] for i in range(len(awkward))] == [a + "!" for a in awkward]
        comments = ds.get_repository(Comment)
        made = comments.insert(
            [{"body": "one", "post": {"id": 1}}, {"body": "two", "post": {"id": 2}}]
        )
        ids = [i["id"] for i in made.identifiers if i]
        assert {(c.body, c.postId) for c in comments.find_by({"id": In(ids)})} == {
            ("one", 1),
            ("two", 2),
        }


def test_a_connection_the_server_dropped_leaves_the_pool(blog: SchemaDatabase) -> None:
    with DataSource(blog.reset(SEED), size=1, overflow=0) as ds:
        tags = ds.get_repository(Tag)
        assert tags.delete({"name": "none"}).affected == 0  # cached from here on
        pid = ds.query("select pg_backend_pid() as pid")[0]["pid"]
        with psycopg.connect(blog.url, autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(%s)", (pid,))
        with pytest.raises(OrmError):
            tags.delete({"name": "none"})
        assert tags.delete({"name": "none"}).affected == 0  # on a new connection
        assert ds.query("select pg_backend_pid() as pid")[0]["pid"] != pid
        assert ds.pool_stats().connections_total == 2
