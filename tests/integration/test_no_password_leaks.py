"""A password given in a database URL appears nowhere: not on stdout or stderr, not in a
log line, not in a JSON report, not in an HTML page, whether the command succeeds or
fails. The server here really checks passwords."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ..conftest import SERVER_PASSWORD, with_database, with_password


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ormshift", *args],
        capture_output=True, text=True, cwd=cwd, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def databases(password_server: str) -> tuple[str, str]:
    admin = with_password(password_server, SERVER_PASSWORD)
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in ("leak_src", "leak_dst"):
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    source, target = with_database(admin, "leak_src"), with_database(admin, "leak_dst")
    for url in (source, target):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create table account (id int primary key, email text, balance numeric)")
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute(
            "insert into account select i, 'user' || i || '@example.org', i * 1.5 "
            "from generate_series(1, 500) i"
        )
    return source, target


def test_no_command_prints_or_writes_the_password(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = databases
    wrong = source.replace(SERVER_PASSWORD, "Wr0ng-" + SERVER_PASSWORD)
    runs = [
        run("extract", "--db", source, "-o", str(tmp_path / "m.json"),
            "--report", str(tmp_path / "extract.json"), cwd=tmp_path),
        run("schema", "diff", "--source", source, "--target", target, cwd=tmp_path),
        run("schema", "diff", "--source", source, "--target", target, "--json", cwd=tmp_path),
        run("migrate", "--source", source, "--target", target,
            "--report", str(tmp_path / "migrate.json"), cwd=tmp_path),
        run("verify", "--source", source, "--target", target,
            "--report", str(tmp_path / "verify.json"), cwd=tmp_path),
        run("verify", "--source", source, "--target", target, "--json", cwd=tmp_path),
        run("health", "--db", target, "--json", cwd=tmp_path),
        run("report", str(tmp_path / "verify.json"), "-o", str(tmp_path / "verify.html"),
            cwd=tmp_path),
        # and when things fail
        run("extract", "--db", wrong, cwd=tmp_path),
        run("migrate", "--source", wrong, "--target", target, cwd=tmp_path),
        run("verify", "--source", source, "--target", wrong, cwd=tmp_path),
        run("health", "--db", wrong, cwd=tmp_path),
        run("schema", "diff", "--source", wrong, "--target", target, cwd=tmp_path),
    ]  # fmt: skip
    # health's exit code is the host's worst status (a busy machine warns): any status
    # is fine here, only a failure to run is not
    codes = [r.returncode for r in runs[:8]]
    assert codes[6] in (0, 1, 2), runs[6].stderr
    codes[6] = 0
    assert codes == [0] * 8, [r.stderr for r in runs[:8]]
    # health that cannot run is UNKNOWN (3), as monitoring systems read it
    assert [r.returncode for r in runs[8:]] == [2, 2, 2, 3, 2], [r.stderr for r in runs[8:]]
    assert all("refused the user name or password" in r.stderr for r in runs[8:])
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {
        "m.json", "extract.json", "migrate.json", "verify.json", "verify.html"
    }  # fmt: skip
    for r in runs:
        assert SERVER_PASSWORD not in r.stdout + r.stderr, r.args
    for path in written:
        assert SERVER_PASSWORD not in path.read_text("utf-8", errors="replace"), path
    assert "***" in (tmp_path / "verify.json").read_text()
