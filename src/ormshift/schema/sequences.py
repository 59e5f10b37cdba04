"""Sequences, which the manifest does not hold: serial and identity columns own one each.

A serial column made by TypeORM owns ``<table>_<column>_seq``; an identity column owns
an implicit sequence of the same name. Both sides must agree on the name, the type,
the bounds, the step and on which column owns it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import psycopg

from ormshift.db import catalog
from ormshift.extract.database import BOOKKEEPING_TABLES
from ormshift.schema.diff import Difference


@dataclass(frozen=True)
class Sequence:
    name: str
    data_type: str
    start: int
    increment: int
    min_value: int
    max_value: int
    cache: int
    cycle: bool
    owned_by: str | None = None  # "table.column"
    identity: bool = False  # owned as an identity column's sequence, not a serial's


def reflect_sequences(
    conn: psycopg.Connection, schema: str = "public", exclude: tuple[str, ...] = BOOKKEEPING_TABLES
) -> tuple[Sequence, ...]:
    """Every sequence of ``schema``, except those owned by TypeORM's bookkeeping tables."""
    out: list[Sequence] = []
    for s in catalog.sequences(conn, schema):
        if s.owner is not None and s.owner.table in exclude:
            continue
        out.append(
            Sequence(
                name=s.name,
                data_type=s.data_type,
                start=s.start,
                increment=s.increment,
                min_value=s.min_value,
                max_value=s.max_value,
                cache=s.cache,
                cycle=s.cycle,
                owned_by=f"{s.owner.table}.{s.owner.column}" if s.owner else None,
                identity=s.owner is not None and s.owner.identity,
            )
        )
    return tuple(out)


def diff_sequences(left: tuple[Sequence, ...], right: tuple[Sequence, ...]) -> list[Difference]:
    """Every difference between two sets of sequences, by name."""
    out: list[Difference] = []
    lmap, rmap = {s.name: s for s in left}, {s.name: s for s in right}
    for name in sorted(set(lmap) | set(rmap)):
        a, b = lmap.get(name), rmap.get(name)
        if a is None or b is None:
            out.append(Difference("sequence-missing", None, name, a is not None, b is not None))
            continue
        for f in fields(Sequence):
            va, vb = getattr(a, f.name), getattr(b, f.name)
            if va != vb:
                out.append(Difference(f"sequence-{f.name}", None, name, va, vb))
    return out
