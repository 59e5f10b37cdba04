"""The physical difference between two manifests: the parity oracle.

Both sides are compared name for name: tables, columns in order with their types,
nullability and defaults, every constraint, index and enum type. Expressions are
compared after whitespace folding; run both through `canonical.server_canonical` first
when one side was declared (TypeORM) and the other deparsed by the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from ormshift.manifest import Column, Manifest, Table

_COLUMN_FIELDS = tuple(f.name for f in fields(Column) if f.name not in ("name", "comment"))


@dataclass(frozen=True)
class Difference:
    """One thing that is not the same on both sides."""

    kind: str
    table: str | None
    item: str | None
    left: Any
    right: Any

    def __str__(self) -> str:
        where = ".".join(p for p in (self.table, self.item) if p)
        return f"{self.kind} {where}: {self.left!r} != {self.right!r}"


def fold(sql: str | None) -> str | None:
    return None if sql is None else re.sub(r"\s+", " ", sql).strip()


def _named(items: tuple[Any, ...]) -> dict[str, Any]:
    return {i.name: i for i in items}


def _compare_named(
    kind: str, table: str, left: tuple[Any, ...], right: tuple[Any, ...], out: list[Difference]
) -> None:
    lmap, rmap = _named(left), _named(right)
    for name in sorted(set(lmap) | set(rmap)):
        a, b = lmap.get(name), rmap.get(name)
        if a is None or b is None:
            out.append(Difference(f"{kind}-missing", table, name, a is not None, b is not None))
            continue
        for f in fields(a):
            va, vb = getattr(a, f.name), getattr(b, f.name)
            if f.name in ("expression", "where"):
                va, vb = fold(va), fold(vb)
            if f.name == "concurrent":
                continue  # how an index was built, not what it is
            if va != vb:
                out.append(Difference(f"{kind}-{f.name}", table, name, va, vb))


def _compare_columns(table: str, left: Table, right: Table, out: list[Difference]) -> None:
    lnames = [c.name for c in left.columns]
    rnames = [c.name for c in right.columns]
    if lnames != rnames:
        out.append(Difference("column-order", table, None, lnames, rnames))
    rcols = {c.name: c for c in right.columns}
    for col in left.columns:
        other = rcols.get(col.name)
        if other is None:
            continue
        for name in _COLUMN_FIELDS:
            va, vb = getattr(col, name), getattr(other, name)
            if name in ("default", "generated_expression"):
                va, vb = fold(va), fold(vb)
            if va != vb:
                out.append(Difference(f"column-{name}", table, col.name, va, vb))


def diff(left: Manifest, right: Manifest) -> list[Difference]:
    """Every physical difference between ``left`` and ``right``; empty when equal."""
    out: list[Difference] = []
    if set(left.extensions) != set(right.extensions):
        out.append(
            Difference("extensions", None, None, sorted(left.extensions), sorted(right.extensions))
        )
    lenums, renums = _named(left.enums), _named(right.enums)
    for name in sorted(set(lenums) | set(renums)):
        a, b = lenums.get(name), renums.get(name)
        if a is None or b is None or a.values != b.values:
            out.append(Difference("enum", None, name, a and a.values, b and b.values))
    ltables, rtables = _named(left.tables), _named(right.tables)
    for name in sorted(set(ltables) | set(rtables)):
        a, b = ltables.get(name), rtables.get(name)
        if a is None or b is None:
            out.append(Difference("table-missing", name, None, a is not None, b is not None))
            continue
        if a.kind != b.kind:
            out.append(Difference("table-kind", name, None, a.kind, b.kind))
        _compare_columns(name, a, b, out)
        if a.primary_key != b.primary_key:
            out.append(Difference("primary-key", name, None, a.primary_key, b.primary_key))
        _compare_named("foreign-key", name, a.foreign_keys, b.foreign_keys, out)
        _compare_named("unique", name, a.uniques, b.uniques, out)
        _compare_named("index", name, a.indices, b.indices, out)
        _compare_named("check", name, a.checks, b.checks, out)
        _compare_named("exclusion", name, a.exclusions, b.exclusions, out)
    return out
