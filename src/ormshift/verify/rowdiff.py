"""Rows of one small key range, from both sides, compared value by value."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ormshift.verify.model import Difference, Key
from ormshift.verify.pgside import LeafRow, Values


def _row(names: Sequence[str], values: Values) -> dict[str, str | None]:
    return dict(zip(names, values, strict=True))


def row_differences(
    table: str,
    key_names: Sequence[str],
    column_names: Sequence[str],
    source: LeafRow | None,
    target: LeafRow | None,
) -> Iterator[Difference]:
    """One key's rows, as found on each side (None: not there): missing, extra, or one
    `Difference` per changed column."""
    if source is None:
        if target is not None:
            kd = dict(zip(key_names, target[0], strict=True))
            yield Difference(table, "extra", kd, target=_row(column_names, target[2]))
        return
    kd = dict(zip(key_names, source[0], strict=True))
    if target is None:
        yield Difference(table, "missing", kd, source=_row(column_names, source[2]))
        return
    for i, name in enumerate(column_names):
        if source[1][i] != target[1][i]:
            yield Difference(table, "changed", kd, name, source[2][i], target[2][i])


def diff_rows(
    table: str,
    key_names: Sequence[str],
    column_names: Sequence[str],
    source: Sequence[LeafRow],
    target: Sequence[LeafRow],
) -> Iterator[Difference]:
    """Missing rows, extra rows, and one `Difference` per changed column, in key order."""
    others: dict[Key, LeafRow] = {r[0]: r for r in target}
    for row in source:
        yield from row_differences(table, key_names, column_names, row, others.pop(row[0], None))
    for other in others.values():
        yield from row_differences(table, key_names, column_names, None, other)


def diff_streams(
    table: str,
    column_names: Sequence[str],
    source: Iterator[tuple[str, Values]],
    target: Iterator[tuple[str, Values]],
) -> Iterator[Difference]:
    """Merge two streams ordered by canonical row text (bytes); rows have no key.

    A row on one side only is missing or extra; duplicates count as often as they occur.
    """
    s = next(source, None)
    t = next(target, None)
    while s is not None or t is not None:
        if t is None or (s is not None and s[0] < t[0]):
            assert s is not None
            yield Difference(table, "missing", None, source=_row(column_names, s[1]))
            s = next(source, None)
        elif s is None or t[0] < s[0]:
            yield Difference(table, "extra", None, target=_row(column_names, t[1]))
            t = next(target, None)
        else:
            s, t = next(source, None), next(target, None)
