"""data-diff's bisection: checksum a range's segments on both sides at once, split the
segments that differ, and read rows only once a differing segment is small.

``factor`` is the number of segments a range is cut into, ``threshold`` the row count
at or below which a differing segment is read row by row instead of split again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Protocol

from ormshift.verify.model import Difference, Key, Options, TableResult
from ormshift.verify.pairing import SidePair
from ormshift.verify.pgside import Checksum, LeafRow
from ormshift.verify.rowdiff import diff_rows


class Side(Protocol):
    def checksums(
        self, lo: Key | None, hi: Key | None, bounds: Sequence[Key]
    ) -> list[Checksum]: ...

    def split(self, lo: Key | None, hi: Key | None, rows: int, parts: int) -> list[Key]: ...

    def rows(self, lo: Key | None, hi: Key | None) -> list[LeafRow]: ...


class Bisection(SidePair[Side]):
    """Finds every differing row of one keyed table; emits each `Difference` as found."""

    def __init__(
        self,
        source: Side,
        target: Side,
        *,
        executor: Executor,
        options: Options,
        result: TableResult,
        key_names: Sequence[str],
        column_names: Sequence[str],
        emit: Callable[[Difference], bool],
    ) -> None:
        super().__init__(
            source,
            target,
            executor=executor,
            result=result,
            key_names=key_names,
            column_names=column_names,
            emit=emit,
        )
        self.options = options
        self.stopped = False

    def run(self, bounds: Sequence[Key]) -> None:
        """Compare the whole table, first cut at ``bounds``; fills in the row counts."""
        src, tgt = self.both(lambda s: s.checksums(None, None, bounds))
        self.count_rows(src, tgt)
        self._descend(None, None, bounds, src, tgt)

    def _range(self, lo: Key | None, hi: Key | None, rows_src: int, rows_tgt: int) -> None:
        if max(rows_src, rows_tgt) <= self.options.threshold:
            self._leaf(lo, hi)
            return
        sampler = self.source if rows_src >= rows_tgt else self.target
        cuts = sampler.split(lo, hi, max(rows_src, rows_tgt), self.options.factor)
        bounds = [b for b in dict.fromkeys(cuts) if b != lo]
        if not bounds:  # cannot be cut further (one key value throughout)
            self._leaf(lo, hi)
            return
        src, tgt = self.both(lambda s: s.checksums(lo, hi, bounds))
        self._descend(lo, hi, bounds, src, tgt)

    def _descend(
        self,
        lo: Key | None,
        hi: Key | None,
        bounds: Sequence[Key],
        src: Sequence[Checksum],
        tgt: Sequence[Checksum],
    ) -> None:
        self.result.segments += len(src)
        edges: list[Key | None] = [lo, *bounds, hi]
        differing = [i for i, (a, b) in enumerate(zip(src, tgt, strict=True)) if a != b]
        for i in differing:
            if self.stopped:
                return
            self._range(edges[i], edges[i + 1], src[i][0], tgt[i][0])

    def _leaf(self, lo: Key | None, hi: Key | None) -> None:
        src_rows, tgt_rows = self.both(lambda s: s.rows(lo, hi))
        self.result.downloaded_rows += len(src_rows) + len(tgt_rows)
        for d in diff_rows(
            self.result.table, self.key_names, self.column_names, src_rows, tgt_rows
        ):
            if not self.emit(d):
                self.stopped = True
                return
