"""What a run did, per table, computed from the ledger so resumed runs add up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ormshift.transfer.ledger import Batch, RunStatus


@dataclass(frozen=True)
class TableStats:
    table: str
    read: int = 0
    written: int = 0
    rejected: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.written / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "read": self.read,
            "written": self.written,
            "rejected": self.rejected,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
        }


@dataclass(frozen=True)
class RunReport:
    run_id: str
    status: RunStatus  # done or aborted
    tables: tuple[TableStats, ...]
    seconds: float
    resumed: bool = False
    reject_file: str | None = None
    warnings: tuple[str, ...] = ()
    message: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return sum(t.read for t in self.tables)

    @property
    def written(self) -> int:
        return sum(t.written for t in self.tables)

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables)

    @property
    def all_rejected(self) -> tuple[str, ...]:
        """Tables that had rows to copy and whose every row the target refused."""
        return tuple(t.table for t in self.tables if t.read > 0 and t.written == 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "resumed": self.resumed,
            "seconds": round(self.seconds, 3),
            "read": self.read,
            "written": self.written,
            "rejected": self.rejected,
            "reject_file": self.reject_file,
            "warnings": list(self.warnings),
            "message": self.message,
            "tables": [t.to_json() for t in self.tables],
            **self.extra,
        }


def table_stats(order: Sequence[str], batches: Sequence[Batch]) -> tuple[TableStats, ...]:
    acc: dict[str, TableStats] = {name: TableStats(name) for name in order}
    for b in batches:
        s = acc.get(b.table, TableStats(b.table))
        acc[b.table] = TableStats(
            b.table,
            s.read + b.rows_read,
            s.written + b.rows_written,
            s.rejected + b.rows_rejected,
            s.batches + 1,
            s.seconds + b.seconds,
        )
    return tuple(acc.values())
