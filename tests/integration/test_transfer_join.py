"""A shared run: processes joining one run (--join), claiming its tables and key ranges
under leases that die with their connections, killed and started again at random."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from ormshift.transfer import MigrateOptions, PreflightError, RunNotFound, migrate, rollback
from ormshift.transfer.errors import TransferError
from tests.integration import join_trials
from tests.integration.test_transfer_support import query


@pytest.fixture
def trial_pair(make_db: Callable[[str], str]) -> tuple[str, str]:
    return join_trials.prepare(make_db, big_rows=30_000, small_rows=500)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ormshift", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_joined_processes_share_one_run_and_write_each_range_once(
    trial_pair: tuple[str, str], tmp_path: Path
) -> None:
    src, tgt = trial_pair
    common = ["--source", src, "--target", tgt, "--batch-size", "1000"]
    starter = subprocess.Popen(
        [sys.executable, "-m", "ormshift", "migrate", *common, "--run-id", "shared-1",
         "--workers", "2", "--parts", "6", "--reject-file", str(tmp_path / "r.jsonl")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    joiners = [
        subprocess.Popen(
            [sys.executable, "-m", "ormshift", "migrate", *common, "--join", "shared-1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    out = starter.communicate(timeout=300)[0]
    assert starter.returncode == 0, out
    for j in joiners:
        jout = j.communicate(timeout=300)[0]
        assert j.returncode == 0, jout
        assert "joining run shared-1" in jout
    join_trials.check_target(src, tgt, "shared-1")
    # the big table's 6 key ranges are 6 units, each marked done once
    units = query(
        tgt, "select part from ormshift.units where run_id = 'shared-1' and table_name = 'big'"
    )
    assert sorted(p for (p,) in units) == list(range(6))


def test_a_joined_process_does_the_work_of_a_paused_starter(
    trial_pair: tuple[str, str], tmp_path: Path
) -> None:
    """The starting process waits on its pause file before its first claim; the process
    that joins claims every unit meanwhile. Once the pause file is gone, the starter
    finds every unit done and finishes the run."""
    src, tgt = trial_pair
    pause = tmp_path / "pause"
    pause.touch()
    starter = subprocess.Popen(
        [sys.executable, "-m", "ormshift", "migrate", "--source", src, "--target", tgt,
         "--run-id", "paused-1", "--workers", "2", "--parts", "4", "--batch-size", "3000",
         "--pause-file", str(pause), "--poll-seconds", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    joined = _cli("migrate", "--source", src, "--target", tgt, "--join", "paused-1")
    assert joined.returncode == 0, joined.stdout + joined.stderr
    assert starter.poll() is None  # still paused: every row below is the joiner's
    for table, order in join_trials.orders().items():
        assert query(src, f"select count(*) from {table}") == query(
            tgt, f"select count(*) from {table}"
        ), (table, order)
    assert query(tgt, "select status from ormshift.runs where run_id = 'paused-1'") == [
        ("running",)
    ]
    pause.unlink()
    out = starter.communicate(timeout=300)[0]
    assert starter.returncode == 0, out
    join_trials.check_target(src, tgt, "paused-1")


def test_a_unit_leased_elsewhere_waits_and_a_dead_lease_is_taken_over(
    trial_pair: tuple[str, str],
) -> None:
    """A lease held by another session keeps the unit from this run until that session
    ends; then the run takes it over and finishes."""
    src, tgt = trial_pair
    opts = MigrateOptions(batch_size=5000, workers=2, parts=3, run_id="lease-1")
    # the run's first level: hold the lease of one unit of t00 (a table of the first
    # level) from another session before the run starts its level
    holder = psycopg.connect(tgt, autocommit=True)
    key = "lease-1\x1ft00\x1f0"
    assert holder.execute(
        "select pg_try_advisory_lock(hashtext('ormshift.unit'), hashtext(%s))", [key]
    ).fetchone() == (True,)
    done = threading.Event()
    result: list[object] = []

    def run() -> None:
        try:
            result.append(migrate(src, tgt, opts))
        except BaseException as exc:  # reported by the assertion below
            result.append(exc)
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    # the run cannot finish while t00 is leased elsewhere
    assert not done.wait(3.0)
    assert query(tgt, "select count(*) from t00") == [(0,)]
    holder.close()  # the lease dies with its connection
    thread.join(timeout=120)
    assert done.is_set()
    assert not isinstance(result[0], BaseException), result[0]
    join_trials.check_target(src, tgt, "lease-1")


def test_join_refuses_what_it_cannot_join(trial_pair: tuple[str, str]) -> None:
    src, tgt = trial_pair
    with pytest.raises(RunNotFound, match=r"no run 'nope'.*--run-id nope --workers 2"):
        migrate(src, tgt, MigrateOptions(join="nope", join_wait=0))
    migrate(src, tgt, MigrateOptions(run_id="alone-1", tables=("t00",)))  # one process
    with pytest.raises(PreflightError, match="started by one process and cannot be joined"):
        migrate(src, tgt, MigrateOptions(join="alone-1", join_wait=0))
    with pytest.raises(PreflightError, match=r"--join .* cannot take --truncate"):
        migrate(src, tgt, MigrateOptions(join="alone-1", truncate=True))
    with pytest.raises(PreflightError, match=r"--parts .* --workers 2 or more"):
        migrate(src, tgt, MigrateOptions(parts=4))
    with pytest.raises(PreflightError, match="is not a run id"):
        migrate(src, tgt, MigrateOptions(run_id="no spaces"))


def test_rollback_waits_for_every_process_of_the_run(trial_pair: tuple[str, str]) -> None:
    src, tgt = trial_pair
    migrate(src, tgt, MigrateOptions(batch_size=5000, workers=2, run_id="rb-1"))
    # a process still working on the run holds its worker lock (shared)
    worker = psycopg.connect(tgt, autocommit=True)
    worker.execute("select pg_advisory_lock_shared(hashtext('ormshift.work'), hashtext('rb-1'))")
    with pytest.raises(TransferError, match="every process that joined it"):
        rollback(tgt, "rb-1")
    assert query(tgt, "select count(*) from big") == [(30_000,)]
    worker.close()
    report = rollback(tgt, "rb-1")
    assert report.deleted["big"] == 30_000
    assert query(tgt, "select count(*) from big") == [(0,)]


def test_the_cli_says_in_one_line_what_join_needs(trial_pair: tuple[str, str]) -> None:
    src, tgt = trial_pair
    done = _cli("migrate", "--source", src, "--target", tgt, "--join", "later", "--join-wait", "0")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "no run 'later'" in lines[0], done.stderr


@pytest.mark.parametrize("seed", [1, 2])
def test_killed_and_restarted_processes_leave_the_target_identical(
    trial_pair: tuple[str, str], tmp_path: Path, seed: int
) -> None:
    src, tgt = trial_pair
    outcome = join_trials.run_trial(src, tgt, seed, tmp_path, kills=4, batch_size=1500)
    assert outcome["killed"], outcome  # the trial did kill processes mid-run
