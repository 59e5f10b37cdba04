"""Resume after kill -9: the end result equals an uninterrupted run, each range once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.integration.test_transfer_support import query, run_sql, same

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        return subprocess.Popen([*CLI, *args], stdout=fh, stderr=subprocess.STDOUT)


def test_kill_9_at_random_points_then_resume(make_db: Callable[[str], str], tmp_path: Path) -> None:
    src, tgt = make_db("src"), make_db("tgt")
    ddl = (
        "create table account (id serial primary key, name text not null)",
        "create table event (id bigserial primary key, account_id int not null"
        " references account, kind text, body jsonb, at timestamptz)",
        "create table tag (event_id bigint references event, tag text,"
        " primary key (event_id, tag))",
    )
    run_sql(src, *ddl)
    run_sql(tgt, *ddl)
    run_sql(
        src,
        "insert into account (name) select 'a' || i from generate_series(1, 2000) i",
        "insert into event (account_id, kind, body, at) select 1 + i % 2000, 'k' || (i % 17),"
        " jsonb_build_object('i', i, 'tags', jsonb_build_array('x', i % 3)),"
        " timestamptz '2024-01-01' + i * interval '1 second' from generate_series(1, 50000) i",
        "insert into tag select 1 + i % 50000, 't' || (i % 4) from generate_series(1, 8000) i"
        " on conflict do nothing",
    )
    seed = int(os.environ.get("ORMSHIFT_FAULT_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    args = ["migrate", "--source", src, "--target", tgt, "--batch-size", "250", "--json"]
    kills = 0
    for attempt in range(3):
        out = tmp_path / f"run-{attempt}.jsonl"
        proc = start(args, out)
        # the random point is counted from the moment the run is under way (the ledger
        # exists), so that a slow start on a busy machine does not eat it
        while proc.poll() is None and '"event": "run"' not in out.read_text():
            time.sleep(0.02)
        time.sleep(rng.uniform(0.2, 1.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    print(f"seed {seed}: {kills} kills")
    runs = query(tgt, "select run_id, status from ormshift.runs")
    assert len(runs) == 1, f"seed {seed}: one run, resumed each time: {runs}"
    resume_args = [*args, "--resume", runs[0][0]]
    final = subprocess.run([*CLI, *resume_args], capture_output=True, text=True, check=False)
    assert final.returncode == 0, f"seed {seed}: {final.stderr}"
    summary = json.loads(final.stdout.strip().splitlines()[-1])
    assert summary["event"] == "summary"
    assert summary["status"] == "done"
    tags = query(src, "select count(*)::int from tag")[0][0]
    assert summary["read"] == summary["written"] == 52000 + tags
    for table, order in (("account", "id"), ("event", "id"), ("tag", "event_id, tag")):
        same(src, tgt, table, order)
    # every key range exactly once, and the ranges chain without gaps or overlaps
    rows = query(
        tgt,
        "select table_name, key_from::text, key_to::text, rows_read from ormshift.ledger"
        " order by table_name, batch_no",
    )
    assert len({r[:2] for r in rows}) == len(rows)
    for table in ("account", "event", "tag"):
        mine = [r for r in rows if r[0] == table]
        assert mine[0][1] is None
        assert all(mine[i][1] == mine[i - 1][2] for i in range(1, len(mine)))
    counts = dict(
        query(tgt, "select table_name, sum(rows_read)::int from ormshift.ledger group by 1")
    )
    assert counts == {
        "account": 2000,
        "event": 50000,
        "tag": tags,
    }
    assert query(tgt, "select count(*) from ormshift.runs") == [(1,)]
    run_sql(tgt, "insert into event (account_id) values (1)")
    assert query(tgt, "select max(id) from event") == [(50001,)]
