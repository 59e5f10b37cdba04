"""Cells: the table's first-level segments, each cut into ``2 ** bits`` hash buckets of
the key, checksummed in one grouped scan per side (`ormshift.verify.locate`).

A row's cell is ``segment * 2 ** bits + (hash(key text) & (2 ** bits - 1))``: the
segment keeps nearby keys together (so the differing cells of a few segments are read
by key range), the bucket spreads a segment's rows evenly over its cells whatever the
keys look like. A cell is small (`CELL_ROWS` rows), so a differing cell costs little to
read again; the grid never exceeds `MAX_CELLS` cells, so its checksums stay small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql

from ormshift.verify.model import Key
from ormshift.verify.segments import Binder, KeySpec, in_range, segment_number

CELL_ROWS = 8
MAX_CELLS = 1 << 18
_SEED = 1  # the row hash uses seed 0: a cell must not depend on the row's hash


@dataclass(frozen=True)
class Grid:
    """The segments' ``bounds`` and the number of bits of a segment's bucket."""

    bounds: tuple[Key, ...]
    bits: int

    @classmethod
    def for_rows(cls, bounds: Sequence[Key], rows: int) -> Grid:
        segments = len(bounds) + 1
        per_segment = max(1.0, rows / segments / CELL_ROWS)
        bits = math.ceil(math.log2(per_segment))
        most = max(0, int(math.log2(MAX_CELLS / segments)))
        return cls(tuple(bounds), max(0, min(bits, most)))

    @property
    def segments(self) -> int:
        return len(self.bounds) + 1

    def segment_of(self, cell: int) -> int:
        return cell >> self.bits

    def edges(self, segment: int) -> tuple[Key | None, Key | None]:
        """The key range ``[lo, hi)`` of a segment (None: open)."""
        lo = self.bounds[segment - 1] if segment > 0 else None
        hi = self.bounds[segment] if segment < len(self.bounds) else None
        return lo, hi


def key_text(spec: KeySpec, alias: str | None = None) -> sql.Composable:
    """One text for the whole key, unambiguous: each part prefixed by its length."""
    cols = [sql.Identifier(*([alias] if alias else []), c) for c in spec.columns]
    if len(cols) == 1:
        return sql.SQL("{}::text").format(cols[0])
    parts = [sql.SQL("octet_length({c}::text) || ':' || {c}::text").format(c=c) for c in cols]
    return sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(parts))


def cell_number(spec: KeySpec, binder: Binder, grid: Grid) -> sql.Composable:
    """The row's cell (0 .. segments * 2 ** bits - 1)."""
    bucket = sql.SQL("(hashtextextended({k}, {seed}) & {mask})").format(
        k=key_text(spec), seed=sql.Literal(_SEED), mask=sql.Literal((1 << grid.bits) - 1)
    )
    if not grid.bounds:
        return bucket
    return sql.SQL("({seg}) * {width} + {bucket}").format(
        seg=segment_number(spec, binder, grid.bounds),
        width=sql.Literal(1 << grid.bits),
        bucket=bucket,
    )


def segments_range(
    spec: KeySpec, binder: Binder, grid: Grid, segments: Sequence[int]
) -> sql.Composable:
    """The key ranges of ``segments`` (sorted), adjacent ones joined; ``true`` for all."""
    if len(segments) == grid.segments:
        return sql.SQL("true")
    runs: list[list[int]] = []
    for s in segments:
        if runs and runs[-1][1] == s:
            runs[-1][1] = s + 1
        else:
            runs.append([s, s + 1])
    ranges: list[sql.Composable] = []
    for first, end in runs:
        lo, _ = grid.edges(first)
        _, hi = grid.edges(end - 1)
        ranges.append(sql.SQL("({})").format(in_range(spec, binder, lo, hi)))
    return sql.SQL("({})").format(sql.SQL(" or ").join(ranges))
