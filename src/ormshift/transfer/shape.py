"""What the target table checks on a row, read from its catalog for `ormshift.transfer.classify`.

Only what can be evaluated in SQL against a staged batch is described: NOT NULL
columns, CHECK expressions, foreign keys to other tables, and plain unique indexes. What
only a real insert can tell (triggers, exclusion constraints, expression or partial
unique indexes, partitions) makes the shape ``ordered``: then every suspect row is tried
in key order, as bisection would, instead of being set aside first.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

import psycopg
from psycopg import sql

from ormshift.transfer.plan import TablePlan

_COLUMNS = """
select a.attname, format_type(a.atttypid, a.atttypmod), format_type(a.atttypid, null),
       a.attnotnull, t.typtype = 'e',
       case when a.attcollation <> t.typcollation then quote_ident(cn.nspname) || '.'
            || quote_ident(co.collname) end,
       a.attgenerated <> ''
from pg_attribute a
join pg_type t on t.oid = a.atttypid
left join pg_collation co on co.oid = a.attcollation
left join pg_namespace cn on cn.oid = co.collnamespace
where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""
# by name, the order the server evaluates them in (relcache sorts them so)
_CHECKS = """
select c.conname, pg_get_expr(c.conbin, c.conrelid),
       array(select a.attname from unnest(c.conkey) k(n)
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n)
from pg_constraint c
where c.conrelid = %s::regclass and c.contype = 'c' order by c.conname
"""
_FOREIGN = """
select con.conname, con.confmatchtype, con.condeferred, con.confrelid = con.conrelid,
       pn.nspname, pc.relname,
       array(select a.attname from unnest(con.conkey) with ordinality k(n, i)
             join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.i),
       array(select a.attname from unnest(con.confkey) with ordinality k(n, i)
             join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.i)
from pg_constraint con
join pg_class pc on pc.oid = con.confrelid
join pg_namespace pn on pn.oid = pc.relnamespace
where con.conrelid = %s::regclass and con.contype = 'f'
order by con.conname
"""
_UNIQUE = """
select c.relname,
       array(select pg_get_indexdef(i.indexrelid, k, true)
             from generate_series(1, i.indnkeyatts) k),
       i.indexprs is null and i.indpred is null and i.indimmediate
       and coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) is false,
       array(select a.attname from unnest(i.indkey::int2[]) with ordinality k(n, o)
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n
             where k.o <= i.indnkeyatts order by k.o)
from pg_index i join pg_class c on c.oid = i.indexrelid
where i.indrelid = %s::regclass and i.indisunique
order by i.indexrelid
"""
_RELATION = """
select c.relkind,
       exists (select 1 from pg_trigger g where g.tgrelid = c.oid and not g.tgisinternal),
       exists (select 1 from pg_rewrite r where r.ev_class = c.oid),
       exists (select 1 from pg_constraint x where x.conrelid = c.oid and x.contype = 'x')
from pg_class c where c.oid = %s::regclass
"""

ORD = "ormshift_ord"  # the staged row's position in the batch (key order)


@dataclass(frozen=True)
class Column:
    name: str
    fmt: str  # the target's type, with its modifier: varchar(4)
    base: str  # without it: character varying (the insert's assignment applies the rest)
    not_null: bool
    enum: bool
    collation: str | None  # SQL text of a non-default collation


@dataclass(frozen=True)
class ForeignKey:
    name: str
    full: bool  # MATCH FULL: a partly NULL key fails too
    columns: tuple[str, ...]
    parent: sql.Identifier
    parent_columns: tuple[str, ...]
    parent_name: str = ""


@dataclass(frozen=True)
class Unique:
    name: str  # the index, as the server's message names it
    columns: tuple[str, ...]
    shown: tuple[str, ...]  # its columns as its "Key (...)" detail shows them


@dataclass(frozen=True)
class Shape:
    """The target table of one `TablePlan`, as the classifier needs it."""

    target: sql.Identifier
    columns: tuple[Column, ...]  # the plan's target columns, in its order
    checks: tuple[tuple[str, str], ...]  # (name, expression), by name
    check_columns: tuple[str, ...]  # the columns the checks read
    foreign_keys: tuple[ForeignKey, ...]
    uniques: tuple[Unique, ...]  # plain unique indexes, all columns copied, index order
    ordered: bool  # something only a real insert in key order can tell
    unique_key: tuple[str, ...] = ()  # target columns no two rows of a batch share
    relation: str = ""  # the table's name, as the server's messages say it
    # every column of the table, in its order, when all are copied and none is generated:
    # then the server's "Failing row contains (...)" detail can be written out
    row_columns: tuple[str, ...] = ()


_cache: WeakKeyDictionary[psycopg.Connection, dict[tuple[str, str], Shape | None]] = (
    WeakKeyDictionary()
)


def shape_of(target: psycopg.Connection, table: TablePlan) -> Shape | None:
    """The shape of ``table``'s target (read once per connection), or None when an
    ``INSERT`` would not do what ``COPY`` does (rules) or a column name is taken."""
    per_conn = _cache.setdefault(target, {})
    key = (table.schema, table.target)
    if key not in per_conn:
        per_conn[key] = _read(target, table)
    return per_conn[key]


def _read(target: psycopg.Connection, table: TablePlan) -> Shape | None:
    rel = sql.Identifier(table.schema, table.target).as_string(target)
    relation = target.execute(_RELATION, [rel]).fetchone()
    assert relation is not None
    relkind, triggers, rules, exclusions = relation
    if rules or ORD in table.target_columns:
        return None  # COPY ignores rules, INSERT does not
    described = target.execute(_COLUMNS, [rel]).fetchall()
    by_name = {r[0]: Column(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5]) for r in described}
    every = tuple(str(r[0]) for r in described)
    whole = set(every) == set(table.target_columns) and not any(r[6] for r in described)
    copied = set(table.target_columns)
    ordered = bool(triggers or exclusions) or relkind != "r"
    fks: list[ForeignKey] = []
    for name, full, deferred, self_ref, nsp, parent, cols, pcols in target.execute(
        _FOREIGN, [rel]
    ).fetchall():
        if self_ref:
            ordered = True  # a parent may come in the same batch
        elif not deferred and set(cols) <= copied:
            fk = ForeignKey(
                name, full == "f", tuple(cols), sql.Identifier(nsp, parent), tuple(pcols), parent
            )
            fks.append(fk)
    uniques: list[Unique] = []
    for name, shown, plain, cols in target.execute(_UNIQUE, [rel]).fetchall():
        if plain and cols and set(cols) <= copied:
            uniques.append(Unique(name, tuple(cols), tuple(shown)))
        else:
            ordered = True
    found = target.execute(_CHECKS, [rel]).fetchall()
    checks = tuple((str(r[0]), str(r[1])) for r in found)
    check_columns = tuple(dict.fromkeys(str(c) for r in found for c in r[2]))
    return Shape(
        target=sql.Identifier(table.schema, table.target),
        columns=tuple(by_name[c] for c in table.target_columns),
        checks=checks,
        check_columns=check_columns,
        foreign_keys=tuple(fks),
        uniques=tuple(uniques),
        ordered=ordered,
        # the source key, copied without a cast, cannot repeat within a batch
        unique_key=(
            table.target_key
            if all(o.cast is None for o in table.outputs if o.source in table.key)
            else ()
        ),
        relation=table.target,
        row_columns=every if whole else (),
    )
