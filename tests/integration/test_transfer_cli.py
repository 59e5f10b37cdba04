"""``ormshift migrate`` / ``rollback`` from the command line: plan, bad input, output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from ormshift.report import read as read_report
from tests.integration.test_transfer_support import query, run_sql, same

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]
SECRET = "s3cret-Pa55"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


def with_password(url: str) -> str:
    parts = urlsplit(url)
    user = parts.username or "postgres"
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    netloc = f"{user}:{SECRET}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert SECRET not in text
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def dbs(make_db: Callable[[str], str]) -> tuple[str, str]:
    src, tgt = make_db("src"), make_db("tgt")
    ddl = (
        "create table parent (id serial primary key, name text)",
        "create table child (id int primary key, parent_id int references parent, v text)",
    )
    run_sql(src, *ddl)
    run_sql(tgt, *ddl)
    run_sql(
        src,
        "insert into parent (name) select 'p' || i from generate_series(1, 50) i",
        "insert into child select i, 1 + i % 50, 'v' || i from generate_series(1, 400) i",
    )
    return with_password(src), with_password(tgt)


def nothing_written(tgt: str) -> None:
    assert query(tgt, "select to_regclass('ormshift.runs')") == [(None,)]
    assert query(tgt, "select count(*) from child") == [(0,)]


def test_dry_run_prints_plan_and_changes_nothing(dbs: tuple[str, str]) -> None:
    src, tgt = dbs
    result = cli("migrate", "--source", src, "--target", tgt, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "parent" in result.stdout and "child" in result.stdout
    assert result.stdout.index("parent") < result.stdout.index("child")
    assert "nothing was written" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    result = cli("migrate", "--source", src, "--target", tgt, "--dry-run", "--json")
    plan = json.loads(result.stdout)
    assert [t["table"] for t in plan["tables"]] == ["parent", "child"]
    assert plan["tables"][1]["estimated_rows"] == 400
    assert plan["tables"][1]["estimated_bytes"] > 0
    nothing_written(tgt)


def test_migrate_prints_summary_and_writes_report(dbs: tuple[str, str], tmp_path: Path) -> None:
    src, tgt = dbs
    report = tmp_path / "report.json"
    result = cli(
        "migrate", "--source", src, "--target", tgt, "--batch-size", "64", "--report", str(report)
    )
    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stdout
    assert SECRET not in result.stdout + result.stderr
    data = read_report(report)
    assert data.kind == "migrate" and data.status == "ok" and data.run_id
    assert data.summary is not None
    assert {row[0]: (row[1], row[2], row[4]) for row in data.summary.rows} == {
        "parent": (50, 50, 1),
        "child": (400, 400, 7),
    }
    names = {s.name for s in data.series}
    assert "all tables" in names and "host_cpu_percent" in names  # throughput and health
    same(src, tgt, "child", "id")
    assert all(SECRET not in r[0] for r in query(tgt, "select source from ormshift.runs"))


def test_json_lines(dbs: tuple[str, str]) -> None:
    src, tgt = dbs
    result = cli("migrate", "--source", src, "--target", tgt, "--batch-size", "100", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run" and kinds[-2:] == ["done", "summary"]
    assert kinds.count("batch") == 5
    assert sum(e["rows"] for e in events if e["event"] == "batch") == 450


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unreachable", "no server answers there"),
        ("no-database", "does not exist"),
        ("missing-table", "the target has no table 'child'"),
        ("columns", "source column child.v has no column"),
        ("no-key", "has no primary key"),
        ("unknown-run", "has no run 'nope'"),
        ("both-modes", "--truncate or --append, not both"),
        ("non-empty", "already has rows"),
    ],
)
def test_bad_input_is_one_line(dbs: tuple[str, str], case: str, expected: str) -> None:
    src, tgt = dbs
    args = ["migrate", "--source", src, "--target", tgt]
    host = urlsplit(tgt)
    if case == "unreachable":  # a TCP port nothing listens on (the server may be on a socket)
        args[4] = "postgresql://postgres@127.0.0.1:1/postgres"
    elif case == "no-database":
        args[2] = urlunsplit((host.scheme, host.netloc, "/no_such_db_here", host.query, ""))
    elif case == "missing-table":
        run_sql(tgt, "drop table child")
    elif case == "columns":
        run_sql(tgt, "alter table child drop column v")
    elif case == "no-key":
        run_sql(src, "create table loose (a int)")
        run_sql(tgt, "create table loose (a int)")
    elif case == "unknown-run":
        args += ["--resume", "nope"]
    elif case == "both-modes":
        args += ["--truncate", "--append"]
    elif case == "non-empty":
        run_sql(tgt, "insert into parent (name) values ('there')")
    line = one_error_line(cli(*args))
    assert expected in line
    if case not in ("missing-table", "columns", "non-empty"):
        nothing_written(tgt)
    else:
        assert query(tgt, "select to_regclass('ormshift.runs')") == [(None,)]


def test_rollback_unknown_run(dbs: tuple[str, str]) -> None:
    _, tgt = dbs
    line = one_error_line(cli("rollback", "nope", "--target", tgt))
    assert "no run 'nope'" in line


def test_wrong_password_is_refused_without_printing_it(dbs: tuple[str, str]) -> None:
    # the local PostgreSQL trusts every login, MariaDB checks passwords: use it as the source
    _, tgt = dbs
    server = urlsplit(os.environ.get("ORMSHIFT_TEST_MYSQL_DSN", "mysql://root@127.0.0.1:3306/"))
    source = f"mysql://{server.username or 'root'}:{SECRET}@{server.hostname}:{server.port}/mysql"
    line = one_error_line(cli("migrate", "--source", source, "--target", tgt))
    assert "Access denied" in line and "***" in line
    nothing_written(tgt)


def test_log_lines_are_json_with_the_run_id(dbs: tuple[str, str]) -> None:
    src, tgt = dbs
    result = subprocess.run(
        [sys.executable, "-m", "ormshift", "--log-json", "--log-level", "info", "migrate",
         "--source", src, "--target", tgt, "--batch-size", "64", "--json"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout.splitlines()[0])["run_id"]
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert logs, result.stderr
    assert {line["run_id"] for line in logs} == {run_id}
    assert all(line["logger"].startswith("ormshift.") for line in logs)
    assert SECRET not in result.stderr


@pytest.fixture
def mismatched(make_db: Callable[[str], str]) -> tuple[str, str]:
    """Table a alike on both sides; table b has a column the target's b lacks."""
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(
        src,
        "create table a (id int primary key, v text)",
        "create table b (id int primary key, v text, extra int)",
        "insert into a select i, 'a' || i from generate_series(1, 30) i",
        "insert into b select i, 'b' || i, i from generate_series(1, 20) i",
    )
    run_sql(
        tgt,
        "create table a (id int primary key, v text)",
        "create table b (id int primary key, v text)",
    )
    return src, tgt


def test_table_copies_only_it_and_ignores_other_tables_mismatch(
    mismatched: tuple[str, str],
) -> None:
    src, tgt = mismatched
    result = cli("migrate", "--source", src, "--target", tgt, "--table", "a")
    assert result.returncode == 0, result.stderr
    same(src, tgt, "a", "id")
    assert query(tgt, "select count(*) from a") == [(30,)]
    assert query(tgt, "select count(*) from b") == [(0,)]
    assert query(tgt, "select distinct table_name from ormshift.ledger") == [("a",)]


def test_table_that_mismatches_is_one_line_and_writes_nothing(
    mismatched: tuple[str, str],
) -> None:
    src, tgt = mismatched
    line = one_error_line(cli("migrate", "--source", src, "--target", tgt, "--table", "b"))
    assert "source column b.extra has no column of that name in target table 'b'" in line
    assert query(tgt, "select to_regclass('ormshift.runs')") == [(None,)]
    assert query(tgt, "select count(*) from a") == [(0,)]
    assert query(tgt, "select count(*) from b") == [(0,)]
