"""Locate every differing row of a keyed table on two PostgreSQL sides in a fixed number of
passes, however many rows differ and wherever they are.

1. One grouped scan per side checksums (rows, sum of row hashes) every segment of the
   key range, about `SEGMENT_ROWS` rows each (at most `MAX_SEGMENTS`), its bounds
   sampled from the source's keys; identical tables end here.
2. One scan per side streams (key, row hash) of the rows of the differing segments only,
   through a server-side cursor: the segments' key ranges are one join against bound
   arrays of their ends. An integer or uuid key comes in its own order (off the key's
   index, no sort; an integer key as a number), any other ordered by the key texts'
   bytes. The two streams are merged a batch at a time, which names each differing key
   as missing, extra or changed.
3. The full rows of the differing keys are fetched by key, a chunk at a time, bound as
   arrays (the next chunk's fetch running while the merge goes on), and reported as
   `ormshift.verify.rowdiff` reports a leaf's rows.

Memory stays flat: the segments are bounded, the merge holds at most two batches a side,
the fetch two chunks. Differences come out in the order of the streams.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter, ne
from typing import Any

import psycopg

from ormshift.verify.model import DiffKind, Key
from ormshift.verify.pairing import SidePair
from ormshift.verify.pgside import LeafRow, PgTable
from ormshift.verify.rowdiff import row_differences

#: a streamed row: the key texts then the row hash
Row = tuple[Any, ...]

BATCH = 20_000  # rows of a stream fetched at a time
FETCH_KEYS = 5_000  # differing keys whose rows are fetched at a time
SEGMENT_ROWS = 120  # rows a segment of the first scan holds, about
#: a key of one fixed-length column: ``width_bucket`` finds a row's segment by bisection
MAX_SEGMENTS = 8192
#: other keys: ``width_bucket`` walks a text array, a composite key descends a CASE tree
MAX_SEGMENTS_SEARCHED = 512


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
    """The differing keys of two streams of rows (key values..., row hash), each ascending
    by its key values, in that order; the rows are compared a batch at a time.
    ``as_key`` turns a row's key values (one value, or a tuple of them) into its `Key`
    (default: they are the key texts already)."""

    def __init__(self, width: int, as_key: Callable[[Any], Key] | None = None) -> None:
        self.width = width
        # a row's key in the comparisons: the value itself when the key has one column
        self.key: Callable[[Row], Any] = itemgetter(0) if width == 1 else itemgetter(*range(width))
        self.hashed: Callable[[Row], int] = itemgetter(width)
        self.as_key: Callable[[Any], Key] = as_key or (_one if width == 1 else _same)

    def _resolve(self, source: Sequence[Row], target: Sequence[Row]) -> list[tuple[DiffKind, Key]]:
        """The differing keys of two runs of rows that cover the same key range: a key
        whose hash on the other side is another or none (missing there) is odd; odd on
        both sides, changed. Every step is a C loop over the rows, nothing hashes a row."""
        if source == target:
            return []
        key, hashed = self.key, self.hashed
        ks, kt = list(map(key, source)), list(map(key, target))
        hs, ht = list(map(hashed, source)), list(map(hashed, target))
        ds, dt = dict(zip(ks, hs, strict=True)), dict(zip(kt, ht, strict=True))
        odd = set(compress(ks, map(ne, map(dt.get, ks), hs)))
        odd.update(compress(kt, map(ne, map(ds.get, kt), ht)))
        as_key = self.as_key
        return [(_kind(k in ds, k in dt), as_key(k)) for k in sorted(odd)]

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


def _one(value: Any) -> Key:
    return (str(value),)


def _same(values: Any) -> Key:
    return tuple(values)


def _kind(in_source: bool, in_target: bool) -> DiffKind:
    if in_source and in_target:
        return "changed"
    return "missing" if in_source else "extra"


def segment_count(rows: int, fixed: bool) -> int:
    """How many segments the first scan checksums for a table of ``rows`` rows."""
    most = MAX_SEGMENTS if fixed else MAX_SEGMENTS_SEARCHED
    return max(2, min(most, rows // SEGMENT_ROWS))


#: differing segments past this share of them (numerator, denominator): stream the whole
#: table instead of their ranges
WHOLE_TABLE_SHARE = (1, 2)


def differing_ranges(
    bounds: Sequence[Key], segments: Sequence[int]
) -> list[tuple[Key | None, Key | None]]:
    """The key ranges ``[lo, hi)`` (None: open) of ``segments`` (sorted), adjacent ones
    joined."""
    runs: list[list[int]] = []
    for s in segments:
        if runs and runs[-1][1] == s:
            runs[-1][1] = s + 1
        else:
            runs.append([s, s + 1])
    return [
        (bounds[first - 1] if first > 0 else None, bounds[end - 1] if end <= len(bounds) else None)
        for first, end in runs
    ]


class Locate(SidePair[PgTable]):
    """Finds every differing row of one keyed table; emits each `Difference` as found."""

    def run(self) -> None:
        """Compare the whole table; fills in the counts."""
        fixed = self.source.key_fixed and self.target.key_fixed
        parts = segment_count(self.source.estimated_rows(), fixed)
        bounds = self.source.first_split(parts)
        seg_s, seg_t = self.both(lambda s: s.segment_checksums(bounds))
        self.count_rows(seg_s, seg_t)
        self.result.segments = len(seg_s)
        segments = [i for i, (a, b) in enumerate(zip(seg_s, seg_t, strict=True)) if a != b]
        if not segments:
            return
        # most segments differing (changes scattered over the table): one stream of the
        # whole table off the key's index is cheaper than a join against the ranges
        whole = len(segments) * WHOLE_TABLE_SHARE[1] >= len(seg_s) * WHOLE_TABLE_SHARE[0]
        ranges = None if whole else differing_ranges(bounds, segments)
        self._locate(ranges)

    def _locate(self, ranges: Sequence[tuple[Key | None, Key | None]] | None) -> None:
        order = self.source.key_order
        if order != self.target.key_order:
            order = "text"
        with ExitStack() as stack:
            streams = []
            for side in (self.source, self.target):
                cursor = stack.enter_context(side.range_rows(ranges, order))
                stream = Batches(self.executor, cursor)
                stack.callback(stream.close)
                streams.append(stream)
            chunk: list[tuple[DiffKind, Key]] = []
            # a chunk's rows are fetched while the merge goes on; reported at the next
            pending: Fetch | None = None
            try:
                merge = Merge(len(self.key_names))
                for found in merge(streams[0].take, streams[1].take):
                    chunk.append(found)
                    if len(chunk) >= FETCH_KEYS:
                        if pending is not None and not self._report(pending):
                            return
                        pending, chunk = self._fetch(chunk), []
                if pending is not None and not self._report(pending):
                    return
                if chunk:
                    pending = self._fetch(chunk)
                    self._report(pending)
            finally:
                if pending is not None:
                    pending.wait()
                self.result.downloaded_rows += streams[0].rows + streams[1].rows

    def _fetch(self, chunk: Sequence[tuple[DiffKind, Key]]) -> Fetch:
        """Start fetching the rows of ``chunk``'s keys on both sides."""
        want_s = [k for kind, k in chunk if kind != "extra"]
        want_t = [k for kind, k in chunk if kind != "missing"]
        return Fetch(
            chunk,
            self.executor.submit(self.source.rows_by_keys, want_s),
            self.executor.submit(self.target.rows_by_keys, want_t),
        )

    def _report(self, fetch: Fetch) -> bool:
        """Emit the differences of a fetched chunk's rows; False: stop."""
        src = {r[0]: r for r in fetch.source.result()}
        tgt = {r[0]: r for r in fetch.target.result()}
        self.result.downloaded_rows += len(src) + len(tgt)
        for _kind, key in fetch.chunk:
            for d in row_differences(
                self.result.table, self.key_names, self.column_names, src.get(key), tgt.get(key)
            ):
                if not self.emit(d):
                    return False
        return True


@dataclass
class Fetch:
    """The rows of a chunk of differing keys, being fetched from both sides."""

    chunk: Sequence[tuple[DiffKind, Key]]
    source: Future[list[LeafRow]]
    target: Future[list[LeafRow]]

    def wait(self) -> None:
        """Wait for both fetches (their connections are needed next)."""
        self.source.exception()
        self.target.exception()
