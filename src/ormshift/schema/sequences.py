"""Sequences, which the manifest does not hold: serial and identity columns own one each.

A serial column made by TypeORM owns ``<table>_<column>_seq``; an identity column owns
an implicit sequence of the same name. Both sides must agree on the name, the type,
the bounds, the step and on which column owns it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import psycopg
from psycopg.rows import dict_row

from ormshift.extract.database import BOOKKEEPING_TABLES
from ormshift.schema.diff import Difference

_SEQUENCES = """
select s.relname as name, format_type(q.seqtypid, null) as data_type,
       q.seqstart as start, q.seqincrement as increment, q.seqmin as min_value,
       q.seqmax as max_value, q.seqcache as cache, q.seqcycle as cycle,
       t.relname as owner_table, a.attname as owner_column, d.deptype as dependency
from pg_class s
join pg_namespace n on n.oid = s.relnamespace
join pg_sequence q on q.seqrelid = s.oid
left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = s.oid
     and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype in ('a', 'i')
left join pg_class t on t.oid = d.refobjid
left join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
where n.nspname = %(schema)s and s.relkind = 'S'
order by s.relname
"""


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
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_SEQUENCES, {"schema": schema}).fetchall()
    out: list[Sequence] = []
    for r in rows:
        if r["owner_table"] in exclude:
            continue
        owner = f"{r['owner_table']}.{r['owner_column']}" if r["owner_table"] else None
        out.append(
            Sequence(
                name=r["name"],
                data_type=r["data_type"],
                start=r["start"],
                increment=r["increment"],
                min_value=r["min_value"],
                max_value=r["max_value"],
                cache=r["cache"],
                cycle=r["cycle"],
                owned_by=owner,
                identity=r["dependency"] == "i",
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
