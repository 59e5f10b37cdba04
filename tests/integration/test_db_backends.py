"""Each backend's declared capabilities against what the real server does: PostgreSQL
streams COPY and holds per-transaction snapshots; MariaDB has no COPY, holds one
snapshot, is read by one worker, cannot have its schema created or be a target; SQLite
is opened read-only in one read transaction and is no migrate source."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pymysql
import pytest

from ormshift.db.backends import MYSQL, POSTGRESQL, SQLITE, Can, backend_for
from ormshift.errors import InvalidURL
from ormshift.transfer import MigrateOptions, migrate
from ormshift.transfer.errors import PreflightError
from ormshift.transfer.sources import open_reader
from ormshift.verify import verify
from ormshift.verify.model import VerificationFailed
from tests.integration.test_transfer_support import query, run_sql

from .test_verify_mysql import mariadb, my_sql

__all__ = ["mariadb"]  # the fixture, used by name

ROWS = 500


def _count(cur: object, table: str = "t") -> int:
    cur.execute(f"select count(*) from {table}")  # type: ignore[attr-defined]
    return int(cur.fetchone()[0])  # type: ignore[attr-defined]


def test_each_engine_has_one_backend() -> None:
    assert backend_for("postgresql://u@h/db") is POSTGRESQL
    assert backend_for("mariadb+pymysql://u@h/db") is MYSQL
    assert backend_for("sqlite:///x.db") is SQLITE
    assert POSTGRESQL.capabilities == frozenset(Can)
    assert MYSQL.capabilities == {Can.SNAPSHOTS, Can.TRANSFER_SOURCE}
    assert SQLITE.capabilities == {Can.SNAPSHOTS}


def test_postgresql_streams_copy_in_snapshots(make_db: Callable[[str], str]) -> None:
    url = make_db("src")
    run_sql(
        url,
        "create table t (id int primary key)",
        f"insert into t select generate_series(1, {ROWS})",
    )
    reader = open_reader(url)
    try:
        assert reader.backend is POSTGRESQL and reader.backend.can(Can.COPY)
        with reader.conn.cursor().copy("copy t to stdout") as copy:  # COPY: declared, served
            assert sum(1 for _ in copy.rows()) == ROWS
        reader.start()
        with reader.conn.transaction(), reader.conn.cursor() as cur:  # a snapshot per batch
            before = _count(cur)
            run_sql(url, "insert into t values (0)")
            assert _count(cur) == before == ROWS
        with reader.conn.transaction(), reader.conn.cursor() as cur:
            assert _count(cur) == ROWS + 1
    finally:
        reader.close()


def test_mariadb_declares_what_it_lacks(mariadb: str, make_db: Callable[[str], str]) -> None:
    my_sql(
        mariadb,
        "create table t (id int primary key, name varchar(20) not null)",
        *(f"insert into t values ({i}, 'n{i}')" for i in range(1, ROWS + 1)),
    )
    conn = MYSQL.connect(mariadb)
    try:
        with conn.cursor() as cur, pytest.raises(pymysql.err.ProgrammingError):
            cur.execute("copy t to stdout")  # no COPY on the server: none declared
        MYSQL.snapshot(conn)  # one snapshot for the whole run: declared, held
        with conn.cursor() as cur:
            assert _count(cur) == ROWS
            my_sql(mariadb, "insert into t values (0, 'late')")
            assert _count(cur) == ROWS
    finally:
        conn.close()
    reader = open_reader(mariadb)
    try:
        assert reader.backend is MYSQL and not reader.backend.can(Can.COPY)
        tables = reader.source_tables("public")[1]
        assert [t.name for t in tables] == ["t"]
    finally:
        reader.close()
    target = make_db("tgt")
    run_sql(target, "create table t (id int primary key, name varchar(20) not null)")
    # no parallel readers: --workers 3 reads with one (a second would trip its assert)
    report = migrate(mariadb, target, MigrateOptions(workers=3, batch_size=100))
    assert report.written == ROWS + 1
    assert query(target, "select count(*) from t") == [(ROWS + 1,)]
    with pytest.raises(PreflightError, match="--create-schema"):
        migrate(mariadb, make_db("empty"), MigrateOptions(create_schema=True))
    with pytest.raises(VerificationFailed, match="the target must be PostgreSQL"):
        verify(target, mariadb)


def test_sqlite_is_read_only_in_one_snapshot_and_no_migrate_source(
    tmp_path: Path, make_db: Callable[[str], str]
) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as setup:
        setup.execute("create table t (id integer primary key)")
        setup.executemany("insert into t values (?)", [(i,) for i in range(ROWS)])
    url = f"sqlite:///{path}"
    conn = SQLITE.connect(url)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("insert into t values (-1)")
        SQLITE.snapshot(conn)
        assert _count(conn.cursor()) == ROWS
        writer = sqlite3.connect(path, timeout=0.1)
        try:  # the read transaction holds the file as it is: no writer gets in meanwhile
            with pytest.raises(sqlite3.OperationalError, match="locked"), writer:
                writer.execute("insert into t values (-1)")
        finally:
            writer.close()
        assert _count(conn.cursor()) == ROWS
    finally:
        conn.close()
    with pytest.raises(InvalidURL, match="a migrate source"):
        open_reader(url)
    with pytest.raises(InvalidURL):
        migrate(url, make_db("tgt"), MigrateOptions())
