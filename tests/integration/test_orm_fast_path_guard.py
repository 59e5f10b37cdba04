"""The fast paths step aside whenever someone could tell: each condition that makes
SQLAlchemy do something per statement sends reads and writes alike through it.

Reads (`orm.plain_find`) and writes (`orm.write_cache`) share one guard
(`orm.guard`); for each condition, the same reads and writes are made and checked
against what plain SQLAlchemy does with that condition.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import event

from ormshift.orm import DataSource, plain_find, write_cache
from ormshift.orm.querybuilder import run, text_cache
from tests.models.blog import Post, Tag
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase


def _round(ds: DataSource) -> list[object]:
    """Writes and reads, each twice (the second one is the cached statement's)."""
    tags = ds.get_repository(Tag)
    out: list[object] = []
    for i in range(2):
        tags.insert({"name": f"g{i}", "label": "G"})
        tags.update({"name": f"g{i}"}, {"label": f"H{i}"})
        out.append(sorted((t.name, t.label) for t in tags.find(where={"label": f"H{i}"})))
        out.append(tags.find_one_by({"name": f"g{i}"}) is not None)
    tags.delete({"name": "g0"})
    for _ in range(2):  # a query builder's read, its text written once
        qb = tags.create_query_builder("tag").where("tag.label = :l", {"l": "H1"})
        out.append([t.name for t in qb.get_many()])
    return out


def test_a_schema_translate_map_sends_reads_and_writes_to_the_same_schema(
    blog: SchemaDatabase,
) -> None:
    """With the engine's statements rewritten to another schema, the rows written are
    in that schema and the reads read that schema (the write path used to write to the
    default schema while the reads read the other)."""
    url = blog.reset(SEED)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop schema if exists other cascade; create schema other")
        conn.execute("create table other.tag (like public.tag including all)")
    plain_find.clear()
    write_cache.clear()
    with DataSource(url) as ds:
        ds.engine.update_execution_options(schema_translate_map={None: "other"})
        found = _round(ds)
    with psycopg.connect(url) as conn:
        other = conn.execute("select name, label from other.tag order by name").fetchall()
        public = conn.execute("select count(*) from public.tag where name like 'g%'").fetchone()
        conn.execute("drop schema other cascade")
        conn.commit()
    assert other == [("g1", "H1")]
    assert public == (0,)
    # the query builder's reads too (its own SQL text, written in the map's schema)
    assert found == [[("g0", "H0")], True, [("g1", "H1")], True, ["g1"], ["g1"]]


def test_a_statement_listener_sees_every_read_and_write(blog: SchemaDatabase) -> None:
    plain_find.clear()
    write_cache.clear()
    seen: list[str] = []
    with DataSource(blog.reset(SEED)) as ds:
        event.listen(ds.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        _round(ds)
    assert sum(s.startswith("INSERT INTO tag") for s in seen) == 2
    assert sum(s.startswith("UPDATE tag") for s in seen) == 2
    assert sum(s.startswith("SELECT") and "FROM tag" in s for s in seen) == 4
    assert sum(s.startswith("DELETE FROM tag") for s in seen) == 1
    assert sum(s.startswith("SELECT") and 'FROM "tag" "tag"' in s for s in seen) == 2


def test_echo_logs_every_read_and_write(
    blog: SchemaDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    plain_find.clear()
    write_cache.clear()
    with DataSource(blog.reset(SEED), echo=True) as ds:
        caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
        caplog.clear()
        _round(ds)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    assert sum(m.startswith("INSERT INTO tag") for m in logged) == 2
    assert sum(m.startswith("UPDATE tag") for m in logged) == 2
    assert sum(m.startswith("SELECT") and "FROM tag" in m for m in logged) == 4
    assert sum(m.startswith("SELECT") and 'FROM "tag" "tag"' in m for m in logged) == 2


def test_with_nobody_watching_both_fast_paths_run(blog: SchemaDatabase) -> None:
    """The conditions above are what sends the statements through SQLAlchemy: without
    them the same round takes both fast paths (so the tests above can fail)."""
    plain_find.clear()
    write_cache.clear()
    direct: list[str] = []
    real = run.cursor_rows

    def spy(connection: object, sql: str, *args: object, **kw: object) -> object:
        direct.append(sql)
        return real(connection, sql, *args, **kw)  # type: ignore[arg-type]

    with DataSource(blog.reset(SEED)) as ds, pytest.MonkeyPatch.context() as patch:
        patch.setattr(run, "cursor_rows", spy)
        found = _round(ds)
    assert found == [[("g0", "H0")], True, [("g1", "H1")], True, ["g1"], ["g1"]]
    assert any(p is not None for p in plain_find._PLANS.values())
    assert any(d is not None for d in write_cache._DIRECT.values())
    # the query builder's reads went to the driver's cursor too
    assert sum('FROM "tag" "tag"' in s for s in direct) == 2


# -- the query builders under a schema_translate_map ---------------------------------

_BLOG_TABLES = ("user", "profile", "post", "comment", "tag", "post_tags_tag", "post_rating")


@pytest.fixture
def two_schemas(blog: SchemaDatabase) -> Iterator[str]:
    """The blog's tables twice: ``public`` seeded, ``other`` a copy whose texts say
    ``other``; the URL. Every statement a test counts on must hit ``other``."""
    url = blog.reset(SEED)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop schema if exists other cascade; create schema other")
        for table in _BLOG_TABLES:
            conn.execute(f'create table other."{table}" (like public."{table}" including all)')
            conn.execute(f'insert into other."{table}" select * from public."{table}"')
        conn.execute("update other.tag set label = 'other ' || label")
        conn.execute("update other.post set title = 'other ' || title")
        conn.execute('delete from other.post_tags_tag where "tagId" = 2')
    plain_find.clear()
    write_cache.clear()
    text_cache.clear()
    try:
        yield url
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema other cascade")


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


@contextmanager
def _translated(url: str) -> Iterator[DataSource]:
    with DataSource(url) as ds:
        ds.engine.update_execution_options(schema_translate_map={None: "other"})
        yield ds


def test_a_translated_select_builder_reads_the_other_schema(two_schemas: str) -> None:
    with _translated(two_schemas) as ds:
        tags = ds.get_repository(Tag)
        found = tags.find(order={"id": "ASC"})
        for _ in range(2):  # the second time from the builder's text cache
            qb = tags.create_query_builder("tag").order_by("tag.id")
            assert [t.label for t in qb.get_many()] == [t.label for t in found]
            assert qb.get_one().label == "other Mathematics"  # type: ignore[union-attr]
            assert [r["tag_label"] for r in qb.get_raw_many()][:1] == ["other Mathematics"]
            raw, entities = qb.get_raw_and_entities()
            assert len(raw) == len(entities) == 3
            assert [r["tag_label"] for r in qb.stream(batch=2)][-1] == "other Art"
            assert qb.get_count() == 3
            assert qb.where("tag.label LIKE 'other%'").get_exists()
            # joins: the junction table and the joined table are the other schema's too
            posts = (
                ds.create_query_builder(Post, "post")
                .inner_join_and_select("post.tags", "tag")
                .where("tag.name = :n", {"n": "eng"})
            )
            assert posts.get_many() == []  # other has no post tagged "eng"
            paged = (
                ds.create_query_builder(Post, "post")
                .left_join_and_select("post.tags", "tag")
                .order_by("post.id")
                .skip(0)
                .take(2)
            )
            page, count = paged.get_many_and_count()
            assert [p.title for p in page] == [
                "other Notes on the Engine",
                "other Bernoulli Numbers",
            ]
            assert [[t.label for t in p.tags] for p in page] == [["other Mathematics"]] * 2
            assert count == 5
            ids = (
                ds.create_query_builder(Tag, "tag")
                .load_relation_id_and_map("tag.postIds", "tag.posts")
                .where("tag.id = 2")
                .get_one()
            )
            assert ids.postIds == []  # type: ignore[union-attr]


def test_a_translated_insert_builder_writes_the_other_schema(two_schemas: str) -> None:
    with _translated(two_schemas) as ds:
        for i in range(2):
            qb = ds.create_query_builder(Tag, "tag").insert().into(Tag)
            qb.values({"name": f"n{i}", "label": "N"}).execute()
        upsert = ds.create_query_builder(Tag, "tag").insert().into(Tag)
        upsert.values({"name": "n0", "label": "U"}).or_update(["label"], ["name"]).execute()
    written = "select name, label from other.tag where name like 'n%' order by 1"
    assert _rows(two_schemas, written) == [
        ("n0", "U"),
        ("n1", "N"),
    ]
    assert _rows(two_schemas, "select count(*) from public.tag where name like 'n%'") == [(0,)]


def test_a_translated_update_builder_writes_the_other_schema(two_schemas: str) -> None:
    with _translated(two_schemas) as ds:
        for i in range(2):
            qb = ds.create_query_builder(Tag, "tag").update(Tag).set({"label": f"U{i}"})
            result = qb.where("name = :n", {"n": "math"}).returning(["label"]).execute()
            assert result.raw == [{"label": f"U{i}"}]
    assert _rows(two_schemas, "select label from other.tag where name = 'math'") == [("U1",)]
    assert _rows(two_schemas, "select label from public.tag where name = 'math'") == [
        ("Mathematics",)
    ]


def test_a_translated_delete_builder_deletes_from_the_other_schema(two_schemas: str) -> None:
    with _translated(two_schemas) as ds:
        for name in ("math", "art"):
            qb = ds.create_query_builder(Tag, "tag").delete().from_(Tag)
            assert qb.where("name = :n", {"n": name}).execute().affected == 1
    assert _rows(two_schemas, "select name from other.tag") == [("eng",)]
    assert _rows(two_schemas, "select count(*) from public.tag") == [(3,)]


def test_a_translated_soft_delete_builder_writes_the_other_schema(two_schemas: str) -> None:
    with _translated(two_schemas) as ds:
        for slug in ("notes-engine", "bernoulli"):
            qb = ds.create_query_builder(Post, "post").soft_delete().from_(Post)
            assert qb.where("slug = :s", {"s": slug}).execute().affected == 1
        back = ds.create_query_builder(Post, "post").restore().from_(Post)
        assert back.where("slug = :s", {"s": "bernoulli"}).execute().affected == 1
    deleted = 'select slug from {}.post where "deletedAt" is not null order by id'
    assert _rows(two_schemas, deleted.format("other")) == [("notes-engine",), ("old-news",)]
    assert _rows(two_schemas, deleted.format("public")) == [("old-news",)]


def test_a_translated_relation_builder_writes_and_reads_the_other_schema(two_schemas: str) -> None:
    with _translated(two_schemas) as ds:
        rel = ds.create_query_builder(Post, "post").relation(Post, "tags")
        rel.of(3).add(3)  # a junction row
        rel.of(1).remove(1)
        ds.create_query_builder(Post, "post").relation(Post, "author").of(6).set(2)
        loaded = ds.create_query_builder(Post, "post").relation(Post, "tags").of(3).load_many()
        assert [t.label for t in loaded] == ["other Art"]  # type: ignore[attr-defined]
    junction = 'select "postId", "tagId" from {}.post_tags_tag order by 1, 2'
    assert _rows(two_schemas, junction.format("other")) == [(2, 1), (3, 3), (6, 3)]
    assert _rows(two_schemas, junction.format("public")) == [(1, 1), (1, 2), (2, 1), (3, 2), (6, 3)]
    author = 'select "authorId" from {}.post where id = 6'
    assert _rows(two_schemas, author.format("other")) == [(2,)]
    assert _rows(two_schemas, author.format("public")) == [(3,)]
