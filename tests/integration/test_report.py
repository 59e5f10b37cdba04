"""Reports: the JSON shape round-trips, bad files give one line, and the HTML page loads
in a real headless Chromium without console errors or network requests and renders
something a person can see."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from ormshift.report import (
    DifferenceRow,
    Report,
    ReportError,
    dumps,
    latency,
    read,
    render,
    series,
    table,
    write,
)

from ..conftest import ROOT


def sample_report() -> Report:
    rng = random.Random(7)
    return Report(
        kind="compare",
        title="bookstore: TypeORM vs ormshift.orm",
        status="differs",
        run_id="run-20261123-1",
        started_at="2026-11-23T10:00:00Z",
        finished_at="2026-11-23T10:02:00Z",
        source="postgresql://app:hunter2@db/shop",
        summary=table(
            ["table", "read", "written", "rejected", "seconds", "rows/s"],
            [["book", 120000, 120000, 0, 1.5, 80000.0], ["review", 5000, 4998, 2, 0.2, 25000.0]],
        ),
        series=(
            series("book", "rows/s", [(t, 70000 + rng.random() * 20000) for t in range(20)]),
            series("host_cpu_percent", "%", [(t, rng.random() * 100) for t in range(20)], "health"),
        ),
        latency=(
            latency("find-one", "typeorm", [rng.gauss(1.2, 0.2) for _ in range(200)]),
            latency("find-one", "ormshift", [rng.gauss(0.9, 0.15) for _ in range(200)]),
            latency("save", "typeorm", [rng.gauss(2.5, 0.4) for _ in range(200)]),
            latency("save", "ormshift", [rng.gauss(2.1, 0.3) for _ in range(200)]),
        ),
        differences=(
            DifferenceRow("review", "changed", "42", "rating", "4", "5"),
            DifferenceRow("review", "missing in target", "43"),
        ),
        notes=("Payment.amount has a transformer; port it by hand",),
    )


def test_round_trip_and_no_password(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    write(sample_report(), path)
    text = path.read_text()
    assert "hunter2" not in text and "app:***@db" in text
    loaded = read(path)
    assert loaded.latency == sample_report().latency
    assert loaded.summary == sample_report().summary
    assert dumps(loaded) == text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"report_version": 7}', "report_version 7 is not supported"),
        ('{"report_version": 1, "kind": "dance", "title": "x", "status": "ok"}', "'dance'"),
    ],
)
def test_bad_report_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(ReportError, match=message):
        read(path)


def test_report_command_bad_input_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ormshift", "report", str(tmp_path / "none.json"),
         "-o", str(tmp_path / "r.html")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no such report file" in proc.stderr
    assert not (tmp_path / "r.html").exists()


def test_page_is_self_contained() -> None:
    page = render(sample_report())
    assert "<script" not in page
    for attr in ("src=", "href=", "@import", "url("):
        assert attr not in page, attr
    assert page.count("<svg") == 3  # two line charts (throughput, health) and the box plot
    assert "missing in target" in page and "hunter2" not in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (scripts/bootstrap "
                    "installs Debian's chromium when run as root)")  # fmt: skip
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    run_json = tmp_path / "run.json"
    write(sample_report(), run_json)
    html = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "ormshift", "report", str(run_json), "-o", str(html)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    shot = tmp_path / "shot.png"
    assert CHROMIUM is not None
    browser = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic", f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr", "--v=0", "--window-size=1000,1400",
            f"--screenshot={shot}", html.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert browser.returncode == 0, browser.stderr[-2000:]
    console = [ln for ln in browser.stderr.splitlines() if "CONSOLE" in ln]
    assert console == [], console
    assert "Failed to load resource" not in browser.stderr
    image = Image.open(shot).convert("L")
    assert image.size == (1000, 1400)
    stat = ImageStat.Stat(image)
    assert stat.stddev[0] > 10, "the screenshot is blank"
    dark = sum(image.histogram()[:128])
    assert dark > 2000, "hardly any text or lines were drawn"
