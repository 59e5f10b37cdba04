"""``rollback`` removes exactly what a run wrote and restores the sequences."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ormshift.transfer import MigrateOptions, migrate, rollback
from ormshift.transfer.ledger import LEDGER_VERSION, LedgerVersionError
from tests.integration.test_transfer_support import query, run_sql, same

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


def test_rollback_removes_exactly_the_run(make_db: Callable[[str], str], tmp_path: Path) -> None:
    src, tgt = make_db("src"), make_db("tgt")
    ddl = (
        "create table parent (id serial primary key, name text)",
        "create table child (a int, b text, parent_id int references parent, primary key (a, b))",
    )
    run_sql(src, *ddl)
    run_sql(tgt, *ddl)
    run_sql(
        src,
        "insert into parent (name) select 'p' || i from generate_series(1, 300) i",
        "insert into child select i % 11, 'b' || i, 1 + i % 300 from generate_series(1, 900) i",
    )
    # the target already holds rows of its own; one of them collides with the source
    run_sql(
        tgt,
        "insert into parent (id, name) values (7, 'mine'), (5000, 'mine too')",
        "select setval('parent_id_seq', 5000)",
        "insert into child values (99, 'mine', 7)",
    )
    before = query(tgt, "select md5(string_agg(t::text, ',' order by id)) from parent t")
    report = migrate(
        src, tgt, MigrateOptions(batch_size=70, append=True, reject_file=tmp_path / "r.jsonl")
    )
    assert report.rejected == 1  # parent 7 is already there
    assert query(tgt, "select count(*) from parent") == [(301,)]
    run_sql(tgt, "insert into parent (name) values ('after')")
    assert query(tgt, "select max(id) from parent") == [(5001,)]
    run_sql(tgt, "delete from parent where id = 5001")
    result = subprocess.run(
        [*CLI, "rollback", report.run_id, "--target", tgt],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "parent: deleted 299 rows" in result.stderr
    assert "child: deleted 900 rows" in result.stderr
    assert query(tgt, "select md5(string_agg(t::text, ',' order by id)) from parent t") == before
    assert query(tgt, "select * from child") == [(99, "mine", 7)]
    assert query(tgt, "select nextval('parent_id_seq')") == [(5001,)]
    assert query(tgt, "select status from ormshift.runs") == [("rolled back",)]
    assert query(tgt, "select count(*) from ormshift.ledger where rolled_back_at is null") == [(0,)]
    # rolling back twice is harmless
    again = rollback(tgt, report.run_id)
    assert again.deleted == {"child": 0, "parent": 0}


def test_rollback_then_fresh_run(make_db: Callable[[str], str]) -> None:
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, "create table t (id int generated always as identity primary key, v text)")
    run_sql(tgt, "create table t (id int generated always as identity primary key, v text)")
    run_sql(src, "insert into t (v) select 'v' || i from generate_series(1, 250) i")
    first = migrate(src, tgt, MigrateOptions(batch_size=100))
    assert query(tgt, "select count(*) from t") == [(250,)]
    rollback(tgt, first.run_id)
    assert query(tgt, "select count(*) from t") == [(0,)]
    run_sql(tgt, "insert into t (v) values ('x')")
    assert query(tgt, "select id from t") == [(1,)]
    run_sql(tgt, "truncate t")
    second = migrate(src, tgt, MigrateOptions(batch_size=100))
    assert second.run_id != first.run_id and not second.resumed
    same(src, tgt, "t", "id")


def test_a_ledger_of_a_newer_version_is_refused_untouched(make_db: Callable[[str], str]) -> None:
    """A ledger records its layout version; an older one is brought up to date, a newer
    one (written by a later ormshift) is refused by migrate, resume and rollback alike,
    before anything changes."""
    src, tgt = make_db("src"), make_db("tgt")
    for url in (src, tgt):
        run_sql(url, "create table t (id int primary key, v text)")
    run_sql(src, "insert into t select i, 'v' || i from generate_series(1, 150) i")
    # a ledger as ormshift wrote it before the version row: upgraded on the next run
    first = migrate(src, tgt, MigrateOptions(batch_size=100))
    run_sql(tgt, "drop table ormshift.meta")
    run_sql(tgt, "truncate t")
    migrate(src, tgt, MigrateOptions(batch_size=100))
    assert query(tgt, "select value from ormshift.meta") == [(str(LEDGER_VERSION),)]

    run_sql(tgt, "update ormshift.meta set value = '99' where key = 'ledger_version'")
    before = query(tgt, "select run_id, table_name, batch_no from ormshift.ledger order by 1, 2, 3")
    for attempt in (
        lambda: migrate(src, tgt, MigrateOptions(batch_size=100, truncate=True)),
        lambda: migrate(src, tgt, MigrateOptions(resume=first.run_id)),
        lambda: rollback(tgt, first.run_id),
    ):
        with pytest.raises(LedgerVersionError, match=r"ledger version 99; this one knows up to"):
            attempt()
    assert query(tgt, "select count(*) from t") == [(150,)]
    assert (
        query(tgt, "select run_id, table_name, batch_no from ormshift.ledger order by 1, 2, 3")
        == before
    )
    assert query(tgt, "select value from ormshift.meta") == [("99",)]
