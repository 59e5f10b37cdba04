"""A SQLite source (as TypeORM's sqlite driver stores it) verified against PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import psycopg

from ormshift.verify import Options, parse_mapping

from .test_verify_cli import error_line, invoke
from .test_verify_engine import check, run_sql

N = 2000
START = dt.datetime(2024, 1, 1)


def rows(i: int) -> tuple[int, str, str, int, str, str]:
    at = START + dt.timedelta(seconds=i, milliseconds=i % 1000)
    code = str(uuid.UUID(hashlib.md5(str(i).encode(), usedforsecurity=False).hexdigest()))
    price = str((Decimal(i) / 4).quantize(Decimal("0.01")))
    return i, f"p{i}", price, i % 2, at.strftime("%Y-%m-%d %H:%M:%S.") + f"{i % 1000:03d}", code


def key(i: int) -> str:
    return ("K" if i % 3 == 0 else "k") + f"{i:05d}"


def build(path: Path, target: str) -> None:
    lite = sqlite3.connect(path)
    lite.executescript(
        """
        create table "product" ("id" integer primary key autoincrement not null,
          "name" varchar not null, "price" decimal(10,2), "active" boolean not null,
          "created" datetime not null, "code" varchar);
        create table "kv" ("k" varchar primary key not null, "v" integer);
        create table "setting" ("id" integer primary key not null, "meta" text);
        create table "review" ("id" integer primary key not null, "productId" integer,
          constraint "FK_review_product" foreign key ("productId") references "product" ("id"));
        """
    )
    lite.executemany("insert into product values (?, ?, ?, ?, ?, ?)", map(rows, range(1, N + 1)))
    lite.executemany("insert into kv values (?, ?)", [(key(i), i) for i in range(1, N + 1)])
    lite.executemany(
        "insert into setting values (?, ?)",
        [(1, json.dumps({"theme": "dark", "size": 1.5})), (2, "{}"), (3, None)],
    )
    lite.execute("insert into review values (1, 1), (2, 2)")
    lite.commit()
    lite.close()
    run_sql(
        target,
        "create table product (id int primary key, name varchar not null, price numeric(10,2), "
        "active boolean not null, created timestamp not null, code uuid)",
        "create table kv (k varchar primary key, v int)",
        "create table setting (id int primary key, meta jsonb)",
        'create table review (id int primary key, "productId" int)',
        "insert into review values (1, 1), (2, 2)",
        """insert into setting values (1, '{"size": 1.50, "theme": "dark"}'), (2, '{}'),
           (3, null)""",
    )
    with psycopg.connect(target, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            "insert into product values (%s, %s, %s, %s = 1, %s, %s)",
            list(map(rows, range(1, N + 1))),
        )
        cur.executemany("insert into kv values (%s, %s)", [(key(i), i) for i in range(1, N + 1)])


MAPPING = parse_mapping(
    {"tables": {"setting": {"columns": {"meta": {"transform": "simple-json"}}}}}
)


def test_sqlite_source_identical_then_differences(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    path = tmp_path / "app.sqlite"
    target = make_db()
    build(path, target)
    source = f"sqlite:///{path}"
    out = check(source, target, mapping=MAPPING)
    assert {n: (r.status, r.error) for n, r in out.tables.items()} == {
        "kv": ("identical", None),
        "product": ("identical", None),
        "review": ("identical", None),
        "setting": ("identical", None),
    }
    assert out.tables["product"].source_rows == N
    assert out.report.exit_code == 0

    run_sql(
        target,
        "update product set price = price + 0.01 where id in (1, 1000, 2000)",
        "update product set created = created + interval '1 millisecond' where id = 500",
        "delete from kv where k = 'K00999'",
        """update setting set meta = '{"size": 2, "theme": "dark"}' where id = 1""",
        "insert into review values (3, 4242)",
    )
    out = check(source, target, options=Options(factor=4, threshold=50), mapping=MAPPING)
    assert sorted(out.found(), key=str) == sorted(
        [
            ("changed", ("1",), "price"),
            ("changed", ("1000",), "price"),
            ("changed", ("2000",), "price"),
            ("changed", ("500",), "created"),
            ("missing", ("K00999",), None),
            ("changed", ("1",), "meta"),
            ("extra", ("3",), None),
        ],
        key=str,
    )
    orphans = [(o.table, o.columns, o.count) for o in out.report.orphans if o.count]
    assert orphans == [("review", ("productId",), 1)]
    assert out.report.exit_code == 1


def test_sqlite_missing_file_one_line(tmp_path: Path, pg_server_url: str) -> None:
    line = error_line(
        invoke("--source", f"sqlite:///{tmp_path}/none.db", "--target", pg_server_url)
    )
    assert "no SQLite database file" in line
