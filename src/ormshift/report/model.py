"""The report every working command can write with ``--report FILE``: one versioned,
documented JSON shape (see docs/reports.md), read back by ``ormshift report``.

Sections are optional; a command fills those it has:

* ``summary``: a table (per table or per operation: the numbers of the run);
* ``verify``: verify's per-table results, where a run that is not ``verify`` itself
  verified too (the demo); a ``verify`` report has them as its summary;
* ``series``: values over time (throughput, batch latency, health metrics);
* ``latency``: raw latency samples per operation and implementation (``compare``);
* ``differences``: what ``verify`` or ``compare`` found different;
* ``notes``: sentences a person should read (warnings, things not carried over).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ormshift.dsn import redact
from ormshift.errors import OrmshiftError
from ormshift.files import read_data, write_text_atomic
from ormshift.manifest.serde import SerdeError, from_jsonable, to_jsonable

REPORT_VERSION = 1
Kind = Literal[
    "extract", "generate", "migrate", "rollback", "verify", "compare", "demo", "schema-diff",
    "health",
]  # fmt: skip
#: ``warning``, ``critical`` and ``unknown`` are health's outcomes, as Nagios names them
Status = Literal["ok", "differs", "failed", "aborted", "warning", "critical", "unknown"]
Cell = str | int | float | None


class ReportError(OrmshiftError):
    """A report file is unreadable or of an unknown version."""


@dataclass(frozen=True)
class SummaryTable:
    columns: tuple[str, ...]
    rows: tuple[tuple[str | int | float | None, ...], ...]


@dataclass(frozen=True)
class Series:
    """``points`` are (seconds since the run started, value)."""

    name: str
    unit: str
    points: tuple[tuple[float, float], ...]
    group: str = "throughput"


@dataclass(frozen=True)
class LatencySamples:
    operation: str
    implementation: str
    samples_ms: tuple[float, ...]


@dataclass(frozen=True)
class DifferenceRow:
    table: str
    kind: str
    key: str
    column: str | None = None
    source: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class Report:
    kind: Kind
    title: str
    status: Status
    run_id: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    source: str | None = None
    target: str | None = None
    summary: SummaryTable | None = None
    verify: SummaryTable | None = None
    series: tuple[Series, ...] = ()
    latency: tuple[LatencySamples, ...] = ()
    differences: tuple[DifferenceRow, ...] = ()
    notes: tuple[str, ...] = ()
    report_version: int = REPORT_VERSION


def table(columns: list[str], rows: list[list[Cell]]) -> SummaryTable:
    return SummaryTable(tuple(columns), tuple(tuple(row) for row in rows))


def series(
    name: str, unit: str, points: list[tuple[float, float]], group: str = "throughput"
) -> Series:
    return Series(name, unit, tuple((float(t), float(v)) for t, v in points), group)


def latency(operation: str, implementation: str, samples_ms: list[float]) -> LatencySamples:
    return LatencySamples(operation, implementation, tuple(float(s) for s in samples_ms))


def dumps(report: Report) -> str:
    data = to_jsonable(report)
    data["report_version"] = report.report_version
    for key in ("source", "target"):
        if data.get(key):
            data[key] = redact(data[key])
    return redact(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def write(report: Report, path: Path) -> None:
    write_text_atomic(path, dumps(report))


def read(path: Path) -> Report:
    data = read_data(path, "report", ReportError, "JSON")
    if not isinstance(data, dict) or "report_version" not in data:
        raise ReportError(
            f"{path} is not an ormshift report (no report_version); give a file written "
            "with --report"
        )
    if data.get("report_version") != REPORT_VERSION:
        version = data.get("report_version")
        raise ReportError(
            f"{path}: report_version {version!r} is not supported (this ormshift reads "
            f"{REPORT_VERSION}); write the report again with --report"
        )
    try:
        return from_jsonable(Report, data)
    except SerdeError as exc:
        raise ReportError(f"{path}: {exc}") from exc
