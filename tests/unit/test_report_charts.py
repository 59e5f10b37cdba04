"""The report's charts read at a glance: no two series of a chart share a colour (past
eight, small multiples), no point lies outside its chart's axes, and tables of counts end
in a totals row; a verify report and the demo's show verify's results in the same section."""

from __future__ import annotations

import random
import re

from ormshift.report import Report, render, series, table
from ormshift.report.svg import PALETTE, nice_ticks

SVG = re.compile(r"<svg .*?</svg>", re.S)


def _charts(page: str) -> list[str]:
    return [c for c in SVG.findall(page) if "<polyline" in c or "<circle" in c]


def _plot_area(chart: str) -> tuple[float, float, float, float]:
    """(left, right, top, bottom) of the axes: the first and last x tick, the grid lines."""
    ys = [float(y) for y in re.findall(r'<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"', chart)]
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="[\d.]+" class="tick" '
                                       r'text-anchor="middle">', chart)]  # fmt: skip
    return min(xs), max(xs), min(ys), max(ys)


def _points(chart: str) -> list[tuple[float, float]]:
    found = [
        (float(x), float(y))
        for line in re.findall(r'<polyline points="([^"]+)"', chart)
        for x, y in (pair.split(",") for pair in line.split())
    ]
    found += [
        (float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', chart)
    ]
    return found


def _report(rng: random.Random, n_series: int) -> Report:
    made = []
    for i in range(n_series):
        scale = 10 ** rng.uniform(-2, 6)
        start = rng.uniform(0, 50)
        points = [(start + t * rng.uniform(0.1, 3), rng.uniform(-0.2, 1) * scale)
                  for t in range(rng.randint(1, 30))]  # fmt: skip
        made.append(series(f"table_{i}", "rows/s", points))
    return Report(kind="migrate", title="t", status="ok", series=tuple(made))


def test_every_series_has_a_colour_of_its_own_and_stays_inside_its_axes() -> None:
    rng = random.Random(3)
    for n_series in (1, 3, 8, 9, 17, 30):
        page = render(_report(rng, n_series))
        charts = _charts(page)
        assert len(charts) == -(-n_series // len(PALETTE))  # small multiples past eight
        drawn = 0
        for chart in charts:
            lines = re.findall(
                r'<polyline points="[^"]+" fill="none" stroke="(#[0-9a-f]{6})"', chart
            )
            dots = re.findall(r'<circle cx="[\d.]+" cy="[\d.]+" r="3" fill="(#[0-9a-f]{6})"', chart)
            colours = lines + dots
            assert len(colours) == len(set(colours)) >= 1, colours
            assert set(colours) <= set(PALETTE)
            left, right, top, bottom = _plot_area(chart)
            for x, y in _points(chart):
                assert left - 0.2 <= x <= right + 0.2 and top - 0.2 <= y <= bottom + 0.2
                drawn += 1
        assert drawn > 0


def test_ticks_cover_the_values() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        low = rng.uniform(-1e6, 1e6) * rng.choice((1e-6, 1e-3, 1, 1))
        high = low + abs(rng.gauss(0, 1)) * 10 ** rng.uniform(-3, 7)
        ticks = nice_ticks(low, high)
        assert ticks[0] <= low and ticks[-1] >= high - 1e-9 * max(1.0, abs(high)), (low, high)
        assert 2 <= len(ticks) <= 12


def test_tables_of_counts_end_in_totals_and_verify_has_one_section() -> None:
    summary = table(
        ["table", "read", "written", "seconds", "rows/s"],
        [["book", 120, 118, 1.5, 80.0], ["review", 30, 30, 0.2, 150.0]],
    )
    page = render(Report(kind="migrate", title="m", status="ok", summary=summary))
    assert (
        "<td>total (2)</td><td class='num'>150</td><td class='num'>148</td><td></td><td></td>"
        in page
    )
    single = table(["table", "read"], [["book", 1]])
    assert "total" not in render(Report(kind="migrate", title="m", status="ok", summary=single))

    verified = table(
        ["table", "status", "source rows"], [["book", "identical", 3], ["x", "identical", 4]]
    )
    alone = render(Report(kind="verify", title="v", status="ok", summary=verified))
    demo = render(Report(kind="demo", title="d", status="ok", summary=summary, verify=verified))
    for page in (alone, demo):
        section = page[page.index("<h2>Verify</h2>") :]
        assert section.startswith("<h2>Verify</h2><table><thead><tr><th>table</th><th>status</th>")
        assert "<td>total (2)</td><td></td><td class='num'>7</td>" in section
    assert "<h2>Summary</h2>" not in alone and demo.index("<h2>Summary</h2>") < demo.index(
        "<h2>Verify</h2>"
    )
