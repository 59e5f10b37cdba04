"""What the two ways of locating differing rows share: the two sides of one table, the
executor that queries both at once, and where the differences go."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Generic, TypeVar

from ormshift.verify.model import Difference, TableResult

S = TypeVar("S")
T = TypeVar("T")


class SidePair(Generic[S]):
    """One keyed table's two sides; emits each `Difference` as found."""

    def __init__(
        self,
        source: S,
        target: S,
        *,
        executor: Executor,
        result: TableResult,
        key_names: Sequence[str],
        column_names: Sequence[str],
        emit: Callable[[Difference], bool],
    ) -> None:
        self.source, self.target = source, target
        self.executor = executor
        self.result = result
        self.key_names, self.column_names = key_names, column_names
        self.emit = emit

    def both(self, f: Callable[[S], T]) -> tuple[T, T]:
        """``f`` on both sides at once (one thread, one connection each)."""
        a = self.executor.submit(f, self.source)
        b = self.executor.submit(f, self.target)
        return a.result(), b.result()

    def count_rows(self, src: Sequence[tuple[int, int]], tgt: Sequence[tuple[int, int]]) -> None:
        """The report's row counts, from the first level's (rows, hash sum) checksums."""
        self.result.source_rows = sum(c for c, _ in src)
        self.result.target_rows = sum(c for c, _ in tgt)
