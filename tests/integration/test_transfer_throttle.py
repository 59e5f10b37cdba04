"""Throttle: a pause flag file holds the run between batches; a critical probe aborts."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

import ormshift.transfer.engine as transfer_engine
from ormshift.monitor import Rule, Sample
from ormshift.transfer import (
    Event,
    MigrateOptions,
    RunReport,
    ThrottleSettings,
    TransferAborted,
    TransferError,
    migrate,
)
from tests.integration.test_transfer_support import (
    TEST_LOAD,
    CriticalAfter,
    query,
    run_sql,
    same,
)

MONITORED = ["--batch-size", "100", "--json", "--log-json", "--monitor-config"]
SLOW = MigrateOptions(batch_size=100, throttle=TEST_LOAD)

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]
Spawn = Callable[[list[str]], "subprocess.Popen[str]"]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start ``ormshift ARGS``; whatever still runs when the test ends is killed (a failed
    assertion must not leave a paused run behind)."""
    started: list[subprocess.Popen[str]] = []

    def start(args: list[str]) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.fixture
def pair(make_db: Callable[[str], str]) -> tuple[str, str]:
    src, tgt = make_db("src"), make_db("tgt")
    for url in (src, tgt):
        run_sql(url, "create table t (id int primary key, v text)")
    run_sql(src, "insert into t select i, md5(i::text) from generate_series(1, 1000) i")
    return src, tgt


def test_critical_probe_aborts_between_batches_and_run_resumes(pair: tuple[str, str]) -> None:
    src, tgt = pair
    with pytest.raises(TransferAborted, match=r"critical health threshold .*test_load = 99"):
        migrate(src, tgt, SLOW, extra_probes=(CriticalAfter(4),))
    assert query(tgt, "select status from ormshift.runs") == [("aborted",)]
    assert query(tgt, "select count(*), sum(rows_written) from ormshift.ledger") == [(4, 400)]
    assert query(tgt, "select count(*) from t") == [(400,)]
    report = migrate(src, tgt, MigrateOptions(batch_size=100))  # the same command again
    assert report.resumed and report.tables[0].batches == 10
    same(src, tgt, "t", "id")


def test_critical_threshold_from_cli_is_one_line_exit_3(pair: tuple[str, str]) -> None:
    src, tgt = pair
    result = subprocess.run(
        [*CLI, "migrate", "--source", src, "--target", tgt, "--critical-memory", "0.1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "critical health threshold reached (host_memory_percent = " in result.stderr
    assert query(tgt, "select count(*) from t") == [(0,)]
    result = subprocess.run(
        [*CLI, "migrate", "--source", src, "--target", tgt],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    same(src, tgt, "t", "id")


def test_pause_file_holds_the_run_until_removed(
    pair: tuple[str, str], tmp_path: Path, spawn: Spawn
) -> None:
    src, tgt = pair
    flag = tmp_path / "pause"
    flag.touch()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = spawn(
        [
            "migrate",
            "--source",
            src,
            "--target",
            tgt,
            "--batch-size",
            "100",
            "--json",
            "--pause-file",
            str(flag),
            "--poll-seconds",
            "0.05",
            "--metrics-port",
            str(port),
        ]
    )
    assert proc.stdout is not None
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "pause":
            break
    assert "pause file" in events[-1]["reason"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        metrics = resp.read().decode()
    assert 'ormshift_threshold_level{metric="pause_file"} 3.0' in metrics
    assert "ormshift_run_rows_total 0.0" in metrics
    assert 'ormshift_pg_active_connections{db="target"}' in metrics
    # paused before the first batch: nothing copied while the flag is there
    assert query(tgt, "select count(*) from t") == [(0,)]
    assert query(tgt, "select count(*) from ormshift.ledger") == [(0,)]
    flag.unlink()
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    kinds = [json.loads(line)["event"] for line in rest.splitlines()]
    assert kinds[0] == "resume" and kinds[-1] == "summary"
    same(src, tgt, "t", "id")


def test_one_process_per_run(pair: tuple[str, str]) -> None:
    src, tgt = pair
    with pytest.raises(TransferAborted):
        migrate(src, tgt, SLOW, extra_probes=(CriticalAfter(2),))
    ((run_id,),) = query(tgt, "select run_id from ormshift.runs")
    with psycopg.connect(tgt, autocommit=True) as other:
        other.execute("select pg_advisory_lock(hashtext('ormshift.run'), hashtext(%s))", [run_id])
        with pytest.raises(TransferError, match="another process"):
            migrate(src, tgt, MigrateOptions(batch_size=100, resume=run_id))
    assert query(tgt, "select count(*) from ormshift.ledger") == [(2,)]
    migrate(src, tgt, MigrateOptions(batch_size=100, resume=run_id))
    same(src, tgt, "t", "id")


def test_busy_target_pauses_the_run_until_connections_clear(pair: tuple[str, str]) -> None:
    """--max-connections is a monitor rule on pg_active_connections{db=target}."""
    src, tgt = pair
    holders = [psycopg.connect(tgt, autocommit=True) for _ in range(2)]
    pids = [h.info.backend_pid for h in holders]
    sleepers = [
        threading.Thread(target=_sleep_until_cancelled, args=(h,), daemon=True) for h in holders
    ]
    for t in sleepers:
        t.start()
    _wait_for(lambda: _active(tgt, pids) == 2)
    events: list[str] = []
    paused = threading.Event()

    def on_event(e: Event) -> None:
        events.append(e.kind)
        if e.kind == "pause":
            assert "pg_active_connections{db=target} = 2 (pause at 2)" in e.data["reason"]
            paused.set()

    opts = MigrateOptions(
        batch_size=100, throttle=ThrottleSettings(max_connections=2, interval=0.05)
    )
    result: list[RunReport] = []
    runner = threading.Thread(target=lambda: result.append(migrate(src, tgt, opts, on_event)))
    runner.start()
    assert paused.wait(60)
    assert query(tgt, "select count(*) from t") == [(0,)]  # paused before the first batch
    run_sql(tgt, *(f"select pg_cancel_backend({pid})" for pid in pids))
    runner.join(60)
    for h in holders:
        h.close()
    assert result and result[0].status == "done"
    assert events.index("pause") < events.index("resume") < events.index("batch")
    same(src, tgt, "t", "id")


def _sleep_until_cancelled(conn: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.errors.QueryCanceled):
        conn.execute("select pg_sleep(60)")


def _active(url: str, pids: list[int]) -> int:
    rows = query(
        url,
        "select count(*) from pg_stat_activity where state = 'active' and pid = any(%s)",
        [pids],
    )
    return int(rows[0][0])


def _wait_for(check: Callable[[], bool]) -> None:
    for _ in range(600):
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_pause_threshold_from_config_reloaded_while_running(
    pair: tuple[str, str], tmp_path: Path, spawn: Spawn
) -> None:
    """A pause rule on the run's own rows; raising it in the file lets the run go on.

    ``interval = 0``: probes are read before every batch (by default at most once per
    interval), so the pause comes exactly after the third batch."""
    src, tgt = pair
    config = tmp_path / "monitor.toml"
    config.write_text("[monitor]\ninterval = 0\n[thresholds.run_rows_total]\npause = 300\n")
    proc = spawn(["migrate", "--source", src, "--target", tgt, *MONITORED, str(config)])
    assert proc.stdout is not None
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "pause":
            break
    assert events[-1]["reason"] == "run_rows_total = 300 (pause at 300)"
    assert query(tgt, "select count(*) from ormshift.ledger") == [(3,)]
    # the batch read ahead was dropped: no source transaction is held open while paused
    busy = (
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and pid <> pg_backend_pid() and state <> 'idle'"
    )
    assert query(src, busy) == [(0,)]
    config.write_text("[monitor]\ninterval = 0\n[thresholds.run_rows_total]\npause = 1e9\n")
    os.utime(config, (time.time() + 5, time.time() + 5))  # a new mtime even on coarse clocks
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    kinds = [json.loads(line)["event"] for line in rest.splitlines()]
    assert kinds[0] == "resume" and kinds[-1] == "summary"
    alerts = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any("run_rows_total" in json.dumps(a) for a in alerts)
    same(src, tgt, "t", "id")


class Throttling:
    """A probe whose ``test_load`` always asks to throttle."""

    name = "test-throttle"

    def collect(self) -> list[Sample]:
        return [Sample("test_load", 60.0)]


def test_a_throttled_run_sleeps_with_no_target_transaction_open(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small tables share one target transaction; a throttle's sleep commits it first,
    so that the run never holds the target's locks while it waits."""
    src, tgt = make_db("src"), make_db("tgt")
    tables = [f"s{i}" for i in range(12)]
    for url in (src, tgt):
        run_sql(url, *(f"create table {t} (id int primary key, v text)" for t in tables))
    run_sql(src, *(f"insert into {t} select i, 'v' from generate_series(1, 20) i" for t in tables))
    seen: list[int] = []
    with psycopg.connect(tgt, autocommit=True) as watcher:

        def sleep(seconds: float) -> None:  # what the target holds while the run sleeps
            row = watcher.execute(
                "select count(*) from pg_stat_activity where datname = current_database()"
                " and pid <> pg_backend_pid() and state like 'idle in transaction%'"
            ).fetchone()
            assert row is not None
            seen.append(int(row[0]))

        monkeypatch.setattr(transfer_engine, "_sleep", sleep)
        throttled = ThrottleSettings(rules=(Rule("test_load", throttle=50),), interval=0.0)
        report = migrate(src, tgt, MigrateOptions(throttle=throttled), extra_probes=(Throttling(),))
    assert len(seen) >= len(tables) and set(seen) == {0}, seen
    assert sum(t.written for t in report.tables) == 20 * len(tables)
    for t in tables:
        same(src, tgt, t, "id")
