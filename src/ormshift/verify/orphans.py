"""Rows of the target whose foreign key values point at nothing.

The foreign keys come from the source's reflection (renamed through the mapping) as well
as from the target's own constraints, so a target loaded without its constraints is
checked just the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ormshift.manifest import Manifest, Table
from ormshift.mapping import Mapping
from ormshift.verify.model import OrphanCheck

SAMPLES = 5


@dataclass(frozen=True)
class Reference:
    """A foreign key in target names."""

    name: str
    table: str
    columns: tuple[str, ...]
    referenced_table: str
    referenced_columns: tuple[str, ...]


def references(
    source: Manifest,
    target: Manifest,
    tables: Iterable[str],
    mapping: Mapping,
    manifest: Manifest | None = None,
) -> list[Reference]:
    """Foreign keys of the (source-named) ``tables``, in target names, without repeats.

    They come from the target's constraints, a ``manifest`` of the target schema (from
    ``ormshift extract``) and the source's constraints renamed through ``mapping``.
    """
    wanted = set(tables)
    found: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], Reference] = {}
    for t in (*target.tables, *(manifest.tables if manifest else ())):
        for fk in t.foreign_keys:
            ref = Reference(fk.name, t.name, fk.columns, fk.referenced_table, fk.referenced_columns)
            found.setdefault(
                (ref.table, ref.columns, ref.referenced_table, ref.referenced_columns), ref
            )
    targets = {mapping.table(n).target for n in wanted}
    out = [r for r in found.values() if r.table in targets]
    for t in source.tables:
        if t.name not in wanted:
            continue
        tm = mapping.table(t.name)
        for fk in t.foreign_keys:
            if fk.referenced_schema is not None:
                continue
            pm = mapping.table(fk.referenced_table)
            ref = Reference(
                fk.name,
                tm.target,
                tuple(tm.column(c).target for c in fk.columns),
                pm.target,
                tuple(pm.column(c).target for c in fk.referenced_columns),
            )
            key = (ref.table, ref.columns, ref.referenced_table, ref.referenced_columns)
            if key not in found:
                found[key] = ref
                out.append(ref)
    return sorted(out, key=lambda r: (r.table, r.name))


def _texts(alias: str, names: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(alias, n)) for n in names)


def find_orphans(
    conn: psycopg.Connection, schema: str, ref: Reference, tables: dict[str, Table]
) -> OrphanCheck:
    """How many rows of ``ref.table`` point at nothing, with a few of them."""

    def check(
        count: int, samples: tuple[dict[str, str | None], ...] = (), error: str | None = None
    ) -> OrphanCheck:
        return OrphanCheck(
            ref.table,
            ref.name,
            ref.columns,
            ref.referenced_table,
            ref.referenced_columns,
            count,
            samples,
            error,
        )

    child, parent = tables.get(ref.table), tables.get(ref.referenced_table)
    if child is None or parent is None:
        missing = ref.table if child is None else ref.referenced_table
        return check(0, error=f"the target has no table {missing!r}; cannot check {ref.name}")
    names = {c.name for c in child.columns}
    pnames = {c.name for c in parent.columns}
    if not set(ref.columns) <= names or not set(ref.referenced_columns) <= pnames:
        return check(0, error=f"the target's columns do not match foreign key {ref.name}")
    pk = child.primary_key.columns if child.primary_key else ()
    shown = list(dict.fromkeys([*pk, *ref.columns]))
    query = sql.SQL(
        "select {shown}, count(*) over () from {child} c where {notnull} and not exists "
        "(select 1 from {parent} p where {match}) limit {n}"
    ).format(
        shown=_texts("c", shown),
        child=sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(ref.table)),
        parent=sql.SQL("{}.{}").format(
            sql.Identifier(schema), sql.Identifier(ref.referenced_table)
        ),
        notnull=sql.SQL(" and ").join(
            sql.SQL("{} is not null").format(sql.Identifier("c", c)) for c in ref.columns
        ),
        match=sql.SQL(" and ").join(
            sql.SQL("{} = {}").format(sql.Identifier("p", p), sql.Identifier("c", c))
            for c, p in zip(ref.columns, ref.referenced_columns, strict=True)
        ),
        n=sql.Literal(SAMPLES),
    )
    rows = conn.execute(query).fetchall()
    if not rows:
        return check(0)
    samples = tuple(dict(zip(shown, r[:-1], strict=True)) for r in rows)
    return check(int(rows[0][-1]), samples)
