"""--workers: tables side by side and key ranges of one table at once, same result."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from ormshift.transfer import MigrateOptions, TransferAborted, migrate, rollback
from ormshift.transfer.ledger import PART_STRIDE
from tests.integration.test_transfer_support import (
    TEST_LOAD,
    CriticalAfter,
    query,
    run_sql,
    same,
)

DDL = (
    "create table parent (id int primary key, name text not null)",
    "create table child (id bigint primary key, parent_id int not null references parent,"
    " payload jsonb, note text)",
    "create table pair (a uuid, b int, v numeric(10,2), primary key (a, b))",
)
DATA = (
    "insert into parent select i, 'p' || i from generate_series(1, 1500) i",
    "insert into child select i * 7, 1 + i % 1500, jsonb_build_object('i', i),"
    " repeat('x', i % 50) from generate_series(1, 6000) i",
    "insert into pair select md5((i % 50)::text)::uuid, i, i / 3.0 from generate_series(1, 2000) i",
    "analyze",
)


@pytest.fixture
def pair(make_db: Callable[[str], str]) -> tuple[str, str]:
    src, tgt = make_db("src"), make_db("tgt")
    for url in (src, tgt):
        run_sql(url, *DDL)
    run_sql(src, *DATA)
    return src, tgt


def _no_overlap(tgt: str, table: str, total: int) -> None:
    rows = query(
        tgt,
        "select (key_from->>0)::bigint, (key_to->>0)::bigint, rows_read from ormshift.ledger"
        " where table_name = %s order by (key_from->>0)::bigint nulls first",
        [table],
    )
    assert sum(r[2] for r in rows) == total
    for (_, prev_hi, _), (lo, hi, _) in itertools.pairwise(rows):
        assert lo is not None and lo >= prev_hi and hi > lo, (table, rows)


def test_workers_split_a_large_table_and_match_the_source(pair: tuple[str, str]) -> None:
    src, tgt = pair
    report = migrate(src, tgt, MigrateOptions(batch_size=400, workers=3))
    assert report.status == "done"
    for table, key in (("parent", "id"), ("child", "id"), ("pair", "a, b")):
        same(src, tgt, table, key)
    parts = query(
        tgt,
        "select count(distinct batch_no / %s) from ormshift.ledger where table_name = 'child'",
        [PART_STRIDE],
    )
    assert parts == [(3,)]
    _no_overlap(tgt, "child", 6000)
    _no_overlap(tgt, "parent", 1500)
    assert report.written == 9500
    deleted = rollback(tgt, report.run_id).deleted
    assert deleted == {"pair": 2000, "child": 6000, "parent": 1500}
    assert query(tgt, "select (select count(*) from child) + (select count(*) from parent)") == [
        (0,)
    ]


def test_workers_resume_keeps_the_parts(pair: tuple[str, str]) -> None:
    src, tgt = pair
    opts = MigrateOptions(batch_size=400, workers=3, throttle=TEST_LOAD)
    with pytest.raises(TransferAborted):
        migrate(src, tgt, opts, extra_probes=(CriticalAfter(9),))
    done = query(tgt, "select count(*) from ormshift.ledger")[0][0]
    assert 0 < done < 20
    report = migrate(src, tgt, MigrateOptions(batch_size=400, workers=2))
    assert report.resumed
    for table, key in (("parent", "id"), ("child", "id"), ("pair", "a, b")):
        same(src, tgt, table, key)
    _no_overlap(tgt, "child", 6000)
