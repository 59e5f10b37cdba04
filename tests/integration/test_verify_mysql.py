"""A MariaDB source verified against its PostgreSQL target: segment checksums computed
in both engines alike, text keys ordered by bytes, JSON and simple-array columns
compared row by row, foreign keys taken from the MariaDB schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pymysql
import pytest

from ormshift.verify import Options, parse_mapping

from .test_verify_cli import SECRET, cli, error_line
from .test_verify_engine import check, run_sql

MYSQL = os.environ.get("ORMSHIFT_TEST_MYSQL_DSN", "mysql://root@127.0.0.1:3306/test")
N = 2000
UUID_7 = "8f14e45f-ceea-167a-5a36-dedd4bea2543"  # md5('7') as a uuid


def _connect(url: str) -> pymysql.connections.Connection:  # type: ignore[type-arg]
    p = urlsplit(url)
    return pymysql.connect(
        host=p.hostname,
        port=p.port or 3306,
        user=p.username or "root",
        password=p.password or "",
        database=p.path.lstrip("/") or None,
        autocommit=True,
    )


def my_sql(url: str, *statements: str) -> None:
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("set time_zone = '+00:00'")
            for s in statements:
                cur.execute(s)
    finally:
        conn.close()


@pytest.fixture
def mariadb() -> Iterator[str]:
    name = f"ormshift_v_{uuid.uuid4().hex[:10]}"
    my_sql(MYSQL, f"create database {name}")
    p = urlsplit(MYSQL)
    try:
        yield urlunsplit((p.scheme, p.netloc, "/" + name, "", ""))
    finally:
        my_sql(MYSQL, f"drop database if exists {name}")


MAPPING = parse_mapping(
    {"tables": {"tagged": {"columns": {"tags": {"transform": "simple-array"}}}}}
)


def fill(source: str, target: str) -> None:
    my_sql(
        source,
        "create table product (id int primary key auto_increment, name varchar(100), "
        "price decimal(10,2), active tinyint(1), created datetime(6), updated timestamp(6) null, "
        "code char(36))",
        "insert into product select seq, concat('p', seq), seq / 4, seq % 2, "
        "timestamp'2024-01-01 00:00:00' + interval seq second + interval seq microsecond, "
        "if(seq % 7 = 0, null, timestamp'2024-06-01 12:00:00' + interval seq minute), "
        "concat_ws('-', substr(md5(seq), 1, 8), substr(md5(seq), 9, 4), substr(md5(seq), 13, 4), "
        f"substr(md5(seq), 17, 4), substr(md5(seq), 21, 12)) from seq_1_to_{N}",
        "create table kv (k varchar(20) primary key, v int)",
        "insert into kv select concat(if(seq % 3 = 0, 'K', 'k'), lpad(seq, 5, '0')), seq "
        f"from seq_1_to_{N}",
        "create table tagged (id bigint primary key, tags text, meta json)",
        """insert into tagged values (1, 'a,b', '{"b": 1.50, "a": [1, 2]}'), (2, '', '{}'),
           (3, null, null)""",
        "create table review (id int primary key, product_id int, "
        "foreign key (product_id) references product (id))",
        "insert into review values (1, 1), (2, 2)",
        "create table token (id char(36) primary key, n int)",
        "insert into token select concat_ws('-', substr(md5(seq), 1, 8), substr(md5(seq), 9, 4), "
        "substr(md5(seq), 13, 4), substr(md5(seq), 17, 4), substr(md5(seq), 21, 12)), seq "
        f"from seq_1_to_{N}",
        "create table pair (a int, b varchar(10), n int, primary key (a, b))",
        "insert into pair select seq % 5, concat(if(seq % 2 = 0, 'B', 'b'), seq), seq "
        f"from seq_1_to_{N}",
    )
    run_sql(
        target,
        "create table product (id int primary key, name varchar(100), price numeric(12,4), "
        "active boolean, created timestamp, updated timestamptz, code uuid)",
        "insert into product select g, 'p' || g, g / 4.0, g % 2 = 1, "
        "timestamp '2024-01-01' + g * interval '1 second' + g * interval '1 microsecond', "
        "case when g % 7 = 0 then null "
        "else timestamptz '2024-06-01 12:00+00' + g * interval '1 minute' end, "
        f"md5(g::text)::uuid from generate_series(1, {N}) g",
        "create table kv (k text primary key, v int)",
        "insert into kv select case when g % 3 = 0 then 'K' else 'k' end || lpad(g::text, 5, '0'), "
        f"g from generate_series(1, {N}) g",
        "create table tagged (id bigint primary key, tags text[], meta jsonb)",
        """insert into tagged values (1, '{a,b}', '{"a": [1, 2], "b": 1.5}'), (2, '{}', '{}'),
           (3, null, null)""",
        "create table review (id int primary key, product_id int)",
        "insert into review values (1, 1), (2, 2)",
        "create table token (id uuid primary key, n int)",
        f"insert into token select md5(g::text)::uuid, g from generate_series(1, {N}) g",
        "create table pair (a int, b text, n int, primary key (a, b))",
        "insert into pair select g % 5, case when g % 2 = 0 then 'B' else 'b' end || g, g "
        f"from generate_series(1, {N}) g",
    )


def test_mariadb_source_identical_then_differences(
    mariadb: str, make_db: Callable[[], str]
) -> None:
    target = make_db()
    fill(mariadb, target)
    out = check(mariadb, target, mapping=MAPPING)
    statuses = {name: (r.status, r.error) for name, r in out.tables.items()}
    assert statuses == {
        "kv": ("identical", None),
        "pair": ("identical", None),
        "product": ("identical", None),
        "review": ("identical", None),
        "tagged": ("identical", None),
        "token": ("identical", None),
    }
    assert out.tables["product"].source_rows == N
    assert any("row by row" in w for w in out.tables["tagged"].warnings)
    assert out.report.exit_code == 0

    run_sql(
        target,
        "update product set price = price + 0.01 where id in (1, 1000, 2000)",
        "update product set updated = updated + interval '1 microsecond' where id = 500",
        "delete from kv where k = 'K00999'",
        "insert into product (id, name) values (5000, 'extra')",
        """update tagged set meta = '{"a": [1, 2], "b": 1.51}' where id = 1""",
        "update tagged set tags = '{a}' where id = 2",
        "insert into review values (3, 4242)",
        f"update token set n = -1 where id = '{UUID_7}'",
        "delete from pair where (a, b) = (2, 'B1002')",
    )
    out = check(mariadb, target, options=Options(factor=4, threshold=50), mapping=MAPPING)
    assert sorted(out.found(), key=str) == sorted(
        [
            ("changed", ("1",), "price"),
            ("changed", ("1000",), "price"),
            ("changed", ("2000",), "price"),
            ("changed", ("500",), "updated"),
            ("missing", ("K00999",), None),
            ("extra", ("5000",), None),
            ("changed", ("1",), "meta"),
            ("changed", ("2",), "tags"),
            ("extra", ("3",), None),
            ("changed", (UUID_7,), "n"),
            ("missing", ("2", "B1002"), None),
        ],
        key=str,
    )
    orphans = [o for o in out.report.orphans if o.count]
    assert [(o.table, o.columns, o.references, o.count) for o in orphans] == [
        ("review", ("product_id",), "product", 1)
    ]
    assert out.report.exit_code == 1


def test_mariadb_bad_password_one_line(make_db: Callable[[], str]) -> None:
    p = urlsplit(MYSQL)
    bad = urlunsplit((p.scheme, f"root:{SECRET}@{p.hostname}:{p.port or 3306}", p.path, "", ""))
    line = error_line(cli("--source", bad, "--target", make_db()))
    assert "refused the user name or password" in line
