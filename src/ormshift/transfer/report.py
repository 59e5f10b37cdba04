"""What a run did, per table, computed from the ledger so resumed runs add up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
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
        return asdict(self) | {
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
        }


@dataclass(frozen=True)
class Throughput:
    """Rows written over a run, as each batch was reported (seconds since the run
    started): the running total, and each table's rate per batch."""

    written: tuple[tuple[float, int], ...] = ((0.0, 0),)
    per_table: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)


class ThroughputRecorder:
    """Builds a `Throughput` from the run's batch events, one thread at a time."""

    def __init__(self) -> None:
        self._written: list[tuple[float, int]] = [(0.0, 0)]
        self._per_table: dict[str, list[tuple[float, float]]] = {}

    def record(self, at: float, table: str, rows: int, seconds: float) -> None:
        self._written.append((at, self._written[-1][1] + rows))
        self._per_table.setdefault(table, []).append((at, rows / (seconds or 1e-6)))

    def snapshot(self) -> Throughput:
        return Throughput(tuple(self._written), {k: tuple(v) for k, v in self._per_table.items()})


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
    throughput: Throughput = field(default_factory=Throughput)  # not in the JSON summary

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
