"""``ormshift verify`` from the command line: JSON lines, exit codes, and bad input as
one line on stderr with a non-zero exit, no traceback and never the password."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from typer.testing import CliRunner

from ormshift.cli.main import app
from ormshift.report import read as read_report

from .test_cli_vocabulary import ormshift
from .test_verify_engine import run_sql

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]
SECRET = "s3cret-Pa55"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "verify", *args], capture_output=True, text=True, check=False)


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    """In-process (no interpreter start-up), with what a process would have printed."""
    result = CliRunner().invoke(app, ["verify", *args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def with_password(url: str, port: int | None = None, database: str | None = None) -> str:
    parts = urlsplit(url)
    user = parts.username or "postgres"
    host = f"{parts.hostname}:{port or parts.port or 5432}"
    path = f"/{database}" if database else parts.path
    return urlunsplit((parts.scheme, f"{user}:{SECRET}@{host}", path, "", ""))


def error_line(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, result.stderr
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    assert SECRET not in text
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def pair(make_db: Callable[[], str]) -> tuple[str, str]:
    source, target = make_db(), make_db()
    for url in (source, target):
        run_sql(
            url,
            "create table item (id int primary key, v text, j jsonb)",
            """insert into item select x, 'v' || x, '{"a": 1}' from generate_series(1, 300) x""",
        )
    return source, target


def test_identical_exits_0_and_differences_are_json_lines(pair: tuple[str, str]) -> None:
    source, target = pair
    result = cli("--source", source, "--target", target)
    assert result.returncode == 0, result.stderr
    assert "identical" in result.stdout  # the results table on stdout, as migrate's
    assert not [line for line in result.stdout.splitlines() if line.startswith("{")]

    run_sql(target, "update item set v = 'x' where id = 150", "delete from item where id = 1")
    result = invoke("--source", source, "--target", target)
    assert result.returncode == 1, result.stderr
    # each difference a JSON line, then the results table
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(r["kind"], r["key"]["id"], r["column"]) for r in records} == {
        ("missing", "1", None),
        ("changed", "150", "v"),
    }
    changed = next(r for r in records if r["kind"] == "changed")
    assert (changed["source"], changed["target"]) == ("v150", "x")

    result = invoke("--source", source, "--target", target, "--json", "--max-diffs", "1")
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["type"] for r in records] == ["difference", "table", "summary"]
    assert records[-1]["stopped_early"] is True
    assert records[-1]["exit_code"] == 1


def test_unreachable_server_one_line_no_password(pg_server_url: str) -> None:
    source = pg_server_url
    nowhere = f"postgresql://postgres:{SECRET}@127.0.0.1:1/postgres"  # a TCP port nobody has
    result = cli("--source", source, "--target", nowhere)
    line = error_line(result)
    assert "no server answers" in line
    assert "***" in line


def test_missing_database_one_line_no_password(pg_server_url: str) -> None:
    source = pg_server_url
    bad = with_password(source, database="ormshift_no_such_db")
    line = error_line(cli("--source", bad, "--target", source))
    assert "ormshift_no_such_db" in line


def test_missing_table_and_incompatible_columns_are_errors(
    pair: tuple[str, str], tmp_path: Path
) -> None:
    source, target = pair
    run_sql(source, "create table lonely (id int primary key)")
    result = invoke("--source", source, "--target", target, "--table", "lonely")
    assert result.returncode == 1, result.stderr  # a table on one side only is a difference
    assert "differs: table lonely is only in the source" in result.stderr
    assert "target has no table 'lonely'" in result.stderr
    # no row differences (the table as a whole differs): the results table only
    assert not [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert "lonely" in result.stdout and "differs" in result.stdout

    line = error_line(invoke("--source", source, "--target", target, "--table", "nosuch"))
    assert "--table: schema 'public' of the source has no table 'nosuch'" in line

    run_sql(target, "alter table item rename column v to value")
    line = error_line(invoke("--source", source, "--target", target, "--table", "item"))
    assert "--mapping" in line and "value" in line

    mapping = tmp_path / "map.yaml"
    mapping.write_text("tables:\n  item:\n    columns:\n      v: value\n")
    result = invoke(
        "--source", source, "--target", target, "--table", "item", "--mapping", str(mapping)
    )
    assert result.returncode == 0, result.stderr


def test_bad_options_and_mapping_file(pg_server_url: str, tmp_path: Path) -> None:
    source = target = pg_server_url
    line = error_line(invoke("--source", source, "--target", target, "--sample", "0"))
    assert "--sample" in line
    # a range the parser checks: its one line comes from ormshift's entry point, so a process
    line = error_line(ormshift("verify", "--source", source, "--target", target, "--factor", "1"))
    assert "--factor" in line
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables: [1, 2]\n")
    line = error_line(invoke("--source", source, "--target", target, "--mapping", str(bad)))
    assert "tables" in line
    line = error_line(
        invoke("--source", source, "--target", target, "--mapping", str(tmp_path / "none.yaml"))
    )
    assert "none.yaml: no such mapping file" in line


def test_report_file_has_the_documented_shape(pair: tuple[str, str], tmp_path: Path) -> None:
    source, target = pair
    run_sql(target, "update item set v = 'x' where id = 150")
    report_path = tmp_path / "verify.json"
    result = invoke("--source", source, "--target", target, "--report", str(report_path))
    assert result.returncode == 1, result.stderr
    report = read_report(report_path)
    assert report.kind == "verify" and report.status == "differs"
    assert report.summary is not None and report.summary.rows[0][:2] == ("item", "differs")
    assert [(d.kind, d.key, d.column, d.source, d.target) for d in report.differences] == [
        ("changed", '{"id": "150"}', "v", "v150", "x")
    ]
