"""Key ranges and segment numbers in SQL, for a key of any type (integer, uuid, text,
composite), never OFFSET.

A segment is a half-open key range ``[lo, hi)`` (a missing bound is open). Splitting a
range by ``m`` bounds ``b0 < ... < b(m-1)`` gives ``m + 1`` segments; a row's segment
number is the count of bounds at or below its key, computed by a binary search written
as nested ``CASE`` (``log2 m`` comparisons per row), so one scan checksums every segment.
Keys are bound as untyped text literals that the server resolves against the key columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql

from ormshift.verify.model import Key


@dataclass(frozen=True)
class KeySpec:
    """The key columns of one side; ``binary`` orders a text column by its bytes."""

    columns: tuple[str, ...]
    binary: tuple[bool, ...]

    def __post_init__(self) -> None:
        assert len(self.columns) == len(self.binary)

    def _col(self, name: str, binary: bool, alias: str | None) -> sql.Composable:
        ident = sql.Identifier(*([alias] if alias else []), name)
        return sql.SQL('{} collate "C"').format(ident) if binary else ident

    def row(self, alias: str | None = None) -> sql.Composable:
        """``(k1, k2 collate "C")``"""
        return sql.SQL("({})").format(
            sql.SQL(", ").join(
                self._col(c, b, alias) for c, b in zip(self.columns, self.binary, strict=True)
            )
        )

    def order(self, alias: str | None = None, *, desc: bool = False) -> sql.Composable:
        suffix = sql.SQL(" desc" if desc else "")
        return sql.SQL(", ").join(
            sql.SQL("{}{}").format(self._col(c, b, alias), suffix)
            for c, b in zip(self.columns, self.binary, strict=True)
        )

    def texts(self, alias: str | None = None) -> sql.Composable:
        return sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(*([alias] if alias else []), c))
            for c in self.columns
        )


class Binder:
    """Collects bound values under generated names, for one statement."""

    def __init__(self) -> None:
        self.params: dict[str, str] = {}

    def key(self, key: Key) -> sql.Composable:
        holders: list[sql.Composable] = []
        for value in key:
            name = f"p{len(self.params)}"
            self.params[name] = value
            holders.append(sql.Placeholder(name))
        return sql.SQL("({})").format(sql.SQL(", ").join(holders))


def in_range(spec: KeySpec, binder: Binder, lo: Key | None, hi: Key | None) -> sql.Composable:
    """``(k) >= (lo) and (k) < (hi)``; a missing bound is open."""
    parts: list[sql.Composable] = []
    if lo is not None:
        parts.append(sql.SQL("{} >= {}").format(spec.row(), binder.key(lo)))
    if hi is not None:
        parts.append(sql.SQL("{} < {}").format(spec.row(), binder.key(hi)))
    return sql.SQL(" and ").join(parts) if parts else sql.SQL("true")


def segment_number(spec: KeySpec, binder: Binder, bounds: Sequence[Key]) -> sql.Composable:
    """The number of ``bounds`` at or below the row's key (0 .. len(bounds))."""

    def tree(first: int, last: int) -> sql.Composable:
        if first == last:
            return sql.Literal(first)
        mid = (first + last) // 2
        return sql.SQL("case when {row} < {b} then {left} else {right} end").format(
            row=spec.row(),
            b=binder.key(bounds[mid]),
            left=tree(first, mid),
            right=tree(mid + 1, last),
        )

    return tree(0, len(bounds))


def spread(keys: Sequence[Key], parts: int) -> list[Key]:
    """``parts - 1`` bounds taken evenly from sorted, distinct ``keys``."""
    n = len(keys)
    if n == 0 or parts < 2:
        return []
    picked = [keys[(i * n) // parts] for i in range(1, parts)]
    out: list[Key] = []
    for k in picked:
        if not out or out[-1] != k:
            out.append(k)
    if out and out[0] == keys[0]:
        out = out[1:]
    return out
