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

from ormshift.manifest import ForeignKey, Manifest, Table
from ormshift.mapping import Mapping
from ormshift.verify.model import OrphanCheck

SAMPLES = 5


@dataclass(frozen=True)
class Reference:
    """A foreign key of ``table``, in target names."""

    table: str
    key: ForeignKey

    def ident(self) -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
        """What makes two references the same, whatever their constraints are named."""
        k = self.key
        return self.table, k.columns, k.referenced_table, k.referenced_columns


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
            ref = Reference(t.name, fk)
            found.setdefault(ref.ident(), ref)
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
            columns = tuple(tm.column(c).target for c in fk.columns)
            referenced = tuple(pm.column(c).target for c in fk.referenced_columns)
            ref = Reference(tm.target, ForeignKey(fk.name, columns, pm.target, referenced))
            if ref.ident() not in found:
                found[ref.ident()] = ref
                out.append(ref)
    return sorted(out, key=lambda r: (r.table, r.key.name))


def _texts(alias: str, names: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(alias, n)) for n in names)


def find_orphans(
    conn: psycopg.Connection, schema: str, ref: Reference, tables: dict[str, Table]
) -> OrphanCheck:
    """How many rows of ``ref.table`` point at nothing, with a few of them."""
    fk = ref.key

    def check(
        count: int, samples: tuple[dict[str, str | None], ...] = (), error: str | None = None
    ) -> OrphanCheck:
        return OrphanCheck(
            ref.table,
            fk.name,
            fk.columns,
            fk.referenced_table,
            fk.referenced_columns,
            count,
            samples,
            error,
        )

    child, parent = tables.get(ref.table), tables.get(fk.referenced_table)
    if child is None or parent is None:
        missing = ref.table if child is None else fk.referenced_table
        return check(0, error=f"the target has no table {missing!r}; cannot check {fk.name}")
    names = {c.name for c in child.columns}
    pnames = {c.name for c in parent.columns}
    if not set(fk.columns) <= names or not set(fk.referenced_columns) <= pnames:
        return check(0, error=f"the target's columns do not match foreign key {fk.name}")
    pk = child.primary_key.columns if child.primary_key else ()
    shown = list(dict.fromkeys([*pk, *fk.columns]))
    query = sql.SQL(
        "select {shown}, count(*) over () from {child} c where {notnull} and not exists "
        "(select 1 from {parent} p where {match}) limit {n}"
    ).format(
        shown=_texts("c", shown),
        child=sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(ref.table)),
        parent=sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(fk.referenced_table)),
        notnull=sql.SQL(" and ").join(
            sql.SQL("{} is not null").format(sql.Identifier("c", c)) for c in fk.columns
        ),
        match=sql.SQL(" and ").join(
            sql.SQL("{} = {}").format(sql.Identifier("p", p), sql.Identifier("c", c))
            for c, p in zip(fk.columns, fk.referenced_columns, strict=True)
        ),
        n=sql.Literal(SAMPLES),
    )
    rows = conn.execute(query).fetchall()
    if not rows:
        return check(0)
    samples = tuple(dict(zip(shown, r[:-1], strict=True)) for r in rows)
    return check(int(rows[0][-1]), samples)
