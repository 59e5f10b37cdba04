"""Throttle: a pause flag file holds the run between batches; a critical probe aborts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from ormshift.transfer import (
    ConnectionsProbe,
    MigrateOptions,
    TransferAborted,
    TransferError,
    migrate,
)
from tests.integration.test_transfer_support import CriticalAfter, query, run_sql, same

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


@pytest.fixture
def pair(make_db: Callable[[str], str]) -> tuple[str, str]:
    src, tgt = make_db("src"), make_db("tgt")
    for url in (src, tgt):
        run_sql(url, "create table t (id int primary key, v text)")
    run_sql(src, "insert into t select i, md5(i::text) from generate_series(1, 1000) i")
    return src, tgt


def test_critical_probe_aborts_between_batches_and_run_resumes(pair: tuple[str, str]) -> None:
    src, tgt = pair
    with pytest.raises(TransferAborted, match=r"critical health threshold .*test-load: load 99"):
        migrate(src, tgt, MigrateOptions(batch_size=100), extra_probes=(CriticalAfter(4),))
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
    assert "critical health threshold reached (host: host memory" in result.stderr
    assert query(tgt, "select count(*) from t") == [(0,)]
    result = subprocess.run(
        [*CLI, "migrate", "--source", src, "--target", tgt],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    same(src, tgt, "t", "id")


def test_pause_file_holds_the_run_until_removed(pair: tuple[str, str], tmp_path: Path) -> None:
    src, tgt = pair
    flag = tmp_path / "pause"
    flag.touch()
    proc = subprocess.Popen(
        [
            *CLI,
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
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "pause":
            break
    assert "pause file" in events[-1]["reason"]
    # paused before the first batch: nothing copied while the flag is there
    assert query(tgt, "select count(*) from t") == [(0,)]
    assert query(tgt, "select count(*) from ormshift.ledger") == [(0,)]
    flag.unlink()
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    kinds = [json.loads(line)["event"] for line in rest.splitlines()]
    assert kinds[0] == "resume" and kinds[-1] == "summary"
    same(src, tgt, "t", "id")


def test_connections_probe_reads_the_target(pair: tuple[str, str]) -> None:
    _, tgt = pair
    with psycopg.connect(tgt, autocommit=True) as conn:
        assert ConnectionsProbe(conn, max_active=0).check().level == "pause"
        assert ConnectionsProbe(conn, critical_active=0).check().level == "critical"
        assert ConnectionsProbe(conn, max_active=10_000).check().level == "ok"


def test_one_process_per_run(pair: tuple[str, str]) -> None:
    src, tgt = pair
    with pytest.raises(TransferAborted):
        migrate(src, tgt, MigrateOptions(batch_size=100), extra_probes=(CriticalAfter(2),))
    ((run_id,),) = query(tgt, "select run_id from ormshift.runs")
    with psycopg.connect(tgt, autocommit=True) as other:
        other.execute("select pg_advisory_lock(hashtext('ormshift.run'), hashtext(%s))", [run_id])
        with pytest.raises(TransferError, match="another process"):
            migrate(src, tgt, MigrateOptions(batch_size=100, resume=run_id))
    assert query(tgt, "select count(*) from ormshift.ledger") == [(2,)]
    migrate(src, tgt, MigrateOptions(batch_size=100, resume=run_id))
    same(src, tgt, "t", "id")
