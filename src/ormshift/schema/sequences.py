"""Sequences, which the manifest does not hold: serial and identity columns own one each.

A serial column made by TypeORM owns ``<table>_<column>_seq``; an identity column owns
an implicit sequence of the same name. Both sides must agree on the name, the type,
the bounds, the step and on which column owns it.
"""

from __future__ import annotations

from dataclasses import fields

import psycopg

from ormshift.db import catalog
from ormshift.extract.database import BOOKKEEPING_TABLES
from ormshift.schema.diff import Difference

#: one sequence: its settings, the column that owns it, and how
Sequence = catalog.SequenceInfo


def reflect_sequences(
    conn: psycopg.Connection, schema: str = "public", exclude: tuple[str, ...] = BOOKKEEPING_TABLES
) -> tuple[Sequence, ...]:
    """Every sequence of ``schema``, except those owned by TypeORM's bookkeeping tables."""
    return tuple(catalog.sequences(conn, schema, exclude))


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
