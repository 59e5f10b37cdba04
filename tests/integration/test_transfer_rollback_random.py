"""Rollback, randomized: the target ends exactly as it was before the run, every time.

Each trial builds a source and a target that already holds rows of its own, with keys
interleaved with the source's, below and above them, some colliding (rejected), in
tables with foreign keys, text keys and a composite key; appends the source to it (a
clean run, or one killed with SIGKILL after a random number of batches, sometimes
resumed, sometimes with its foreign keys dropped for the load); rolls the run back; and
compares the target's fingerprint (every row of every table, the sequence's state, the
constraints and indexes) with the one taken before the run.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ormshift.transfer import MigrateOptions, migrate, rollback
from ormshift.transfer.errors import TransferError
from tests.integration.test_transfer_support import kill_after, query, run_sql

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]

DDL = (
    "create table parent (id serial primary key, name text)",
    "create table child (id int primary key, parent_id int not null references parent, v text)",
    "create table note (code text primary key, body text)",
    "create table pair (a int, b text, n int, primary key (a, b))",
)
TABLES = (("parent", "id"), ("child", "id"), ("note", "code"), ("pair", "a, b"))


def _fill(url: str, rng: random.Random, *, span: int, share: float) -> None:
    parents = sorted(rng.sample(range(1, span), int(span * share)))
    children = sorted(rng.sample(range(1, 2 * span), int(2 * span * share)))
    notes = sorted(rng.sample(range(span), int(span * share)))
    pairs = sorted({(rng.randrange(span // 4), rng.choice("abcde")) for _ in range(span // 3)})
    rows = [
        "insert into parent (id, name) select i, 'p' || i from unnest(%s::int[]) i",
        "insert into child select i, (%s::int[])[1 + i %% %s], case when i %% 13 = 0"
        " then 'bad' else 'v' || i end from unnest(%s::int[]) i",
        "insert into note select 'n' || lpad(i::text, 4, '0'), 'b' || i from unnest(%s::int[]) i",
        "insert into pair select (x).a, (x).b, 1 from unnest(%s::pair[]) x",
    ]
    params: list[list[object]] = [
        [parents],
        [parents, len(parents), children],
        [notes],
        [[f"({a},{b},)" for a, b in pairs]],
    ]
    for stmt, p in zip(rows, params, strict=True):
        query(url, stmt + " returning 1", p)


def _fingerprint(url: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for table, order in TABLES:
        out[table] = query(
            url,
            f"select count(*), md5(coalesce(string_agg(t::text, ',' order by {order}), ''))"
            f" from {table} t",
        )[0]
    out["sequence"] = query(url, "select last_value, is_called from parent_id_seq")[0]
    out["constraints"] = query(
        url,
        "select string_agg(conname || ' ' || pg_get_constraintdef(oid), ', ' order by conname)"
        " from pg_constraint where connamespace = 'public'::regnamespace",
    )[0]
    out["indexes"] = query(
        url,
        "select string_agg(indexdef, ', ' order by indexname) from pg_indexes"
        " where schemaname = 'public'",
    )[0]
    return out


def _setup(make_db: Callable[[str], str], rng: random.Random) -> tuple[str, str]:
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, *DDL)
    run_sql(tgt, *DDL)
    span = rng.randrange(120, 400)
    _fill(src, rng, span=span, share=rng.uniform(0.2, 0.6))
    # the target's own rows: interleaved with, below and above the source's keys
    _fill(tgt, rng, span=span + rng.randrange(0, 200), share=rng.uniform(0.05, 0.4))
    run_sql(
        tgt,
        "update child set v = 'mine' where v = 'bad'",
        "alter table child add constraint child_v_ok check (v <> 'bad')",
        f"select setval('parent_id_seq', {span * 3 + rng.randrange(50)}, true)",
    )
    return src, tgt


def _run_id(url: str) -> str:
    return str(query(url, "select run_id from ormshift.runs order by started_at desc")[0][0])


SEED = int(os.environ.get("ORMSHIFT_ROLLBACK_SEED", "20261201"))


@pytest.mark.parametrize("trial", range(12))
def test_rollback_restores_the_target_exactly(
    trial: int, make_db: Callable[[str], str], tmp_path: Path
) -> None:
    rng = random.Random(SEED + trial)
    src, tgt = _setup(make_db, rng)
    before = _fingerprint(tgt)
    batch = rng.randrange(7, 60)
    mode = ("clean", "killed", "killed then resumed")[trial % 3]
    rejects = tmp_path / "rejects.jsonl"
    if mode == "clean":
        report = migrate(
            src, tgt, MigrateOptions(batch_size=batch, append=True, reject_file=rejects)
        )
        assert report.status == "done"
        assert report.rejected > 0  # collisions and the target's check constraint
        after = _fingerprint(tgt)
        assert after != before
        run_id = report.run_id
    else:
        args = ["migrate", "--source", src, "--target", tgt, "--append", "--json"]
        args += ["--batch-size", str(batch), "--reject-file", str(rejects)]
        if trial % 2:
            args.append("--defer-indexes")  # foreign keys dropped while it loads
        kill_after(args, rng.randrange(1, 12), tmp_path / "run.jsonl")
        run_id = _run_id(tgt)
        if mode == "killed then resumed":
            done = subprocess.run(
                [*CLI, *args, "--resume", run_id], capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, done.stderr
    result = subprocess.run(
        [*CLI, "rollback", run_id, "--target", tgt], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"seed {SEED + trial} ({mode}): {result.stderr}"
    assert _fingerprint(tgt) == before, f"seed {SEED + trial} ({mode})"
    assert query(tgt, "select status from ormshift.runs where run_id = %s", [run_id]) == [
        ("rolled back",)
    ]


def test_rollback_refuses_when_rows_were_added_to_a_run_range_since(
    make_db: Callable[[str], str],
) -> None:
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, "create table t (id int primary key, v text)")
    run_sql(tgt, "create table t (id int primary key, v text)")
    run_sql(src, "insert into t select i * 10, 'v' from generate_series(1, 100) i")
    report = migrate(src, tgt, MigrateOptions(batch_size=30))
    # somebody writes into a gap of the run's first key range after the run
    run_sql(tgt, "insert into t values (15, 'theirs')")
    before = query(tgt, "select count(*) from t")
    with pytest.raises(TransferError, match="rows were added there after the run"):
        rollback(tgt, report.run_id)
    assert query(tgt, "select count(*) from t") == before  # nothing was deleted
    assert query(tgt, "select status from ormshift.runs") == [("done",)]
    run_sql(tgt, "delete from t where id = 15")
    assert rollback(tgt, report.run_id).deleted == {"t": 100}
    assert query(tgt, "select count(*) from t") == [(0,)]


def test_rollback_is_one_transaction(make_db: Callable[[str], str]) -> None:
    """A rollback that cannot finish (a new row refers to one the run wrote) changes
    nothing at all, in no table, and says why."""
    src, tgt = make_db("src"), make_db("tgt")
    ddl = (
        "create table a (id int primary key)",
        "create table b (id int primary key, a_id int references a)",
        "create table c (id int primary key, b_id int references b)",
    )
    run_sql(src, *ddl)
    run_sql(tgt, *ddl)
    run_sql(
        src,
        "insert into a select generate_series(1, 50)",
        "insert into b select i, i from generate_series(1, 50) i",
    )
    report = migrate(src, tgt, MigrateOptions(tables=("a", "b")))
    run_sql(tgt, "insert into c values (1, 7)")  # not the run's: refers to b 7
    with pytest.raises(TransferError, match="changed nothing"):
        rollback(tgt, report.run_id)
    assert query(tgt, "select (select count(*) from a), (select count(*) from b)") == [(50, 50)]
    assert query(tgt, "select count(*) from ormshift.ledger where rolled_back_at is not null") == [
        (0,)
    ]


def test_rollback_twice_does_not_touch_sequences_again(make_db: Callable[[str], str]) -> None:
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, "create table t (id serial primary key)")
    run_sql(tgt, "create table t (id serial primary key)")
    run_sql(src, "insert into t select generate_series(1, 40)")
    report = migrate(src, tgt, MigrateOptions(batch_size=15))
    rollback(tgt, report.run_id)
    run_sql(tgt, "insert into t default values", "insert into t default values")
    again = rollback(tgt, report.run_id)
    assert again.deleted == {"t": 0} and again.sequences_restored == 0
    run_sql(tgt, "insert into t default values")
    assert query(tgt, "select id from t order by id") == [(1,), (2,), (3,)]


def test_rollback_json_summary(make_db: Callable[[str], str]) -> None:
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, "create table t (id int primary key)")
    run_sql(tgt, "create table t (id int primary key)")
    run_sql(src, "insert into t select generate_series(1, 10)")
    report = migrate(src, tgt, MigrateOptions())
    out = subprocess.run(
        [*CLI, "rollback", report.run_id, "--target", tgt, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    assert lines and lines[-1]["deleted"] == {"t": 10}
