"""Locate every differing row of a keyed table on two PostgreSQL sides in a fixed number of
passes, however many rows differ and wherever they are.

1. One grouped scan per side checksums every cell of a grid (`ormshift.verify.cells`):
   the first-level segments, each cut into hash buckets of the key.
2. One scan per side streams (key, row hash) of the rows of the differing cells only,
   ordered by the key texts' bytes, through a server-side cursor; the two streams are
   merged a batch at a time, which names each differing key as missing, extra or changed.
3. The full rows of the differing keys are fetched by key, a chunk at a time, bound as
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
from typing import TypeVar

import psycopg

from ormshift.verify.cells import Grid
from ormshift.verify.model import Difference, DiffKind, Key, TableResult
from ormshift.verify.pgside import Checksum, PgTable
from ormshift.verify.rowdiff import row_differences

T = TypeVar("T")
KeyHash = tuple[Key, int]

BATCH = 20_000  # rows of a stream fetched at a time
FETCH_KEYS = 2_000  # differing keys whose rows are fetched at a time
_key = itemgetter(0)


class Batches:
    """A server-side cursor's rows as (key, hash), fetched a batch ahead in ``executor``."""

    def __init__(
        self, executor: Executor, cursor: psycopg.ServerCursor[tuple[object, ...]], width: int
    ) -> None:
        self.executor, self.cursor, self.width = executor, cursor, width
        self.pending: Future[list[KeyHash]] | None = executor.submit(self._fetch)
        self.rows = 0

    def _fetch(self) -> list[KeyHash]:
        n = self.width
        batch = self.cursor.fetchmany(BATCH)
        if n == 1:
            return [((str(r[0]),), int(r[1])) for r in batch]  # type: ignore[call-overload]
        return [(tuple(str(v) for v in r[:n]), int(r[n])) for r in batch]  # type: ignore[call-overload]

    def take(self) -> list[KeyHash]:
        """The next batch; empty at the end."""
        if self.pending is None:
            return []
        batch = self.pending.result()
        self.rows += len(batch)
        self.pending = self.executor.submit(self._fetch) if batch else None
        return batch

    def close(self) -> None:
        """Wait for a fetch still running (its connection is needed next)."""
        if self.pending is not None:
            self.pending.exception()
            self.pending = None


def _resolve(source: Sequence[KeyHash], target: Sequence[KeyHash]) -> list[tuple[DiffKind, Key]]:
    """The differing keys of two runs of rows that cover the same key range."""
    s, t = dict(source), dict(target)
    odd = s.items() ^ t.items()
    if not odd:
        return []
    return [(_kind(key in s, key in t), key) for key in sorted({k for k, _ in odd})]


def _kind(in_source: bool, in_target: bool) -> DiffKind:
    if in_source and in_target:
        return "changed"
    return "missing" if in_source else "extra"


def merge(
    source: Callable[[], list[KeyHash]], target: Callable[[], list[KeyHash]]
) -> Iterator[tuple[DiffKind, Key]]:
    """The differing keys of two streams of (key, row hash) in ascending key order, each
    read a batch at a time by calling it (an empty batch: the end), in key order."""
    sbuf: list[KeyHash] = []
    tbuf: list[KeyHash] = []
    s_open = t_open = True
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
        ends = [b[-1][0] for b, o in ((sbuf, s_open), (tbuf, t_open)) if o and b]
        if ends:
            cut = min(ends)
            i, j = bisect_right(sbuf, cut, key=_key), bisect_right(tbuf, cut, key=_key)
        else:
            i, j = len(sbuf), len(tbuf)
        yield from _resolve(sbuf[:i], tbuf[:j])
        sbuf, tbuf = sbuf[i:], tbuf[j:]


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
        rows = max(self.both(lambda s: s.estimated_rows()))
        grid = Grid.for_rows(bounds, rows)
        src, tgt = self.both(lambda s: s.cell_checksums(grid))
        self.result.source_rows = sum(c for c, _ in src.values())
        self.result.target_rows = sum(c for c, _ in tgt.values())
        cells = src.keys() | tgt.keys()
        self.result.segments = len(cells)
        differing = sorted(c for c in cells if src.get(c) != tgt.get(c))
        if differing:
            self._locate(grid, differing, src, tgt)

    def _locate(
        self,
        grid: Grid,
        differing: list[int],
        src: dict[int, Checksum],
        tgt: dict[int, Checksum],
    ) -> None:
        segments = sorted({grid.segment_of(c) for c in differing})
        with ExitStack() as stack:
            streams = []
            for side in (self.source, self.target):
                cursor = stack.enter_context(side.cell_rows(grid, differing, segments))
                stream = Batches(self.executor, cursor, len(self.key_names))
                stack.callback(stream.close)
                streams.append(stream)
            chunk: list[tuple[DiffKind, Key]] = []
            try:
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
