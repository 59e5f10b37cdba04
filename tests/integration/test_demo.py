"""``ormshift demo`` end to end, as a newcomer runs it: an embedded PostgreSQL, TypeORM
through Node, seeding, extract, generate, migrate with the monitor on, verify, compare,
and a report; nothing left behind but the output directory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ormshift.manifest import read as read_manifest
from ormshift.report import read as read_report

pytestmark = pytest.mark.node


def leftovers(tmp: Path) -> set[str]:
    return {p.name for p in tmp.glob("ormshift-demo-pg-*")}


def test_demo_runs_the_whole_pipeline() -> None:
    # outside pytest's own temporary directories: another pytest session starting meanwhile
    # removes all but its three newest, and with them the embedded server's data directory
    with tempfile.TemporaryDirectory(prefix="ormshift-demo-test-") as base:
        _demo(Path(base))


def _demo(tmp_path: Path) -> None:
    # its own temporary directory, so that another demo running meanwhile does not count
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "ormshift", "demo", "--output", str(out), "--scale", "0.25"],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False,
        env={**os.environ, "TMPDIR": str(tmp)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    # the happy path says its steps only: notes and the monitor's alerts (a busy host
    # warns) go to the report, and on the console behind --verbose
    for alarming in ("note:", "warning", "pgcrypto"):
        assert alarming not in proc.stderr, proc.stderr
    report = read_report(out / "report.json")
    assert report.kind == "demo" and report.status == "ok"
    assert report.summary is not None
    rows = {r[0]: r for r in report.summary.rows}
    assert len(rows) == 12
    assert all(r[1] == r[2] and r[3] == 0 for r in rows.values()), rows  # read == written
    assert sum(int(r[2] or 0) for r in rows.values()) > 20_000
    notes = "\n".join(report.notes)
    assert "12/12 tables identical, 0 difference(s)" in notes
    if "pgcrypto" in notes:  # the embedded server lacks it: said in the report instead
        assert "note(s) there; --verbose prints them" in proc.stderr
    assert "0 mismatch(es)" in notes
    assert {s.implementation for s in report.latency} == {"typeorm", "ormshift"}
    assert {s.group for s in report.series} >= {"throughput", "health"}
    manifest = read_manifest(out / "manifest.json")
    assert len(manifest.tables) == 12
    assert (out / "bookstore_models" / "book.py").is_file()
    assert "<svg" in (out / "report.html").read_text()
    assert leftovers(tmp) == set(), "the embedded server's directory was left behind"
