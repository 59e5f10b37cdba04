"""Rejects are never lost, reports are written on failure, a useless run says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from ormshift.transfer import ledger
from tests.integration.test_transfer_support import kill_after, query, run_sql

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


@pytest.fixture
def pair(make_db: Callable[[str], str]) -> tuple[str, str]:
    """600 rows, every tenth of which the target's check constraint refuses."""
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, "create table t (id int primary key, v text)")
    run_sql(tgt, "create table t (id int primary key, v text check (v not like 'bad%'))")
    run_sql(
        src,
        "insert into t select i, case when i % 10 = 0 then 'bad' || i else 'ok' || i end"
        " from generate_series(1, 600) i",
    )
    return src, tgt


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )


def _reject_ids(path: Path) -> list[int]:
    return sorted(int(json.loads(line)["key"]["id"]) for line in path.read_text().splitlines())


def test_rejects_survive_a_kill_and_a_lost_file(pair: tuple[str, str], tmp_path: Path) -> None:
    src, tgt = pair
    rejects = tmp_path / "rejects.jsonl"
    args = ["migrate", "--source", src, "--target", tgt, "--batch-size", "20", "--json"]
    args += ["--reject-file", str(rejects)]
    kill_after(args, 8, tmp_path / "run.jsonl")
    # every committed batch has its refused rows in the ledger, in the same transaction
    assert query(
        tgt,
        "select count(*) from ormshift.ledger l where rows_rejected <> (select count(*)"
        " from ormshift.rejects r where (r.run_id, r.table_name, r.batch_no)"
        " = (l.run_id, l.table_name, l.batch_no))",
    ) == [(0,)]
    assert query(tgt, "select count(*) from ormshift.rejects")[0][0] >= 1
    rejects.unlink(missing_ok=True)  # the file is lost (or its last append never happened)
    run_id = str(query(tgt, "select run_id from ormshift.runs")[0][0])
    done = _cli(*args, "--resume", run_id)
    assert done.returncode == 0, done.stderr
    assert _reject_ids(rejects) == list(range(10, 601, 10))  # each bad row, once
    assert query(tgt, "select count(*) from t") == [(540,)]


def test_a_reject_file_with_other_lines_ends_with_this_runs_only(
    pair: tuple[str, str], tmp_path: Path
) -> None:
    """A fresh run appends to whatever file it is given, then makes it the ledger's copy:
    lines of an earlier run do not stay (the end's rebuild is skipped only for a file
    this run wrote whole)."""
    src, tgt = pair
    rejects = tmp_path / "rejects.jsonl"
    stale = '{"error": "old", "key": {"id": "99999"}, "row": null, "table": "t"}\n'
    rejects.write_text(stale)
    args = ["migrate", "--source", src, "--target", tgt, "--batch-size", "100"]
    done = _cli(*args, "--reject-file", str(rejects))
    assert done.returncode == 0, done.stderr
    assert _reject_ids(rejects) == list(range(10, 601, 10))
    # and a file this run wrote whole is left as written: the same lines as the ledger's
    fresh = tmp_path / "fresh.jsonl"
    run_sql(tgt, "drop schema ormshift cascade", "truncate t")
    done = _cli(*args, "--reject-file", str(fresh))
    assert done.returncode == 0, done.stderr
    lines = query(tgt, "select line from ormshift.rejects order by batch_no, seq")
    assert fresh.read_text().splitlines() == [str(r[0]) for r in lines]


def test_a_reject_file_that_cannot_be_written_stops_before_anything_is_written(
    pair: tuple[str, str], tmp_path: Path
) -> None:
    src, tgt = pair
    for path in (tmp_path / "missing" / "r.jsonl", tmp_path):
        result = _cli("migrate", "--source", src, "--target", tgt, "--reject-file", str(path))
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "error:" in result.stderr
        assert query(tgt, "select count(*) from t") == [(0,)]
        assert query(tgt, "select to_regclass('ormshift.runs') is null") == [(True,)]


def test_the_report_is_written_when_the_run_fails_midway(
    pair: tuple[str, str], tmp_path: Path
) -> None:
    src, tgt = pair
    flag, report = tmp_path / "pause", tmp_path / "report.json"
    args = ["migrate", "--source", src, "--target", tgt, "--batch-size", "50", "--json"]
    args += ["--pause-file", str(flag), "--poll-seconds", "0.05", "--report", str(report)]
    args += ["--reject-file", str(tmp_path / "r.jsonl")]
    proc = subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        batches = 0
        for line in proc.stdout:
            if json.loads(line)["event"] == "batch":
                batches += 1
                if batches == 3:
                    flag.touch()
            if json.loads(line)["event"] == "pause":
                break
        # the run's target connection dies while it waits
        killed = query(
            tgt,
            "select pg_terminate_backend(pid) from pg_stat_activity where datname ="
            " current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'",
        )
        assert killed and all(k[0] for k in killed)
        flag.unlink()
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode not in (0, None), err
    lines = [x for x in err.strip().splitlines() if x.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    written = json.loads(report.read_text())
    assert written["status"] == "aborted"
    assert "terminating connection" in json.dumps(written), written
    assert query(tgt, "select status from ormshift.runs") == [("aborted",)]


def test_a_table_whose_every_row_is_refused_fails_the_run(
    make_db: Callable[[str], str], tmp_path: Path
) -> None:
    src, tgt = make_db("src"), make_db("tgt")
    ddl = (
        "create table parent (id int primary key)",
        "create table child (id int primary key, parent_id int not null references parent)",
    )
    run_sql(src, *ddl)
    run_sql(tgt, *ddl)
    run_sql(
        src,
        "insert into parent select generate_series(1, 20)",
        "insert into child select i, 1 + i % 20 from generate_series(1, 60) i",
    )
    dry = _cli(
        "migrate", "--source", src, "--target", tgt, "--table", "child", "--dry-run", cwd=tmp_path
    )
    assert dry.returncode == 0, dry.stderr
    assert "references 'parent', which this run does not copy" in dry.stderr
    result = _cli("migrate", "--source", src, "--target", tgt, "--table", "child", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and "refused every row of child" in errors[0], result.stderr
    assert "references 'parent'" in result.stderr  # the preflight warned first
    assert query(tgt, "select count(*) from child") == [(0,)]
    # copying both is fine
    run_sql(tgt, "drop schema ormshift cascade")
    both = _cli("migrate", "--source", src, "--target", tgt, cwd=tmp_path)
    assert both.returncode == 0, both.stderr
    assert query(tgt, "select count(*) from child") == [(60,)]


def test_reject_lines_keep_every_character_in_the_ledger(make_db: Callable[[str], str]) -> None:
    """Backslashes, tabs, newlines and non-ASCII text come back from the ledger as given
    (its lines are sent in COPY's text format)."""
    url = make_db("tgt")
    lines = ['{"a": "x\\\\y"}', "tab\there", "new\nline\r\n", "\\N", "é ü \\t", ""]
    with psycopg.connect(url) as conn:
        ledger.ensure(conn)
        ledger.create_run(conn, "r1", "src", "public", {}, {})
        ledger.record_rejects(conn, "r1", "we\tird", 3, lines)
        got = conn.execute(
            "select table_name, batch_no, line from ormshift.rejects order by seq"
        ).fetchall()
    assert got == [("we\tird", 3, line) for line in lines]
