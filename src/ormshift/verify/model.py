"""The records of a verification: options, differences, per-table results, checks.

A key is carried as a tuple of the key columns' text forms (``k::text``); it is bound
back as untyped literals that the server resolves against the key columns' own types.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from ormshift.errors import OrmshiftError

Key = tuple[str, ...]
DiffKind = Literal["missing", "extra", "changed"]
Status = Literal["identical", "differs", "error", "skipped"]
Side = Literal["source", "target"]


def _json(kind: str, record: Any, **more: Any) -> dict[str, Any]:
    """A record as the JSON lines print it: its ``type``, then its fields in their order
    (tuples as lists), then ``more``."""
    out: dict[str, Any] = {"type": kind}
    for f in fields(record):
        value = getattr(record, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out | more


class VerifyError(Exception):
    """Internal: a table cannot be verified (reported as that table's error status)."""


class VerificationFailed(OrmshiftError):
    """The verification as a whole could not run (a side failed outside any one table)."""


@dataclass(frozen=True)
class Options:
    """How to verify: data-diff's bisection factor and threshold, and where to stop."""

    factor: int = 32
    threshold: int = 1000
    max_diffs: int | None = None
    sample: float | None = None  # percent of source rows, for a statistical check
    check_orphans: bool = True
    check_sequences: bool = True


@dataclass(frozen=True)
class Difference:
    """One differing row (missing, extra) or one differing column of a row (changed)."""

    table: str
    kind: DiffKind
    key: dict[str, str] | None
    column: str | None = None
    source: Any = None
    target: Any = None

    def to_json(self) -> dict[str, Any]:
        return _json("difference", self)


@dataclass
class TableResult:
    """What verifying one table found; filled in while the table is verified."""

    table: str
    target_table: str
    status: Status = "identical"
    source_rows: int | None = None
    target_rows: int | None = None
    missing: int = 0
    extra: int = 0
    changed_rows: int = 0
    segments: int = 0
    downloaded_rows: int = 0
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    confidence: str | None = None
    only_in: Side | None = None  # a table on one side only: a difference, said in `reason`
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "table",
            "table": self.table,
            "target_table": self.target_table,
            "status": self.status,
            "only_in": self.only_in,
            "reason": self.reason,
            "source_rows": self.source_rows,
            "target_rows": self.target_rows,
            "missing": self.missing,
            "extra": self.extra,
            "changed": self.changed_rows,
            "segments": self.segments,
            "downloaded_rows": self.downloaded_rows,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "warnings": list(self.warnings),
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class OrphanCheck:
    """Rows of ``table`` whose foreign key ``columns`` point at no row of ``references``."""

    table: str
    constraint: str
    columns: tuple[str, ...]
    references: str
    referenced_columns: tuple[str, ...]
    count: int
    samples: tuple[dict[str, str | None], ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _json("orphans", self)


@dataclass(frozen=True)
class SequenceCheck:
    """A serial or identity column: the sequence's next value against the column's max."""

    table: str
    column: str
    sequence: str
    next_value: int
    max_value: int | None

    @property
    def behind(self) -> bool:
        return self.max_value is not None and self.next_value <= self.max_value

    def to_json(self) -> dict[str, Any]:
        return _json("sequence", self, status="behind" if self.behind else "ok")
