"""Locate every differing row of a keyed table on two PostgreSQL sides in a fixed number of
passes, however many rows differ and wherever they are.

1. One grouped scan per side checksums (rows, sum of row hashes) each first-level
   segment; identical tables end here.
2. One grouped scan per side of the differing segments' key ranges only checksums their
   cells (`ormshift.verify.cells`): each segment cut into hash buckets of the key.
3. One scan per side streams (key, row hash) of the rows of the differing cells only,
   ordered by the key texts' bytes, through a server-side cursor; the two streams are
   merged a batch at a time, which names each differing key as missing, extra or changed.
4. The full rows of the differing keys are fetched by key, a chunk at a time, bound as
   arrays, and reported as `ormshift.verify.rowdiff` reports a leaf's rows.

Memory stays flat: the grid is bounded, the merge holds at most two batches a side, the
fetch one chunk. Differences come out in the order of the key texts' bytes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import ExitStack
from operator import itemgetter
from typing import Any, TypeVar

import psycopg

from ormshift.verify.cells import Grid
from ormshift.verify.model import Difference, DiffKind, Key, TableResult
from ormshift.verify.pgside import PgTable
from ormshift.verify.rowdiff import row_differences

T = TypeVar("T")
#: a streamed row: the key texts then the row hash
Row = tuple[Any, ...]

BATCH = 20_000  # rows of a stream fetched at a time
FETCH_KEYS = 5_000  # differing keys whose rows are fetched at a time


class Batches:
    """A server-side cursor's rows, fetched a batch ahead in ``executor``."""

    def __init__(self, executor: Executor, cursor: psycopg.ServerCursor[Row]) -> None:
        self.executor, self.cursor = executor, cursor
        self.pending: Future[list[Row]] | None = executor.submit(cursor.fetchmany, BATCH)
        self.rows = 0

    def take(self) -> list[Row]:
        """The next batch; empty at the end."""
        if self.pending is None:
            return []
        batch = self.pending.result()
        self.rows += len(batch)
        self.pending = self.executor.submit(self.cursor.fetchmany, BATCH) if batch else None
        return batch

    def close(self) -> None:
        """Wait for a fetch still running (its connection is needed next)."""
        if self.pending is not None:
            self.pending.exception()
            self.pending = None


class Merge:
    """The differing keys of two streams of rows (key texts..., row hash), each ascending
    by its key texts, in that order; the rows are compared a batch at a time."""

    def __init__(self, width: int) -> None:
        self.width = width
        # a row's key in the comparisons: the text itself when the key has one column
        self.key: Callable[[Row], Any] = itemgetter(0) if width == 1 else itemgetter(*range(width))

    def _hashes(self, rows: Sequence[Row]) -> dict[Any, int]:
        if self.width == 1:
            return dict(rows)
        n = self.width
        return {r[:n]: r[n] for r in rows}

    def _resolve(self, source: Sequence[Row], target: Sequence[Row]) -> list[tuple[DiffKind, Key]]:
        """The differing keys of two runs of rows that cover the same key range."""
        s, t = self._hashes(source), self._hashes(target)
        odd = s.items() ^ t.items()
        if not odd:
            return []
        keys = sorted({k for k, _ in odd})
        one = self.width == 1
        return [(_kind(k in s, k in t), (k,) if one else k) for k in keys]

    def __call__(
        self, source: Callable[[], list[Row]], target: Callable[[], list[Row]]
    ) -> Iterator[tuple[DiffKind, Key]]:
        """Reads each side by calling it (an empty batch: the end)."""
        sbuf: list[Row] = []
        tbuf: list[Row] = []
        s_open = t_open = True
        key = self.key
        while True:
            if s_open and not sbuf:
                sbuf = source()
                s_open = bool(sbuf)
            if t_open and not tbuf:
                tbuf = target()
                t_open = bool(tbuf)
            if not sbuf and not tbuf:
                return
            # keys up to the smaller last key of a side still open are settled on both sides
            ends = [key(b[-1]) for b, o in ((sbuf, s_open), (tbuf, t_open)) if o and b]
            if ends:
                cut = min(ends)
                i = bisect_right(sbuf, cut, key=key)
                j = bisect_right(tbuf, cut, key=key)
            else:
                i, j = len(sbuf), len(tbuf)
            yield from self._resolve(sbuf[:i], tbuf[:j])
            sbuf, tbuf = sbuf[i:], tbuf[j:]


def _kind(in_source: bool, in_target: bool) -> DiffKind:
    if in_source and in_target:
        return "changed"
    return "missing" if in_source else "extra"


class Locate:
    """Finds every differing row of one keyed table; emits each `Difference` as found."""

    def __init__(
        self,
        source: PgTable,
        target: PgTable,
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

    def both(self, f: Callable[[PgTable], T]) -> tuple[T, T]:
        a = self.executor.submit(f, self.source)
        b = self.executor.submit(f, self.target)
        return a.result(), b.result()

    def run(self, bounds: Sequence[Key]) -> None:
        """Compare the whole table, its segments cut at ``bounds``; fills in the counts."""
        seg_s, seg_t = self.both(lambda s: s.checksums(None, None, bounds))
        self.result.source_rows = sum(c for c, _ in seg_s)
        self.result.target_rows = sum(c for c, _ in seg_t)
        self.result.segments = len(seg_s)
        segments = [i for i, (a, b) in enumerate(zip(seg_s, seg_t, strict=True)) if a != b]
        if not segments:
            return
        rows = max(self.result.source_rows, self.result.target_rows)
        grid = Grid.for_rows(bounds, rows)
        src, tgt = self.both(lambda s: s.cell_checksums(grid, segments))
        cells = src.keys() | tgt.keys()
        self.result.segments += len(cells)
        differing = sorted(c for c in cells if src.get(c) != tgt.get(c))
        if differing:
            self._locate(grid, differing)

    def _locate(
        self,
        grid: Grid,
        differing: list[int],
    ) -> None:
        segments = sorted({grid.segment_of(c) for c in differing})
        with ExitStack() as stack:
            streams = []
            for side in (self.source, self.target):
                cursor = stack.enter_context(side.cell_rows(grid, differing, segments))
                stream = Batches(self.executor, cursor)
                stack.callback(stream.close)
                streams.append(stream)
            chunk: list[tuple[DiffKind, Key]] = []
            try:
                merge = Merge(len(self.key_names))
                for found in merge(streams[0].take, streams[1].take):
                    chunk.append(found)
                    if len(chunk) >= FETCH_KEYS:
                        if not self._report(chunk):
                            return
                        chunk = []
                if chunk:
                    self._report(chunk)
            finally:
                self.result.downloaded_rows += streams[0].rows + streams[1].rows

    def _report(self, chunk: Sequence[tuple[DiffKind, Key]]) -> bool:
        """Fetch the rows of ``chunk``'s keys and emit their differences; False: stop."""
        want_s = [k for kind, k in chunk if kind != "extra"]
        want_t = [k for kind, k in chunk if kind != "missing"]
        fs = self.executor.submit(self.source.rows_by_keys, want_s)
        ft = self.executor.submit(self.target.rows_by_keys, want_t)
        src = {r[0]: r for r in fs.result()}
        tgt = {r[0]: r for r in ft.result()}
        self.result.downloaded_rows += len(src) + len(tgt)
        for _kind, key in chunk:
            for d in row_differences(
                self.result.table, self.key_names, self.column_names, src.get(key), tgt.get(key)
            ):
                if not self.emit(d):
                    return False
        return True
