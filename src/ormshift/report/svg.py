"""Small inline SVG charts: no script, no network, readable in any browser."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

LEGEND_WIDTH = 170
#: Okabe and Ito's eight colours, told apart with every common colour-vision deficiency
#: (their yellow darkened to read on white); a chart draws at most this many series
PALETTE = (
    "#0072b2",  # blue
    "#e69f00",  # orange
    "#009e73",  # bluish green
    "#d55e00",  # vermillion
    "#cc79a7",  # reddish purple
    "#56b4e9",  # sky blue
    "#b59a00",  # yellow
    "#000000",  # black
)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks: list[float] = []
    value = start
    while not ticks or ticks[-1] < high:  # the last tick at or above the highest value
        ticks.append(round(value, 10))
        value += step
    return ticks


def fmt(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.3g}k"
    return f"{value:.3g}"


def line_chart(
    title: str,
    unit: str,
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    width: int = 720,
    height: int = 260,
) -> str:
    """One chart of at most ``len(PALETTE)`` series, each in a colour of its own; both
    axes span every point."""
    if len(series) > len(PALETTE):
        raise ValueError(f"{len(series)} series in one chart: split them (small multiples)")
    left, right, top = 64, 16, 30
    per_row = max((width - left - right) // LEGEND_WIDTH, 1)
    legend_rows = math.ceil(len(series) / per_row) if series else 0
    bottom = 26 + legend_rows * 16
    height += (legend_rows - 1) * 16 if legend_rows > 1 else 0
    xs = [t for _, pts in series for t, _ in pts] or [0.0, 1.0]
    ys = [v for _, pts in series for _, v in pts] or [0.0, 1.0]
    xt = nice_ticks(min(xs), max(xs))
    yt = nice_ticks(min(0.0, *ys), max(ys))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    pw, ph = width - left - right, height - top - bottom

    def px(t: float) -> float:
        return left + (t - x0) / ((x1 - x0) or 1) * pw

    def py(v: float) -> float:
        return top + ph - (v - y0) / ((y1 - y0) or 1) * ph

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="18" class="title">{escape(title)} ({escape(unit)})</text>',
    ]
    for v in yt:
        y = py(v)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{fmt(v)}</text>'
        )
    for t in xt:
        x = px(t)
        parts.append(
            f'<text x="{x:.1f}" y="{top + ph + 16}" class="tick" text-anchor="middle">'
            f"{fmt(t)}s</text>"
        )
    for i, (name, pts) in enumerate(series):
        colour = PALETTE[i]
        coords = " ".join(f"{px(t):.1f},{py(v):.1f}" for t, v in pts)
        if len(pts) == 1:
            t, v = pts[0]
            parts.append(f'<circle cx="{px(t):.1f}" cy="{py(v):.1f}" r="3" fill="{colour}"/>')
        elif pts:
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        per_row = max(pw // LEGEND_WIDTH, 1)
        lx = left + 8 + (i % per_row) * LEGEND_WIDTH
        ly = height - legend_rows * 16 + (i // per_row) * 16 + 2
        parts.append(f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 14}" y="{ly + 9}" class="legend">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def box_plot(
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[str, Sequence[float]]]]],
    width: int = 720,
) -> str:
    """Horizontal box plots: per operation, one box per implementation (p5-p95 whiskers,
    p25-p75 box, p50 line)."""
    left, right, top = 170, 70, 30
    band = 22
    impls = sorted({impl for _, groups in rows for impl, _ in groups})
    colour = {impl: PALETTE[i % len(PALETTE)] for i, impl in enumerate(impls)}
    height = top + len(rows) * band * max(len(impls), 1) + 50
    top_value = max(
        (percentile(sorted(s), 0.95) for _, groups in rows for _, s in groups if s), default=1.0
    )
    ticks = nice_ticks(0.0, top_value * 1.05)
    pw = width - left - right

    def px(v: float) -> float:
        return left + min(v, ticks[-1]) / ticks[-1] * pw

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="18" class="title">{escape(title)} (ms, p5-p95)</text>',
    ]
    axis_y = height - 40
    for t in ticks:
        x = px(t)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{axis_y}" class="grid"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" class="tick" text-anchor="middle">{fmt(t)}</text>'
        )
    y = top
    for op, groups in rows:
        parts.append(
            f'<text x="{left - 8}" y="{y + band * len(groups) / 2 + 4:.1f}" '
            f'class="label" text-anchor="end">{escape(op)}</text>'
        )
        for impl, samples in groups:
            s = sorted(samples)
            if s:
                p5, p25, p50, p75, p95 = (percentile(s, q) for q in (0.05, 0.25, 0.5, 0.75, 0.95))
                mid = y + band / 2
                c = colour[impl]
                parts.append(
                    f'<line x1="{px(p5):.1f}" x2="{px(p95):.1f}" y1="{mid}" y2="{mid}" '
                    f'stroke="{c}"/>'
                )
                parts.append(
                    f'<rect x="{px(p25):.1f}" y="{y + 4}" width="{max(px(p75) - px(p25), 1):.1f}" '
                    f'height="{band - 8}" fill="{c}" fill-opacity="0.35" stroke="{c}"/>'
                )
                parts.append(
                    f'<line x1="{px(p50):.1f}" x2="{px(p50):.1f}" y1="{y + 3}" y2="{y + band - 3}" '
                    f'stroke="{c}" stroke-width="2"/>'
                )
                parts.append(
                    f'<text x="{width - right + 4}" y="{mid + 4}" class="tick">'
                    f"p50 {fmt(p50)}</text>"
                )
            y += band
    for i, impl in enumerate(impls):
        lx = left + i * 170
        parts.append(
            f'<rect x="{lx}" y="{height - 16}" width="10" height="10" fill="{colour[impl]}"/>'
        )
        parts.append(f'<text x="{lx + 14}" y="{height - 7}" class="legend">{escape(impl)}</text>')
    parts.append("</svg>")
    return "".join(parts)
