"""One self-contained HTML page from a report: no scripts, no fonts, no network."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from ormshift.dsn import redact
from ormshift.report.model import Report, Series, SummaryTable
from ormshift.report.svg import PALETTE, box_plot, line_chart, percentile

MAX_DIFF_ROWS = 500

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;
max-width:980px;color:#111827;background:#fff;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb}
.meta{color:#4b5563}.status{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;
font-weight:600}.ok{background:#16a34a}.differs,.warning{background:#d97706}
.failed,.aborted,.critical{background:#dc2626}.unknown{background:#6b7280}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 10px;text-align:left}th{background:#f9fafb}
td.num{text-align:right}.chart .grid{stroke:#e5e7eb}
.chart .tick,.chart .legend,.chart .label{font-size:11px;fill:#374151}.chart .title{font-size:13px;
font-weight:600;fill:#111827}ul.notes li{margin:2px 0}code{background:#f3f4f6;padding:1px 4px}
"""


def _cell(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"<td class='num'>{value}</td>"
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _table(columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _with_totals(summary: SummaryTable) -> list[tuple[object, ...]]:
    """The rows, and below them a total of each column of counts (whole numbers in every
    row; rates and seconds are not summed) when there is more than one row."""
    rows: list[tuple[object, ...]] = list(summary.rows)
    if len(rows) < 2 or not summary.columns:
        return rows

    def count(value: object) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    total: list[object] = []
    for i in range(1, len(summary.columns)):
        column = [count(r[i]) for r in rows]
        total.append(None if None in column else sum(c for c in column if c is not None))
    if all(t is None for t in total):
        return rows
    return [*rows, (f"total ({len(rows)})", *total)]


def _series_section(series: tuple[Series, ...]) -> str:
    """A chart per (group, unit); past ``len(PALETTE)`` series, small multiples of that
    many each, so that no two lines of a chart share a colour."""
    groups: dict[tuple[str, str], list[Series]] = defaultdict(list)
    for s in series:
        groups[(s.group, s.unit)].append(s)
    charts = []
    for (group, unit), members in sorted(groups.items()):
        parts = [members[i : i + len(PALETTE)] for i in range(0, len(members), len(PALETTE))]
        for n, part in enumerate(parts, 1):
            title = group if len(parts) == 1 else f"{group} ({n}/{len(parts)})"
            charts.append(line_chart(title, unit, [(m.name, m.points) for m in part]))
    return "".join(charts)


def _latency_section(report: Report) -> str:
    by_op: dict[str, list[tuple[str, tuple[float, ...]]]] = defaultdict(list)
    for item in report.latency:
        by_op[item.operation].append((item.implementation, item.samples_ms))
    rows = [(op, groups) for op, groups in sorted(by_op.items())]
    stats = []
    for op, groups in rows:
        for impl, samples in groups:
            s = sorted(samples)
            stats.append(
                (op, impl, len(s), *(f"{percentile(s, q):.3f}" for q in (0.5, 0.95, 0.99)))
            )
    return box_plot("latency", rows) + _table(
        ("operation", "implementation", "n", "p50 ms", "p95 ms", "p99 ms"), stats
    )


def render(report: Report) -> str:
    meta = [
        f"<span class='status {escape(report.status)}'>{escape(report.status)}</span>",
        f"<code>{escape(report.kind)}</code>",
    ]
    if report.run_id:
        meta.append(f"run <code>{escape(report.run_id)}</code>")
    if report.started_at:
        meta.append(f"{escape(report.started_at)} → {escape(report.finished_at or '')}")
    for label, dsn in (("source", report.source), ("target", report.target)):
        if dsn:
            meta.append(f"{label} <code>{escape(redact(dsn))}</code>")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(report.title)}</h1><p class='meta'>{' · '.join(meta)}</p>",
    ]
    # a verify report's summary is its per-table results: the same section as the demo's
    tables = (
        ("Verify" if report.kind == "verify" else "Summary", report.summary),
        ("Verify", report.verify),
    )
    for heading, summary in tables:
        if summary is not None:
            parts.append(f"<h2>{heading}</h2>")
            parts.append(_table(summary.columns, _with_totals(summary)))
    if report.series:
        parts.append("<h2>Over time</h2>" + _series_section(report.series))
    if report.latency:
        parts.append("<h2>Latency</h2>" + _latency_section(report))
    if report.differences:
        shown = report.differences[:MAX_DIFF_ROWS]
        parts.append(f"<h2>Differences ({len(report.differences)})</h2>")
        parts.append(
            _table(
                ("table", "kind", "key", "column", "source", "target"),
                [(d.table, d.kind, d.key, d.column, d.source, d.target) for d in shown],
            )
        )
        if len(report.differences) > MAX_DIFF_ROWS:
            parts.append(
                f"<p>… and {len(report.differences) - MAX_DIFF_ROWS} more in the JSON.</p>"
            )
    if report.notes:
        items = "".join(f"<li>{escape(redact(n))}</li>" for n in report.notes)
        parts.append(f"<h2>Notes</h2><ul class='notes'>{items}</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)
