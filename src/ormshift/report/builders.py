"""Reports from the results of the working commands, in the one documented shape."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ormshift.clock import utc_now
from ormshift.monitor import timeline
from ormshift.report.model import (
    DifferenceRow,
    Report,
    Series,
    Status,
    SummaryTable,
    latency,
    series,
    table,
)

if TYPE_CHECKING:  # the stages' records: imported only by the stage that reports
    from ormshift.codegen import GeneratedPackage
    from ormshift.compare.runner import CompareReport
    from ormshift.manifest import Manifest
    from ormshift.monitor import Snapshot
    from ormshift.transfer import RollbackReport, RunReport
    from ormshift.verify import Difference, VerifyReport

VERIFY_COLUMNS = [
    "table", "status", "source rows", "target rows", "missing", "extra", "changed",
    "segments", "rows read", "seconds",
]  # fmt: skip

#: differences kept in a report; the JSON lines of ``verify`` carry them all
MAX_DIFFERENCES = 1000


#: the health metrics a report plots over time, with their units
HEALTH_METRICS = (
    ("host_cpu_percent", "%"),
    ("host_memory_percent", "%"),
    ("process_resident_memory_bytes", "bytes"),
    ("pg_active_connections{db=target}", "connections"),
    ("pg_waiting_locks{db=target}", "locks"),
)


def health_series(history: Sequence[Snapshot]) -> list[Series]:
    out = []
    for metric, unit in HEALTH_METRICS:
        points = timeline(history, metric)
        if points:
            out.append(series(metric, unit, points, group="health"))
    return out


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def verify_table(result: VerifyReport) -> SummaryTable:
    """verify's per-table results, as a verify report and the demo's show them."""
    rows = [
        [t.table, t.status, t.source_rows, t.target_rows, t.missing, t.extra, t.changed_rows,
         t.segments, t.downloaded_rows, round(t.seconds, 3)]
        for t in result.tables
    ]  # fmt: skip
    return table(VERIFY_COLUMNS, rows)


def from_verify(
    result: VerifyReport,
    differences: Sequence[Difference],
    *,
    source: str,
    target: str,
    started_at: str,
) -> Report:
    status: Status = "failed" if result.errors else "differs" if result.differs else "ok"
    notes: list[str] = []
    for t in result.tables:
        notes += [f"{t.table}: {w}" for w in t.warnings]
        if t.error:
            notes.append(f"{t.table}: error: {t.error}")
        if t.reason:
            notes.append(t.reason)
        if t.confidence:
            notes.append(f"{t.table}: {t.confidence}")
    for o in result.orphans:
        if o.error:
            notes.append(f"orphans {o.table} ({o.constraint}): error: {o.error}")
        elif o.count:
            notes.append(
                f"orphans: {o.count} row(s) of {o.table}.{', '.join(o.columns)} point at "
                f"nothing in {o.references} ({o.constraint})"
            )
    for s in result.sequences:
        if s.behind:
            notes.append(
                f"sequence {s.sequence} is behind: next {s.next_value}, but "
                f"{s.table}.{s.column} holds {s.max_value}"
            )
    if result.stopped:
        notes.append(f"stopped after {result.differences} difference(s) (--max-diffs)")
    return Report(
        kind="verify",
        title="verify: source against target",
        status=status,
        started_at=started_at,
        finished_at=utc_now(),
        source=source,
        target=target,
        summary=verify_table(result),
        differences=tuple(
            DifferenceRow(
                table=d.table,
                kind=d.kind,
                key=json.dumps(d.key, default=str) if d.key is not None else "",
                column=d.column,
                source=_text(d.source),
                target=_text(d.target),
            )
            for d in differences[:MAX_DIFFERENCES]
        ),
        notes=tuple(notes),
    )


def from_compare(
    result: CompareReport,
    *,
    title: str,
    target: str,
    started_at: str,
    health: Sequence[Snapshot] = (),
) -> Report:
    rows: list[list[str | int | float | None]] = []
    for op, sides in sorted(result.latency.items()):
        t, o = sides.get("typeorm"), sides.get("ormshift")
        ratio = round(o.p50 / t.p50, 2) if t and o and t.p50 > 0 else None
        rows.append([
            op, t.count if t else 0,
            round(t.p50, 3) if t else None, round(t.p95, 3) if t else None,
            round(o.p50, 3) if o else None, round(o.p95, 3) if o else None, ratio,
        ])  # fmt: skip
    return Report(
        kind="compare",
        title=title,
        status="ok" if result.ok else "differs",
        started_at=started_at,
        finished_at=utc_now(),
        target=target,
        summary=table(
            [
                "operation",
                "n",
                "typeorm p50 ms",
                "typeorm p95 ms",
                "ormshift p50 ms",
                "ormshift p95 ms",
                "p50 ratio",
            ],
            rows,
        ),
        series=tuple(health_series(health)),
        latency=tuple(
            latency(op, side, values) for (side, op), values in sorted(result.samples.items())
        ),
        differences=tuple(
            DifferenceRow(
                table=m.scenario,
                kind=f"known {m.kind} divergence" if m.known else f"{m.kind} mismatch",
                key=f"#{m.index} {m.label}",
                source=_text(m.typeorm),
                target=_text(m.ormshift),
            )
            for m in result.mismatches[:MAX_DIFFERENCES]
        ),
        notes=(
            f"{result.scenarios} scenario(s), {result.operations} operation(s): "
            f"{result.count('result')} result, {result.count('error')} error and "
            f"{result.count('state')} state mismatch(es)"
            + (f", {len(result.known)} known divergence(s)" if result.known else ""),
            *(f"known divergence #{m.index} {m.label}: {m.known}" for m in result.known),
        ),
    )


def from_extract(manifest: Manifest, origin: Path) -> Report:
    """The report of ``ormshift extract``: per table, its columns and constraints; the
    warnings as notes. ``origin`` is the project directory, or the database URL."""
    rows: list[list[str | int | float | None]] = [
        [t.name, len(t.columns), len(t.foreign_keys), len(t.uniques), len(t.indices),
         len(t.checks)]
        for t in manifest.tables
    ]  # fmt: skip
    notes = tuple(
        f"{w.entity}{'.' + w.property if w.property else ''}: {w.feature}: {w.message}"
        for w in manifest.warnings
    )
    return Report(
        kind="extract",
        title=f"extract: {origin.name or origin}",
        status="ok",
        summary=table(["table", "columns", "foreign keys", "uniques", "indices", "checks"], rows),
        notes=notes,
    )


def from_generate(package: GeneratedPackage, output: Path, *, started_at: str) -> Report:
    rows: list[list[str | int | float | None]] = [
        [name, source.count("\n")] for name, source in sorted(package.files.items())
    ]
    return Report(
        kind="generate",
        title=f"generate: {output.name}",
        status="ok",
        started_at=started_at,
        finished_at=utc_now(),
        summary=table(["file", "lines"], rows),
        notes=tuple(f"not carried over: {f}" for f in package.findings),
    )


def rolling_rate(
    cumulative: Sequence[tuple[float, int]], window: int = 4
) -> list[tuple[float, float]]:
    """Rows per second over the last ``window`` batches, from (time, rows so far)."""
    out: list[tuple[float, float]] = []
    for i in range(1, len(cumulative)):
        t_old, n_old = cumulative[max(i - window, 0)]
        t_new, n_new = cumulative[i]
        if t_new > t_old:
            out.append((t_new, (n_new - n_old) / (t_new - t_old)))
    return out


MIGRATE_STATUS: dict[str, Status] = {"done": "ok", "aborted": "aborted"}


def throughput_series(result: RunReport) -> list[Series]:
    """The run's rows/s over time: all tables together, and each table's batches."""
    written = result.throughput.written
    charts = (
        [series("all tables", "rows/s", list(rolling_rate(written)))] if len(written) > 1 else []
    )
    for name, points in sorted(result.throughput.per_table.items()):
        charts.append(series(name, "rows/s", list(points), group="throughput per table"))
    return charts


def from_migrate(
    result: RunReport,
    *,
    source: str,
    target: str,
    started_at: str,
    health: Sequence[Snapshot] = (),
) -> Report:
    """The run's tables, its throughput over time (``result.throughput``) and health."""
    rows: list[list[str | int | float | None]] = [
        [t.table, t.read, t.written, t.rejected, t.batches, round(t.seconds, 3),
         round(t.rows_per_second, 1)]
        for t in result.tables
    ]  # fmt: skip
    charts = throughput_series(result)
    notes = list(result.warnings)
    if result.message:
        notes.append(result.message)
    if result.reject_file and result.rejected:
        notes.append(f"{result.rejected} rejected row(s) are in {result.reject_file}")
    return Report(
        kind="migrate",
        title=f"migrate: run {result.run_id}",
        status=MIGRATE_STATUS.get(result.status, "failed"),
        run_id=result.run_id,
        started_at=started_at,
        finished_at=utc_now(),
        source=source,
        target=target,
        summary=table(
            ["table", "read", "written", "rejected", "batches", "seconds", "rows/s"], rows
        ),
        series=tuple(charts + health_series(health)),
        notes=tuple(notes),
    )


def _json_text(value: object) -> str | None:
    """A schema difference's side as one cell: JSON, or nothing for None."""
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def from_schema_diff(
    differences: Sequence[Mapping[str, Any]],
    *,
    source: str,
    target: str,
    schema: str,
    target_schema: str,
    started_at: str,
) -> Report:
    """The report of ``ormshift schema diff`` from the differences as ``--json`` prints
    them (``ormshift.schema.jsonable``: kind, table, item, left, right): every one, and
    a count per kind."""
    kinds: dict[str, int] = {}
    for d in differences:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    where = schema if schema == target_schema else f"{schema} -> {target_schema}"
    return Report(
        kind="schema-diff",
        title=f"schema diff: {where}",
        status="differs" if differences else "ok",
        started_at=started_at,
        finished_at=utc_now(),
        source=source,
        target=target,
        summary=table(["kind", "differences"], [[k, n] for k, n in sorted(kinds.items())]),
        differences=tuple(
            DifferenceRow(
                table=r["table"] or "",
                kind=r["kind"],
                key=r["item"] or "",
                source=_json_text(r["left"]),
                target=_json_text(r["right"]),
            )
            for r in differences
        ),
        notes=() if differences else ("the schemas are the same",),
    )


def from_rollback(result: RollbackReport, *, target: str, started_at: str) -> Report:
    """The report of ``ormshift rollback``: rows deleted per table, the sequences
    restored and the warnings, as ``--json`` prints them."""
    return Report(
        kind="rollback",
        title=f"rollback: run {result.run_id}",
        status="ok",
        run_id=result.run_id,
        started_at=started_at,
        finished_at=utc_now(),
        target=target,
        summary=table(
            ["table", "deleted"], [[name, count] for name, count in result.deleted.items()]
        ),
        notes=(
            f"{result.sequences_restored} sequence(s) restored",
            *(f"warning: {w}" for w in result.warnings),
        ),
    )


#: health's levels as a report's status (Nagios: WARNING, CRITICAL)
HEALTH_STATUS: dict[str, Status] = {
    "ok": "ok", "warn": "warning", "throttle": "warning", "pause": "critical",
    "abort": "critical",
}  # fmt: skip


def from_health(payload: Mapping[str, Any], *, target: str | None, started_at: str) -> Report:
    """The report of ``ormshift health`` from the document ``--json`` prints (every
    outcome: UNKNOWN's has an ``error`` and no probes)."""
    level = str(payload["status"])
    status: Status = HEALTH_STATUS.get(level, "unknown")
    probes = payload.get("probes", [])
    errors = [*payload.get("probe_errors", [])]
    if payload.get("error"):
        errors.insert(0, str(payload["error"]))
    return Report(
        kind="health",
        title=f"health: {level}",
        status=status,
        started_at=started_at,
        finished_at=utc_now(),
        target=target,
        summary=table(
            ["metric", "value", "status"], [[p["metric"], p["value"], p["status"]] for p in probes]
        ),
        notes=tuple(errors),
    )
