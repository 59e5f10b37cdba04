"""ormshift.orm vs TypeORM vs raw psycopg on one database, in one run.

    .venv/bin/python benchmarks/orm/run.py [--dsn URL] [--runs N] [--only TEXT]

Creates a scratch database on the server (``--dsn``, else ``$ORMSHIFT_TEST_DSN``), lets
TypeORM create the blog corpus schema, seeds it, then times ten workloads (``--only``:
those whose name contains the text; the three query-builder ones start with ``qb:``) on each
side, one after the other, single-threaded: TypeORM in the sidecar (timed inside Node,
so the pipe is not counted), ormshift.orm in-process, and hand-written SQL through one
psycopg connection (the floor: no ORM, no pool). Prints a Markdown table and writes
``results.json`` beside this file, with the load averages when the timing began and
ended (the machine is shared: say them beside any figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ormshift.compare.latency import summarize  # noqa: E402
from ormshift.compare.sidecar import Sidecar  # noqa: E402
from ormshift.extract.typeorm import sync_project  # noqa: E402
from ormshift.orm import DataSource, MoreThan  # noqa: E402
from tests.models.blog import Comment, Post, Tag  # noqa: E402

PROJECT = ROOT / "tests" / "corpus" / "blog"
WARMUP = 20
ROUNDS = 6

SEED = [
    """insert into "user" (email, username, "displayName", version)
       select 'u' || i || '@example.org', 'u' || i, 'User ' || i, 1
       from generate_series(1, 200) i""",
    """insert into post (title, slug, body, status, "publishedAt", "viewCount", version, "authorId")
       select 'Post ' || i, 'post-' || i, repeat('body ', 40),
              (array['draft','published','published','archived'])[1 + i % 4]::post_status_enum,
              timestamptz '2024-01-01' + i * interval '1 hour', i % 500, 1, 1 + i % 200
       from generate_series(1, 5000) i""",
    "insert into tag (name, label) select 'tag' || i, 'Tag ' || i from generate_series(1, 50) i",
    """insert into post_tags_tag ("postId", "tagId")
       select p, 1 + (p * 7 + k) % 50 from generate_series(1, 5000) p, generate_series(0, 2) k""",
    """insert into comment (body, "postId", "authorId")
       select 'comment ' || i, 1 + i % 5000, 1 + i % 200 from generate_series(1, 20000) i""",
]

PAGE_SQL = """select * from post where status = 'published' and "viewCount" > %s
  and "deletedAt" is null order by "publishedAt" desc offset 40 limit 20"""
# the two statements TypeORM sends for the query builder's page of 20 with a join (read
# off its logger): the page's distinct keys, then the page's rows and their authors
_POST_COLUMNS = [
    "id",
    "title",
    "slug",
    "body",
    "excerpt",
    "status",
    "publishedAt",
    "viewCount",
    "createdAt",
    "updatedAt",
    "deletedAt",
    "version",
    "authorId",
    "metaTitle",
    "metaDescription",
    "noIndex",
]
_USER_COLUMNS = [
    "id",
    "email",
    "username",
    "displayName",
    "role",
    "lastLoginAt",
    "createdAt",
    "updatedAt",
    "deletedAt",
    "version",
]
_PAGE_SELECT = (
    "SELECT "
    + ", ".join(f'"post"."{c}" AS "post_{c}"' for c in _POST_COLUMNS)
    + ", "
    + ", ".join(f'"author"."{c}" AS "author_{c}"' for c in _USER_COLUMNS)
    + ' FROM "post" "post" LEFT JOIN "user" "author" ON "author"."id"="post"."authorId"'
    ' AND ("author"."deletedAt" IS NULL) WHERE ( "post"."status" = %s )'
    ' AND ( "post"."deletedAt" IS NULL )'
)
PAGE_KEYS_SQL = (
    'SELECT DISTINCT "distinctAlias"."post_id" AS "ids_post_id",'
    f' "distinctAlias"."post_publishedAt" FROM ({_PAGE_SELECT}) "distinctAlias"'
    ' ORDER BY "distinctAlias"."post_publishedAt" DESC, "post_id" ASC LIMIT 20 OFFSET 40'
)
PAGE_JOINED_SQL = _PAGE_SELECT + ' AND ( "post"."id" IN ({}) ) ORDER BY "post"."publishedAt" DESC'
AGGREGATE_SQL = """select u.username, count(p.id) as posts, sum(p."viewCount") as views
  from post p join "user" u on u.id = p."authorId" and u."deletedAt" is null
  where p."deletedAt" is null group by u.username having sum(p."viewCount") > %s
  order by views desc"""
RELATIONS_SQL = """select p.*, u.*, t.* from post p
  join "user" u on u.id = p."authorId" and u."deletedAt" is null
  left join post_tags_tag pt on pt."postId" = p.id left join tag t on t.id = pt."tagId"
  where p.id = %s and p."deletedAt" is null"""


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def timed(fn: Callable[[int], Any], runs: int, offset: int) -> list[float]:
    for i in range(WARMUP):
        fn(offset + i)
    out = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(offset + WARMUP + i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def take_turns(*sides: Callable[[int, int], list[float]], runs: int) -> tuple[list[float], ...]:
    """Each side's samples; the sides take turns in rounds (rotating who goes first), so
    that drift on a shared machine favours none of them."""
    samples: list[list[float]] = [[] for _ in sides]
    per_round = runs // ROUNDS
    for r in range(ROUNDS):
        order = list(range(len(sides)))
        order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            samples[i].extend(sides[i](per_round, r))
    return tuple(samples)


def ormshift_workloads(ds: DataSource) -> dict[str, Callable[[int], Any]]:
    posts, tags, comments = (
        ds.get_repository(Post),
        ds.get_repository(Tag),
        ds.get_repository(Comment),
    )

    def transaction(i: int) -> None:
        with ds.transaction() as m:
            m.get_repository(Tag).insert({"name": f"py-tx-{i}", "label": "tx"})
            m.get_repository(Post).update(42, {"excerpt": f"py {i}"})
            m.get_repository(Post).increment({"id": 42}, "viewCount", 1)
            m.get_repository(Comment).insert({"body": f"py {i}", "post": {"id": 42}})
            m.get_repository(Tag).delete({"name": f"py-tx-{i}"})

    return {
        "find-one by primary key": lambda i: posts.find_one_by({"id": 1 + i % 5000}),
        "filtered, ordered page of 20": lambda i: posts.find(
            where={"status": "published", "viewCount": MoreThan(10)},
            order={"publishedAt": "DESC"},
            skip=40,
            take=20,
        ),
        "find with two relations joined": lambda i: posts.find(
            where={"id": 1 + i % 5000}, relations={"author": True, "tags": True}
        ),
        "save (insert)": lambda i: comments.save(
            comments.create(body=f"py {i}", post={"id": 7}, author={"id": 3})
        ),
        "save (update)": lambda i: posts.save(posts.create(id=11, title=f"py {i}")),
        "upsert of 100": lambda i: tags.upsert(
            [{"name": f"up{k}", "label": f"py {i}"} for k in range(100)], ["name"]
        ),
        "transaction of 5 writes": transaction,
        "qb: join-and-select page of 20": lambda i: (
            posts.create_query_builder("post")
            .left_join_and_select("post.author", "author")
            .where("post.status = :status", {"status": "published"})
            .order_by("post.publishedAt", "DESC")
            .skip(40)
            .take(20)
            .get_many()
        ),
        "qb: grouped aggregate with having": lambda i: (
            posts.create_query_builder("post")
            .inner_join("post.author", "author")
            .select("author.username", "username")
            .add_select("COUNT(post.id)", "posts")
            .add_select("SUM(post.viewCount)", "views")
            .group_by("author.username")
            .having("SUM(post.viewCount) > :min", {"min": 6000})
            .order_by("views", "DESC")
            .get_raw_many()
        ),
        "qb: insert ... or_update of 100": lambda i: (
            tags.create_query_builder("tag")
            .insert()
            .values([{"name": f"qb{k}", "label": f"py {i}"} for k in range(100)])
            .or_update(["label"], ["name"])
            .execute()
        ),
    }


def typeorm_requests() -> dict[str, dict[str, Any]]:
    def tx_step(op: str, entity: str, *args: Any) -> dict[str, Any]:
        return {"op": op, "entity": entity, "args": list(args)}

    def qb(entity: str, alias: str, *chain: list[Any]) -> dict[str, Any]:
        """A query-builder chain as the sidecar runs it: the repository's builder."""
        return {"op": "qb", "entity": entity, "args": [{"alias": alias, "chain": list(chain)}]}

    return {
        "find-one by primary key": tx_step("findOneBy", "Post", {"id": 1234}),
        "filtered, ordered page of 20": tx_step(
            "find",
            "Post",
            {
                "where": {"status": "published", "viewCount": {"$op": "MoreThan", "value": 10}},
                "order": {"publishedAt": "DESC"},
                "skip": 40,
                "take": 20,
            },
        ),
        "find with two relations joined": tx_step(
            "find", "Post", {"where": {"id": 1234}, "relations": {"author": True, "tags": True}}
        ),
        "save (insert)": tx_step(
            "save", "Comment", {"body": "ts $i", "post": {"id": 7}, "author": {"id": 3}}
        ),
        "save (update)": tx_step("save", "Post", {"id": 11, "title": "ts $i"}),
        "upsert of 100": tx_step(
            "upsert", "Tag", [{"name": f"up{k}", "label": "ts $i"} for k in range(100)], ["name"]
        ),
        "transaction of 5 writes": {
            "op": "transaction",
            "args": [
                [
                    tx_step("insert", "Tag", {"name": "ts-tx-$i", "label": "tx"}),
                    tx_step("update", "Post", 42, {"excerpt": "ts $i"}),
                    tx_step("increment", "Post", {"id": 42}, "viewCount", 1),
                    tx_step("insert", "Comment", {"body": "ts $i", "post": {"id": 42}}),
                    tx_step("delete", "Tag", {"name": "ts-tx-$i"}),
                ]
            ],
        },
        "qb: join-and-select page of 20": qb(
            "Post",
            "post",
            ["leftJoinAndSelect", "post.author", "author"],
            ["where", "post.status = :status", {"status": "published"}],
            ["orderBy", "post.publishedAt", "DESC"],
            ["skip", 40],
            ["take", 20],
            ["getMany"],
        ),
        "qb: grouped aggregate with having": qb(
            "Post",
            "post",
            ["innerJoin", "post.author", "author"],
            ["select", "author.username", "username"],
            ["addSelect", "COUNT(post.id)", "posts"],
            ["addSelect", "SUM(post.viewCount)", "views"],
            ["groupBy", "author.username"],
            ["having", "SUM(post.viewCount) > :min", {"min": 6000}],
            ["orderBy", "views", "DESC"],
            ["getRawMany"],
        ),
        "qb: insert ... or_update of 100": qb(
            "Tag",
            "tag",
            ["insert"],
            ["values", [{"name": f"qb{k}", "label": "ts $i"} for k in range(100)]],
            ["orUpdate", ["label"], ["name"]],
            ["execute"],
        ),
    }


def psycopg_workloads(conn: psycopg.Connection) -> dict[str, Callable[[int], Any]]:
    def one(i: int) -> Any:
        return conn.execute(
            'select * from post where id = %s and "deletedAt" is null limit 1', (1 + i % 5000,)
        ).fetchall()

    def insert(i: int) -> Any:
        return conn.execute(
            'insert into comment (body, "postId", "authorId") values (%s, 7, 3)'
            ' returning id, "isApproved", "createdAt", "updatedAt"',
            (f"pg {i}",),
        ).fetchall()

    def update(i: int) -> Any:
        return conn.execute(
            'update post set title = %s, version = version + 1, "updatedAt" = now()'
            ' where id = 11 returning "updatedAt", version',
            (f"pg {i}",),
        ).fetchall()

    def upsert(i: int) -> Any:
        values = sql.SQL(", ").join(sql.SQL("(%s, %s)") for _ in range(100))
        params: list[Any] = []
        for k in range(100):
            params += [f"up{k}", f"pg {i}"]
        stmt = sql.SQL(
            "insert into tag (name, label) values {} on conflict (name)"
            " do update set name = excluded.name, label = excluded.label returning id"
        ).format(values)
        return conn.execute(stmt, params).fetchall()

    def transaction(i: int) -> None:
        with conn.transaction():
            conn.execute("insert into tag (name, label) values (%s, 'tx')", (f"pg-tx-{i}",))
            conn.execute(
                'update post set excerpt = %s, version = version + 1, "updatedAt" = now()'
                " where id = 42",
                (f"pg {i}",),
            )
            conn.execute(
                'update post set "viewCount" = "viewCount" + 1, version = version + 1,'
                ' "updatedAt" = now() where id = 42'
            )
            conn.execute('insert into comment (body, "postId") values (%s, 42)', (f"pg {i}",))
            conn.execute("delete from tag where name = %s", (f"pg-tx-{i}",))

    def page(i: int) -> Any:
        keys = [int(r[0]) for r in conn.execute(PAGE_KEYS_SQL, ("published",)).fetchall()]
        listed = PAGE_JOINED_SQL.format(", ".join(str(k) for k in keys))
        return conn.execute(listed.encode(), ("published",)).fetchall()

    def insert_or_update(i: int) -> Any:
        values = sql.SQL(", ").join(sql.SQL("(DEFAULT, %s, %s)") for _ in range(100))
        params: list[Any] = []
        for k in range(100):
            params += [f"qb{k}", f"pg {i}"]
        stmt = sql.SQL(
            "insert into tag (id, name, label) values {} on conflict (name)"
            " do update set label = excluded.label returning id"
        ).format(values)
        return conn.execute(stmt, params).fetchall()

    return {
        "find-one by primary key": one,
        "filtered, ordered page of 20": lambda i: conn.execute(PAGE_SQL, (10,)).fetchall(),
        "find with two relations joined": lambda i: conn.execute(
            RELATIONS_SQL, (1 + i % 5000,)
        ).fetchall(),
        "save (insert)": insert,
        "save (update)": update,
        "upsert of 100": upsert,
        "transaction of 5 writes": transaction,
        "qb: join-and-select page of 20": page,
        "qb: grouped aggregate with having": lambda i: conn.execute(
            AGGREGATE_SQL, (6000,)
        ).fetchall(),
        "qb: insert ... or_update of 100": insert_or_update,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", default=os.environ.get("ORMSHIFT_TEST_DSN"))
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument(
        "--only", help="run the workloads whose name contains this text (e.g. 'qb:')"
    )
    args = parser.parse_args()
    if not args.dsn:
        raise SystemExit("give --dsn or set ORMSHIFT_TEST_DSN")
    name = f"ormshift_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = with_database(args.dsn, name)
    results: dict[str, dict[str, Any]] = {}
    load_before = os.getloadavg()
    try:
        sync_project(PROJECT, url)
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in SEED:
                conn.execute(statement.encode())
            conn.execute("vacuum analyze")
        requests = {w: r for w, r in typeorm_requests().items() if not args.only or args.only in w}
        if not requests:
            raise SystemExit(f"no workload's name contains {args.only!r}")
        with (
            Sidecar(PROJECT, url, pool_size=10) as ts,
            DataSource(url, size=10) as ds,
            psycopg.connect(url, autocommit=True) as conn,
        ):
            py, raw = ormshift_workloads(ds), psycopg_workloads(conn)
            for workload, request in requests.items():
                ts_ms, py_ms, pg_ms = take_turns(
                    lambda n, r, q=request: ts.bench(q, n + WARMUP)[WARMUP:],
                    lambda n, r, w=workload: timed(py[w], n, r * 10_000),
                    lambda n, r, w=workload: timed(raw[w], n, r * 10_000),
                    runs=args.runs,
                )
                results[workload] = {
                    "typeorm": summarize(ts_ms).__dict__,
                    "ormshift": summarize(py_ms).__dict__,
                    "psycopg": summarize(pg_ms).__dict__,
                }
                print(f"done: {workload}", file=sys.stderr)
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "runs": args.runs,
        # 1-, 5- and 15-minute load averages when the timing began and when it ended
        "load_average": {"start": load_before, "end": os.getloadavg()},
        "results": results,
    }
    if not args.only:  # a partial run leaves the full run's file as it is
        (Path(__file__).parent / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"load average: {report['load_average']}")
    print(
        "| workload | TypeORM p50 | ormshift p50 | psycopg p50 "
        "| ormshift / TypeORM | ormshift / psycopg |"
    )
    print("|---|---|---|---|---|---|")
    for workload, sides in results.items():
        ts50, py50, pg50 = (sides[s]["p50"] for s in ("typeorm", "ormshift", "psycopg"))
        ratios = f"{py50 / ts50:.2f}x | {py50 / pg50:.2f}x"
        print(f"| {workload} | {ts50:.2f} | {py50:.2f} | {pg50:.2f} | {ratios} |")


if __name__ == "__main__":
    main()
