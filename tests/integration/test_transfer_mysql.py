"""MariaDB/MySQL -> PostgreSQL through SQLAlchemy Core: same batches, ledger and rejects."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymysql
import pytest

from ormshift.errors import ConnectionFailed
from ormshift.transfer import MigrateOptions, TransferAborted, dry_run, migrate
from tests.integration.test_transfer_support import TEST_LOAD, CriticalAfter, query, run_sql

SERVER = os.environ.get("ORMSHIFT_TEST_MYSQL_DSN", "mysql://root@127.0.0.1:3306/")

MYSQL_DDL = (
    "create table customer (id int auto_increment primary key, name varchar(50) not null,"
    " active tinyint(1) not null, balance decimal(10, 2), created datetime, meta json,"
    " avatar blob, opens time)",
    "create table orders (id bigint primary key, customer_id int not null,"
    " status enum('new', 'paid') not null, note text,"
    " foreign key (customer_id) references customer (id))",
    "create table line (order_id bigint, sku varchar(20), qty int not null,"
    " primary key (order_id, sku), foreign key (order_id) references orders (id))",
)
PG_DDL = (
    "create table customer (id serial primary key, name varchar(50) not null,"
    " active boolean not null, balance numeric(10, 2), created timestamp, meta jsonb,"
    " avatar bytea, opens time)",
    "create table orders (id bigint primary key, customer_id int not null references customer,"
    " status text not null, note text)",
    "create table line (order_id bigint references orders, sku varchar(20),"
    " qty int not null check (qty > 0), primary key (order_id, sku))",
)


def _mysql(db: str | None = None) -> pymysql.Connection[Any]:
    parts = urlsplit(SERVER)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=db,
        autocommit=True,
    )


@pytest.fixture
def mysql_db() -> Iterator[str]:
    name = f"ormshift_m_{uuid.uuid4().hex[:10]}"
    with _mysql() as conn, conn.cursor() as cur:
        cur.execute(f"create database {name} character set utf8mb4")
    try:
        yield name
    finally:
        with _mysql() as conn, conn.cursor() as cur:
            cur.execute(f"drop database if exists {name}")


def _fill(db: str) -> None:
    with _mysql(db) as conn, conn.cursor() as cur:
        for stmt in MYSQL_DDL:
            cur.execute(stmt)
        cur.executemany(
            "insert into customer (name, active, balance, created, meta, avatar, opens)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    f"c{i} é",
                    i % 2,
                    Decimal(i) / 4,
                    dt.datetime(2024, 1, 1) + dt.timedelta(minutes=i),
                    json.dumps({"i": i, "tags": ["a", i % 3]}),
                    bytes([i % 256, 0, 255]),
                    dt.timedelta(hours=i % 24, minutes=7),
                )
                for i in range(1, 301)
            ],
        )
        cur.executemany(
            "insert into orders values (%s, %s, %s, %s)",
            [(i * 10, 1 + i % 300, "paid" if i % 3 else "new", None) for i in range(1, 601)],
        )
        # every 50th line has qty 0, which the target's CHECK refuses
        cur.executemany(
            "insert into line values (%s, %s, %s)",
            [(10 * (1 + i % 600), f"sku-{i}", 0 if i % 50 == 0 else i) for i in range(1, 1001)],
        )


def _norm(v: Any) -> Any:
    if isinstance(v, str) and v.startswith("{"):
        return json.loads(v)
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, dt.timedelta):
        return (dt.datetime.min + v).time()
    if isinstance(v, bool):
        return int(v)
    return v


def _rows(fetch: Callable[[], list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    return [tuple(_norm(v) for v in row) for row in fetch()]


def _mysql_rows(db: str, stmt: str) -> list[tuple[Any, ...]]:
    with _mysql(db) as conn, conn.cursor() as cur:
        cur.execute(stmt)
        return list(cur.fetchall())


def test_mariadb_to_postgresql(
    mysql_db: str, make_db: Callable[[str], str], tmp_path: Path
) -> None:
    _fill(mysql_db)
    source = SERVER.rstrip("/") + "/" + mysql_db
    target = make_db("tgt")
    run_sql(target, *PG_DDL)
    plan = dry_run(source, target, MigrateOptions())
    assert [t.name for t in plan.tables] == ["customer", "orders", "line"]
    assert plan.table("line").key == ("order_id", "sku")
    rejects = tmp_path / "rejects.jsonl"
    opts = MigrateOptions(batch_size=37, reject_file=rejects, throttle=TEST_LOAD)
    with pytest.raises(TransferAborted):
        migrate(source, target, opts, extra_probes=(CriticalAfter(12),))
    report = migrate(source, target, opts)  # the same command again resumes
    assert report.resumed
    assert (report.read, report.written, report.rejected) == (1900, 1880, 20)
    cols = "id, name, active, balance, created, meta, avatar, opens"
    assert _rows(lambda: _mysql_rows(mysql_db, f"select {cols} from customer order by id")) == (
        _rows(lambda: query(target, f"select {cols} from customer order by id"))
    )
    assert _rows(lambda: _mysql_rows(mysql_db, "select * from orders order by id")) == (
        _rows(lambda: query(target, "select * from orders order by id"))
    )
    good = "select * from line where qty > 0 order by order_id, sku"
    assert _mysql_rows(mysql_db, good) == query(target, good + ' collate "C"')
    lines = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert len(lines) == 20 and all("line_qty_check" in x["error"] for x in lines)
    assert lines[0]["row"]["qty"] == 0
    ranges = query(target, "select table_name, key_from::text from ormshift.ledger")
    assert len(ranges) == len(set(ranges))
    run_sql(target, "insert into customer (name, active) values ('next', true)")
    assert query(target, "select max(id) from customer") == [(301,)]


def test_mariadb_unreachable_and_wrong_database_are_clear(make_db: Callable[[str], str]) -> None:
    target = make_db("tgt")
    with pytest.raises(
        ConnectionFailed, match=r"cannot connect to mysql://root:\*\*\*@.*no server answers"
    ):
        dry_run("mysql://root:hunter2@127.0.0.1:1/x", target, MigrateOptions())
    with pytest.raises(ConnectionFailed, match="database 'no_such_db_here' does not exist"):
        dry_run(SERVER.rstrip("/") + "/no_such_db_here", target, MigrateOptions())
