"""The outcome of a whole verification and the exit code it maps to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ormshift.verify.model import Difference, OrphanCheck, SequenceCheck, TableResult

Event = Difference | TableResult | OrphanCheck | SequenceCheck

EXIT_IDENTICAL = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


@dataclass
class VerifyReport:
    tables: list[TableResult] = field(default_factory=list)
    orphans: list[OrphanCheck] = field(default_factory=list)
    sequences: list[SequenceCheck] = field(default_factory=list)
    differences: int = 0
    stopped: bool = False  # --max-diffs was reached

    @property
    def errors(self) -> bool:
        return any(t.status == "error" for t in self.tables) or any(
            o.error is not None for o in self.orphans
        )

    @property
    def differs(self) -> bool:
        return (
            self.stopped
            or any(t.status == "differs" for t in self.tables)
            or any(o.count for o in self.orphans)
            or any(s.behind for s in self.sequences)
        )

    @property
    def exit_code(self) -> int:
        if self.errors:
            return EXIT_ERROR
        return EXIT_DIFFERENT if self.differs else EXIT_IDENTICAL

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "summary",
            "status": ("error" if self.errors else "differs" if self.differs else "identical"),
            "tables": len(self.tables),
            "differences": self.differences,
            "orphaned_rows": sum(o.count for o in self.orphans),
            "sequences_behind": sum(1 for s in self.sequences if s.behind),
            "stopped_early": self.stopped,
            "exit_code": self.exit_code,
        }
