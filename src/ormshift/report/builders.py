"""Reports from the results of the working commands, in the one documented shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from ormshift.report.model import DifferenceRow, Report, Status, table
from ormshift.verify import Difference, VerifyReport

VERIFY_COLUMNS = [
    "table", "status", "source rows", "target rows", "missing", "extra", "changed",
    "segments", "rows read", "seconds",
]  # fmt: skip

#: differences kept in a report; the JSON lines of ``verify`` carry them all
MAX_DIFFERENCES = 1000


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def from_verify(
    result: VerifyReport,
    differences: Sequence[Difference],
    *,
    source: str,
    target: str,
    started_at: str,
) -> Report:
    status: Status = "failed" if result.errors else "differs" if result.differs else "ok"
    rows = [
        [t.table, t.status, t.source_rows, t.target_rows, t.missing, t.extra, t.changed_rows,
         t.segments, t.downloaded_rows, round(t.seconds, 3)]
        for t in result.tables
    ]  # fmt: skip
    notes: list[str] = []
    for t in result.tables:
        notes += [f"{t.table}: {w}" for w in t.warnings]
        if t.error:
            notes.append(f"{t.table}: error: {t.error}")
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
        summary=table(VERIFY_COLUMNS, rows),
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
