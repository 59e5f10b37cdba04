"""Rows the target refuses are isolated by bisection; good rows load; ``--max-rejects``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ormshift.report import read as read_report
from ormshift.transfer import MigrateOptions, TransferAborted, migrate
from tests.integration.test_transfer_support import query, run_sql

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


@pytest.fixture
def checked(make_db: Callable[[str], str]) -> tuple[str, str]:
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, "create table item (id int primary key, qty int not null, label text)")
    run_sql(
        tgt,
        "create table item (id int primary key, qty int not null check (qty >= 0), label text)",
    )
    # rows 17, 34, ... (every 17th) carry a negative quantity the target refuses
    run_sql(
        src,
        "insert into item select i, case when i % 17 = 0 then -i else i end, 'l' || i"
        " from generate_series(1, 500) i",
    )
    return src, tgt


def test_bad_rows_are_isolated_and_good_rows_load(checked: tuple[str, str], tmp_path: Path) -> None:
    src, tgt = checked
    rejects = tmp_path / "rejects.jsonl"
    report = migrate(src, tgt, MigrateOptions(batch_size=64, reject_file=rejects))
    bad = 500 // 17
    assert (report.read, report.written, report.rejected) == (500, 500 - bad, bad)
    assert report.reject_file == str(rejects)
    assert query(tgt, "select count(*) from item") == [(500 - bad,)]
    assert query(
        src, "select md5(string_agg(t::text, ',' order by id)) from item t where qty >= 0"
    ) == query(tgt, "select md5(string_agg(t::text, ',' order by id)) from item t")
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["key"] for r in lines] == [{"id": str(17 * i)} for i in range(1, bad + 1)]
    assert lines[0]["table"] == "item"
    assert lines[0]["row"] == {"id": 17, "qty": -17, "label": "l17"}
    assert "item_qty_check" in lines[0]["error"]
    per_batch = query(tgt, "select rows_read, rows_written, rows_rejected from ormshift.ledger")
    assert all(r == w + j for r, w, j in per_batch)
    assert sum(j for _, _, j in per_batch) == bad


def test_text_path_value_errors_are_rejected_too(
    make_db: Callable[[str], str], tmp_path: Path
) -> None:
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, "create table t (id uuid primary key, code text)")
    run_sql(tgt, "create table t (id uuid primary key, code varchar(4))")
    run_sql(
        src,
        "insert into t select gen_random_uuid(), case when i % 50 = 0 then 'too-long' else 'ok' end"
        " from generate_series(1, 300) i",
    )
    report = migrate(src, tgt, MigrateOptions(batch_size=40, reject_file=tmp_path / "r.jsonl"))
    assert (report.written, report.rejected) == (294, 6)
    assert "too long" in json.loads((tmp_path / "r.jsonl").read_text().splitlines()[0])["error"]


def test_max_rejects_aborts_cleanly_and_resumes(checked: tuple[str, str], tmp_path: Path) -> None:
    src, tgt = checked
    opts = MigrateOptions(batch_size=64, max_rejects=5, reject_file=tmp_path / "r.jsonl")
    with pytest.raises(TransferAborted, match="more than --max-rejects 5"):
        migrate(src, tgt, opts)
    ((run_id, status),) = query(tgt, "select run_id, status from ormshift.runs")
    assert status == "aborted"
    loaded = query(tgt, "select count(*) from item")[0][0]
    assert loaded == query(tgt, "select sum(rows_written) from ormshift.ledger")[0][0]
    # the CLI says so in one line, exit code 3
    result = subprocess.run(
        [
            *CLI,
            "migrate",
            "--source",
            src,
            "--target",
            tgt,
            "--batch-size",
            "64",
            "--max-rejects",
            "6",
            "--reject-file",
            str(tmp_path / "r.jsonl"),
            "--report",
            str(tmp_path / "report.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "--max-rejects 6" in result.stderr
    partial = read_report(tmp_path / "report.json")
    assert partial.status == "aborted" and partial.summary is not None
    read, written, rejected = (sum(int(row[i] or 0) for row in partial.summary.rows)
                               for i in (1, 2, 3))  # fmt: skip
    assert rejected == 11 and read == written + rejected
    report = migrate(
        src, tgt, MigrateOptions(batch_size=64, resume=run_id, reject_file=tmp_path / "r.jsonl")
    )
    assert (report.read, report.written, report.rejected) == (500, 471, 29)
    assert report.resumed
