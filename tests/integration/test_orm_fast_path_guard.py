"""The fast paths step aside whenever someone could tell: each condition that makes
SQLAlchemy do something per statement sends reads and writes alike through it.

Reads (`orm.plain_find`) and writes (`orm.write_cache`) share one guard
(`orm.guard`); for each condition, the same reads and writes are made and checked
against what plain SQLAlchemy does with that condition.
"""

from __future__ import annotations

import logging

import psycopg
import pytest
from sqlalchemy import event

from ormshift.orm import DataSource, plain_find, write_cache
from ormshift.orm.querybuilder import run
from tests.models.blog import Tag
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
    # (the query builder writes its own SQL text, which no schema_translate_map rewrites)
    assert found[:4] == [[("g0", "H0")], True, [("g1", "H1")], True]


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
