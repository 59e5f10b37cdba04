"""Randomized fault trials of a shared run: worker processes that join one run, killed
with SIGKILL at random times and started again, must leave the target identical to the
source with each key range written once.

Used by tests/integration/test_transfer_join.py (small) and tests/slow (full size).
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.test_transfer_support import query, run_sql, same

#: tables of the trial source: one large table and `SMALL` small ones, some referencing
#: others (so the run has levels), a composite and a text key among them
SMALL = 19


def ddl(small: int = SMALL) -> list[str]:
    out = [
        "create table big (id bigint primary key, grp int not null, note text, v numeric(12,2))",
        "create table t00 (id int primary key, name text not null)",
    ]
    for i in range(1, small):
        if i % 5 == 0:
            out.append(f"create table t{i:02} (a text, b int, x text, primary key (a, b))")
        elif i % 3 == 0:
            out.append(
                f"create table t{i:02} (id int primary key,"
                f" parent int not null references t00, x text)"
            )
        else:
            out.append(f"create table t{i:02} (code text primary key, x int)")
    return out


def data(big_rows: int, small_rows: int, small: int = SMALL) -> list[str]:
    out = [
        f"insert into big select i * 3, i % 97, repeat('n', i % 40), i / 7.0"
        f" from generate_series(1, {big_rows}) i",
        f"insert into t00 select i, 'n' || i from generate_series(1, {small_rows}) i",
    ]
    for i in range(1, small):
        if i % 5 == 0:
            out.append(
                f"insert into t{i:02} select md5((g % 40)::text), g, 'x' || g"
                f" from generate_series(1, {small_rows}) g"
            )
        elif i % 3 == 0:
            out.append(
                f"insert into t{i:02} select g, 1 + g % {small_rows}, 'x' || g"
                f" from generate_series(1, {small_rows}) g"
            )
        else:
            out.append(
                f"insert into t{i:02} select 'c' || lpad(g::text, 7, '0'), g"
                f" from generate_series(1, {small_rows}) g"
            )
    out.append("analyze")
    return out


def orders(small: int = SMALL) -> dict[str, str]:
    out = {"big": "id", "t00": "id"}
    for i in range(1, small):
        out[f"t{i:02}"] = "a, b" if i % 5 == 0 else "id" if i % 3 == 0 else "code"
    return out


@dataclass
class Worker:
    """One process of the run: the one that starts it (index 0) or one that joins."""

    args: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    exits: list[int] = field(default_factory=list)

    def start(self, env: dict[str, str]) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ormshift", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def running(self) -> bool:
        if self.proc is None:
            return False
        code = self.proc.poll()
        if code is None:
            return True
        self.exits.append(code)
        self.proc = None
        return False


def run_trial(
    src: str,
    tgt: str,
    seed: int,
    workdir: Path,
    *,
    processes: int = 4,
    kills: int = 6,
    batch_size: int = 2_000,
    deadline: float = 600.0,
) -> dict[str, Any]:
    """One trial: ``processes`` processes on one run, ``kills`` of them SIGKILLed at
    random moments and started again (the same command each time); returns what
    happened. Raises AssertionError when the target or the ledger is wrong."""
    rng = random.Random(seed)
    run_id = f"trial-{seed}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    common = ["--source", src, "--target", tgt, "--batch-size", str(batch_size), "--json"]
    rejects = ["--reject-file", str(workdir / f"rejects-{seed}.jsonl")]
    workers = [
        Worker(
            ["migrate", *common, *rejects, "--run-id", run_id, "--workers", "2", "--parts", "8"],
            workdir / f"w0-{seed}.log",
        )
    ]
    for i in range(1, processes):
        workers.append(
            Worker(
                ["migrate", *common, "--join", run_id, "--join-wait", "60"],
                workdir / f"w{i}-{seed}.log",
            )
        )
    for w in workers:
        w.start(env)
    killed: list[int] = []
    started = time.monotonic()
    while len(killed) < kills:
        time.sleep(rng.uniform(0.05, 0.8))
        alive = [i for i, w in enumerate(workers) if w.running()]
        if 0 not in alive:  # the run is finished (or its starter failed): no more kills
            break
        victim = rng.choice(alive)
        proc = workers[victim].proc
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        workers[victim].proc = None
        killed.append(victim)
        time.sleep(rng.uniform(0.0, 0.3))
        workers[victim].start(env)
        if time.monotonic() - started > deadline:
            raise AssertionError(f"trial {seed}: still running after {deadline} s")
    # no more kills: let every process finish; one that exits early on an error is
    # what the trial is looking for, so it fails the trial
    for w in workers:
        if w.proc is not None:
            remaining = max(1.0, deadline - (time.monotonic() - started))
            try:
                w.exits.append(w.proc.wait(timeout=remaining))
            except subprocess.TimeoutExpired as exc:
                for x in workers:
                    if x.proc is not None:
                        x.proc.kill()
                raise AssertionError(f"trial {seed}: a process did not finish") from exc
            w.proc = None
    for i, w in enumerate(workers):
        last = w.exits[-1]
        assert last == 0, (
            f"trial {seed}: process {i} ended with {last}: " + w.log.read_text()[-2000:]
        )
    check_target(src, tgt, run_id)
    return {"seed": seed, "killed": killed, "seconds": round(time.monotonic() - started, 1)}


def check_target(src: str, tgt: str, run_id: str) -> None:
    """The run is done, every table equals the source, and the ledger recorded each row
    of each table once, in key ranges that do not overlap."""
    status = query(tgt, "select status from ormshift.runs where run_id = %s", [run_id])
    assert status == [("done",)], status
    for table, order in orders().items():
        same(src, tgt, table, order)
        total = query(src, f"select count(*) from {table}")[0][0]
        rows = query(
            tgt,
            "select key_from, key_to, rows_read from ormshift.ledger where run_id = %s"
            " and table_name = %s and rolled_back_at is null",
            [run_id, table],
        )
        assert sum(r[2] for r in rows) == total, (table, total, rows)
        ranges = sorted(
            ((r[0] or [], r[1] or []) for r in rows), key=lambda r: _sortable(r[0], order)
        )
        for (_, prev_hi), (lo, _) in itertools.pairwise(ranges):
            assert _sortable(lo, order) >= _sortable(prev_hi, order), (table, ranges)


def _sortable(key: list[Any], order: str) -> tuple[Any, ...]:
    """A ledger key as the table orders it (integers as numbers, text as text)."""
    if order in ("id",):
        return tuple(int(v) for v in key)
    if order == "a, b":
        return tuple((str(key[0]), int(key[1]))) if key else ()
    return tuple(str(v) for v in key)


def prepare(make_db: Callable[[str], str], big_rows: int, small_rows: int) -> tuple[str, str]:
    src, tgt = make_db("jsrc"), make_db("jtgt")
    for url in (src, tgt):
        run_sql(url, *ddl())
    run_sql(src, *data(big_rows, small_rows))
    return src, tgt
